"""The interfaces stores implement: webhook event dedupe, and the durable event queue."""

from __future__ import annotations

import zlib
from collections.abc import Collection, Sequence
from typing import Any, Protocol, runtime_checkable

import attrs
import orjson

__all__ = [
    "ANY_VERSION",
    "DeadLetter",
    "DedupeStore",
    "Entry",
    "QueueStats",
    "QueuedEvent",
    "ScheduledRecord",
    "Store",
    "event_id_in",
    "shard_of",
]


@runtime_checkable
class DedupeStore(Protocol):
    """Remembers which webhook event IDs were handled, for a while."""

    async def first_seen(self, event_id: str) -> bool:
        """Record ``event_id``; true the first time, false for a redelivery within the TTL."""
        ...

    async def close(self) -> None:
        """Release resources."""
        ...


ANY_VERSION = -1
"""``state_put(expected=ANY_VERSION)``: write whatever the current version is."""


def event_id_in(payload: bytes) -> str | None:
    """The ``webhookEventId`` of an event's JSON, if it has one (for dead letters)."""
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    value = data.get("webhookEventId") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def shard_of(key: str, shards: int) -> int:
    """The queue shard of a chat (or of a chatless event's ID): stable across processes.

    Args:
        key: The chat ID, or the event ID of an event that belongs to no chat.
        shards: How many shards the queue has.

    Returns:
        A shard number from 0 to ``shards - 1``.
    """
    return zlib.crc32(key.encode()) % shards


@attrs.define(slots=True)
class QueuedEvent:
    """One accepted event on its way into the queue.

    ``raw`` is the event's JSON object as LINE sent it (the worker parses it). ``key`` is
    what orders it: the chat ID, or the event ID for events that belong to no chat.
    ``payload`` is ``raw`` serialized, when the receiver has it already (stores that keep
    bytes use it instead of serializing again). ``event_id`` is its ``webhookEventId``
    (``None`` when it has none: it is then never deduplicated); ``shard`` is
    :func:`shard_of` its key.
    """

    event_id: str | None
    key: str
    shard: int
    raw: dict[str, Any]
    payload: bytes = b""


@attrs.define(slots=True)
class Entry:
    """An event a worker took from the queue.

    ``id`` is the store's own ID, unique within the store. ``attempts`` counts the
    deliveries before this one: 0 for a fresh event, more after a worker died while
    holding it. ``payload`` is the event's JSON; a store that keeps the decoded object
    instead leaves it empty and sets ``raw`` (the built-in stores all keep bytes).
    ``shard`` and ``key`` are those of the :class:`QueuedEvent`; ``enqueued_at`` is when
    it was queued (epoch seconds).
    """

    id: str
    shard: int
    key: str
    payload: bytes
    enqueued_at: float
    attempts: int = 0
    raw: dict[str, Any] | None = None

    def json(self) -> bytes:
        """The event's JSON, however the store kept it."""
        return self.payload if self.raw is None else orjson.dumps(self.raw)


@attrs.frozen
class DeadLetter:
    """An event that failed every attempt (or could not be parsed), with its last error.

    Attributes:
        id: The store's ID of the dead letter (for :meth:`Store.replay` and
            :meth:`Store.purge`).
        event_id: The event's ``webhookEventId``, if it has one.
        key: Its ordering key (the chat ID, or the event ID).
        payload: The event's JSON.
        error: The last error, as text.
        attempts: How many times it was tried.
        failed_at: When it was given up on (epoch seconds).
    """

    id: str
    event_id: str | None
    key: str
    payload: bytes
    error: str
    attempts: int
    failed_at: float


@attrs.frozen
class ScheduledRecord:
    """A scheduled push as the store keeps it: when it is due (epoch seconds) and its JSON.

    Attributes:
        id: The push's ID.
        chat: The group, room or user it goes to.
        due: When it is due, in epoch seconds.
        payload: The push as JSON (messages and options).
    """

    id: str
    chat: str
    due: float
    payload: bytes


@attrs.frozen
class QueueStats:
    """How the queue is doing: waiting events, the oldest one's age, dead letters.

    Attributes:
        depth: Events queued and not yet acknowledged.
        oldest_age: Seconds the oldest of them has waited (``None``: the queue is empty).
        dead_letters: How many dead letters there are.
        workers: How many workers sent a heartbeat within their TTL.
    """

    depth: int
    oldest_age: float | None
    dead_letters: int
    workers: int


@runtime_checkable
class Store(Protocol):
    """Where everything durable lives: the event queue, dedupe records, leases, dead letters.

    Open one from a URL with :func:`linegroupbot.stores.open_store`. Every backend keeps
    the same promises (the contract tests check them on all three):

    - :meth:`enqueue` writes a request's events in one step and skips IDs seen before;
    - a shard is leased to one worker at a time; :meth:`read` returns the not yet
      acknowledged events of the given shards, oldest first;
    - an event stays in the queue until :meth:`ack`; a dead worker's shards go to
      another worker when the lease runs out, with their unacknowledged events.
    """

    url: str
    """The URL this store was opened from, password redacted."""
    shards: int
    """How many queue shards the events are spread over."""
    durable: bool
    """Whether accepted events survive the process (false for ``memory://``)."""

    async def open(self) -> None:
        """Connect and prepare; raises :class:`~linegroupbot.errors.StoreError` if unreachable."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...

    async def first_seen(self, event_id: str) -> bool:
        """Record ``event_id``; true unless it was recorded within the dedupe TTL."""
        ...

    async def enqueue(self, items: Sequence[QueuedEvent]) -> list[bool]:
        """Add events durably in one write.

        Args:
            items: The events of one webhook request.

        Returns:
            Per item, true if it was queued, false when its event ID was seen before.
        """
        ...

    async def heartbeat(self, worker_id: str, ttl: float) -> int:
        """Say ``worker_id`` is alive for ``ttl`` seconds; returns how many workers are."""
        ...

    async def leave(self, worker_id: str) -> None:
        """Forget ``worker_id`` (it stopped)."""
        ...

    async def claim_shards(
        self, owner: str, shards: Sequence[int], ttl: float, *, limit: int | None = None
    ) -> list[int]:
        """Renew or take leases on ``shards``.

        Args:
            owner: The worker's ID.
            shards: The shards it wants (those another live worker holds are skipped).
            ttl: Seconds the leases last unless renewed.
            limit: At most this many shards not already held are taken; ``None``: no limit.

        Returns:
            The shards ``owner`` holds now.
        """
        ...

    async def release_shards(self, owner: str, shards: Collection[int]) -> None:
        """Give up the leases ``owner`` holds on ``shards``."""
        ...

    async def read(
        self,
        owner: str,
        shards: Collection[int],
        *,
        exclude: Collection[str],
        count: int,
        block: float,
    ) -> list[Entry]:
        """Unacknowledged events of leased ``shards``, oldest first.

        Args:
            owner: The worker's ID, which holds the leases.
            shards: The shards to read.
            exclude: Entry IDs to skip (the worker has them already).
            count: At most this many events.
            block: Seconds to wait when there is nothing to read.
        """
        ...

    async def recover(self, owner: str, shard: int) -> list[Entry]:
        """Take over a newly leased shard's events that a previous owner held.

        Returns those events, oldest first, for the new owner to handle before anything
        :meth:`read` returns (stores whose :meth:`read` returns them anyway return ``[]``).

        Args:
            owner: The worker that now holds the lease.
            shard: The shard it took over.
        """
        ...

    async def ack(self, entries: Sequence[Entry]) -> None:
        """Remove handled ``entries`` from the queue."""
        ...

    async def giveback(self, owner: str, entries: Sequence[Entry]) -> None:
        """Return events ``owner`` read but never started: this delivery does not count.

        They stay in the queue for whoever holds their shard next, with ``attempts`` as
        they were before ``owner`` read them.

        Args:
            owner: The worker that read them.
            entries: The events to return.
        """
        ...

    async def dead_letter(self, entry: Entry | None, *, raw: bytes, key: str, error: str) -> None:
        """Move ``entry`` (or, with ``entry=None``, an event never queued) to the dead letters.

        Args:
            entry: The queued event, removed from the queue; ``None`` for one never queued.
            raw: The event's JSON.
            key: Its ordering key.
            error: What went wrong, as text.
        """
        ...

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The dead letters, oldest first, at most ``limit`` of them."""
        ...

    async def replay(self, dead_letter_id: str) -> bool:
        """Queue a dead letter again (its chat's order is not restored).

        Args:
            dead_letter_id: The dead letter's ``id``.

        Returns:
            Whether it was queued: false if unknown.
        """
        ...

    async def purge(self, dead_letter_id: str | None = None) -> int:
        """Delete one dead letter, or all of them.

        Args:
            dead_letter_id: The dead letter's ``id``; ``None``: every one.

        Returns:
            How many were deleted.
        """
        ...

    async def stats(self) -> QueueStats:
        """Queue depth, the oldest waiting event's age, dead letters and live workers."""
        ...

    async def state_get(self, key: str) -> tuple[bytes, int] | None:
        """The state value at ``key`` and its version (from 1), or ``None`` when absent or
        expired."""
        ...

    async def state_put(
        self,
        key: str,
        value: bytes | None,
        *,
        chat: str,
        member: str | None = None,
        expected: int = ANY_VERSION,
        ttl: float | None = None,
    ) -> int:
        """Write ``value`` (``None``: delete) if the version is still ``expected``.

        ``expected`` is :data:`~linegroupbot.stores.protocol.ANY_VERSION` (write anyway), 0
        (only if absent) or the version :meth:`state_get` returned. Returns the new version
        (1 for a delete), or 0 when the version did not match: someone else wrote first.
        ``chat`` and ``member`` say whose state it is, for :meth:`state_clear`.

        Args:
            key: The value's key.
            value: The bytes to keep; ``None`` deletes the value.
            chat: The chat the value belongs to.
            member: The member it belongs to, for member state.
            expected: The version the write is conditional on.
            ttl: Seconds after which the value expires; ``None``: never.
        """
        ...

    async def state_clear(self, chat: str, member: str | None = None) -> int:
        """Delete every state value of ``chat`` (members' too), or of one ``member`` in it.

        Returns:
            How many values were deleted.
        """
        ...

    async def schedule_add(self, record: ScheduledRecord) -> None:
        """Keep a scheduled push, ``record``, until it is done or cancelled."""
        ...

    async def schedule_claim(self, now: float, lease: float, limit: int) -> list[ScheduledRecord]:
        """Take pushes due by ``now``; each is hidden for ``lease`` seconds (then due again,
        should its sender die) unless :meth:`schedule_done` removes it first.

        Args:
            now: The time, in epoch seconds.
            lease: Seconds a taken push stays hidden.
            limit: At most this many pushes.
        """
        ...

    async def schedule_done(self, record: ScheduledRecord) -> None:
        """Remove a sent (or dropped) push, ``record``."""
        ...

    async def schedule_list(self, chat: str) -> list[ScheduledRecord]:
        """The pushes still to send to ``chat``, soonest first."""
        ...

    async def schedule_cancel(self, schedule_id: str) -> bool:
        """Remove the push ``schedule_id`` before it is sent.

        Returns:
            Whether it was removed: false when unknown (or already sent).
        """
        ...
