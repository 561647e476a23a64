"""Stores in this process's memory: fast, shared by nothing, gone with the process."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import OrderedDict
from collections.abc import Collection, Sequence

import orjson

from .protocol import (
    ANY_VERSION,
    DeadLetter,
    Entry,
    QueuedEvent,
    QueueStats,
    ScheduledRecord,
    event_id_in,
    shard_of,
)

__all__ = ["MemoryDedupeStore", "MemoryStore"]


class MemoryDedupeStore:
    """Remembers event IDs for ``ttl`` seconds, at most ``max_entries`` of them (oldest go first).

    Good for one process; LINE redelivers within hours at most, so a day is the default.
    Implements :class:`~linegroupbot.stores.DedupeStore`.
    """

    def __init__(self, *, ttl: float = 24 * 3600, max_entries: int = 100_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._seen: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    async def first_seen(self, event_id: str) -> bool:
        """Record ``event_id``; true unless it was recorded within the TTL."""
        return self.record(event_id)

    def record(self, event_id: str) -> bool:
        """:meth:`~linegroupbot.stores.DedupeStore.first_seen` without the coroutine (for callers
        already in the loop).

        Args:
            event_id: The webhook event ID.

        Returns:
            True the first time, false when it was recorded within the TTL.
        """
        return self.record_many((event_id,))[0]

    def record_many(self, event_ids: Sequence[str | None]) -> list[bool]:
        """:meth:`record` for a request's events at once (one clock read, one trim).

        Args:
            event_ids: The webhook event IDs; ``None`` (an event without one) is never a
                duplicate and is not recorded.

        Returns:
            For each ID, true the first time, false when it was recorded within the TTL.
        """
        now = time.monotonic()
        seen = self._seen
        horizon = now - self.ttl
        while seen and next(iter(seen.values())) < horizon:
            seen.popitem(last=False)
        fresh: list[bool] = []
        for event_id in event_ids:
            if event_id is None:
                fresh.append(True)
            elif event_id in seen:
                fresh.append(False)
            else:
                seen[event_id] = now
                fresh.append(True)
        while len(seen) > self.max_entries:
            seen.popitem(last=False)
        return fresh

    async def close(self) -> None:
        """Forget everything."""
        self._seen.clear()


class MemoryStore:
    """The whole store in memory (``memory://``): for development, tests and benchmarks.

    Events live only as long as the process: a crash or a restart loses what was queued.
    Events are kept as their JSON bytes, as the durable stores keep them (the receiver has
    them already): a backlog of bytes is nothing the garbage collector has to walk, where
    decoded JSON objects are several containers per event, and the worker decodes bytes
    into typed events as fast as it structures decoded JSON.
    Like a Redis consumer group, each shard has unread events and events read by a worker
    and not yet acknowledged (pending); ``recover`` hands a shard's pending events to
    its new owner. Implements :class:`~linegroupbot.stores.Store`.

    Args:
        shards: How many queue shards.
        dedupe_ttl: Seconds event IDs are remembered for dedupe.
    """

    durable = False

    def __init__(self, *, shards: int = 16, dedupe_ttl: float = 24 * 3600) -> None:
        self.url = "memory://"
        self.shards = shards
        self.dedupe = MemoryDedupeStore(ttl=dedupe_ttl)
        self._unread: list[OrderedDict[str, Entry]] = [OrderedDict() for _ in range(shards)]
        self._pending: list[dict[str, tuple[str, Entry]]] = [{} for _ in range(shards)]
        self._ids = itertools.count(1)
        self._dead: OrderedDict[str, DeadLetter] = OrderedDict()
        self._dead_ids = itertools.count(1)
        self._leases: dict[int, tuple[str, float]] = {}
        self._workers: dict[str, float] = {}
        self._wakeup = asyncio.Event()
        # key -> (value, version, expires at (monotonic) or None, chat, member)
        self._state: dict[str, tuple[bytes, int, float | None, str, str | None]] = {}
        self._scheduled: dict[str, tuple[ScheduledRecord, float]] = {}  # id -> (record, run at)

    def __repr__(self) -> str:
        return f"MemoryStore(shards={self.shards}, depth={self.depth})"

    @property
    def depth(self) -> int:
        """How many events are queued (read or not) and not yet acknowledged."""
        return sum(len(q) for q in self._unread) + sum(len(p) for p in self._pending)

    async def open(self) -> None:
        """Nothing to connect to."""

    async def close(self) -> None:
        """Forget the dedupe records (queued events stay until the object goes)."""
        await self.dedupe.close()

    async def first_seen(self, event_id: str) -> bool:
        """Record ``event_id``; true unless it was recorded within the dedupe TTL."""
        return self.dedupe.record(event_id)

    async def enqueue(self, items: Sequence[QueuedEvent]) -> list[bool]:
        """Queue the events whose IDs are new."""
        # Serialized first: an event that cannot be (nested too deeply) is refused whole,
        # before its ID is recorded as seen.
        payloads = [item.payload or orjson.dumps(item.raw) for item in items]
        dedupe = self.dedupe
        if type(dedupe).record is MemoryDedupeStore.record:  # one call for the request
            accepted = dedupe.record_many([item.event_id for item in items])
        else:  # a subclass's own record() sees every event
            accepted = [item.event_id is None or dedupe.record(item.event_id) for item in items]
        now = time.time()
        unread, ids = self._unread, self._ids
        woken = False
        for item, payload, fresh in zip(items, payloads, accepted, strict=True):
            if fresh:
                entry_id = str(next(ids))
                unread[item.shard][entry_id] = Entry(entry_id, item.shard, item.key, payload, now)
                woken = True
        if woken:
            self._wakeup.set()
        return accepted

    async def heartbeat(self, worker_id: str, ttl: float) -> int:
        """Record ``worker_id`` as alive; count the live workers."""
        now = time.monotonic()
        self._workers[worker_id] = now + ttl
        for worker, expires in list(self._workers.items()):
            if expires < now:
                del self._workers[worker]
        return len(self._workers)

    async def leave(self, worker_id: str) -> None:
        """Forget ``worker_id``."""
        self._workers.pop(worker_id, None)

    async def claim_shards(
        self, owner: str, shards: Sequence[int], ttl: float, *, limit: int | None = None
    ) -> list[int]:
        """Renew or take leases; at most ``limit`` new ones."""
        now = time.monotonic()
        held: list[int] = []
        taken = 0
        for shard in shards:
            current = self._leases.get(shard)
            if current is not None and current[0] != owner and current[1] > now:
                continue
            if current is None or current[0] != owner:
                if limit is not None and taken >= limit:
                    continue
                taken += 1
            self._leases[shard] = (owner, now + ttl)
            held.append(shard)
        return held

    async def release_shards(self, owner: str, shards: Collection[int]) -> None:
        """Drop ``owner``'s leases on ``shards``."""
        for shard in shards:
            current = self._leases.get(shard)
            if current is not None and current[0] == owner:
                del self._leases[shard]

    async def read(
        self,
        owner: str,
        shards: Collection[int],
        *,
        exclude: Collection[str],
        count: int,
        block: float,
    ) -> list[Entry]:
        """Unread events of ``shards``, oldest first per shard (``exclude`` is not needed)."""
        found = self._take(owner, shards, count)
        if not found and block > 0:
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), block)
            except TimeoutError:
                return []
            found = self._take(owner, shards, count)
        return found

    def _take(self, owner: str, shards: Collection[int], count: int) -> list[Entry]:
        found: list[Entry] = []
        for shard in shards:
            unread = self._unread[shard]
            pending = self._pending[shard]
            while unread and len(found) < count:
                entry_id, entry = unread.popitem(last=False)
                pending[entry_id] = (owner, entry)
                found.append(entry)
            if len(found) >= count:
                break
        return found

    async def recover(self, owner: str, shard: int) -> list[Entry]:
        """Take over the shard's pending events of other owners, one delivery more each."""
        pending = self._pending[shard]
        taken: list[Entry] = []
        for entry_id, (holder, entry) in pending.items():
            if holder != owner:
                entry.attempts += 1
                pending[entry_id] = (owner, entry)
                taken.append(entry)
        taken.sort(key=lambda e: int(e.id))
        return taken

    async def ack(self, entries: Sequence[Entry]) -> None:
        """Remove the events."""
        for entry in entries:
            self._pending[entry.shard].pop(entry.id, None)

    async def giveback(self, owner: str, entries: Sequence[Entry]) -> None:
        """Put the events back among the unread, in order."""
        touched: set[int] = set()
        for entry in entries:
            held = self._pending[entry.shard].get(entry.id)
            if held is not None and held[0] == owner:
                del self._pending[entry.shard][entry.id]
                self._unread[entry.shard][entry.id] = held[1]
                touched.add(entry.shard)
        for shard in touched:
            ordered = sorted(self._unread[shard].items(), key=lambda item: int(item[0]))
            self._unread[shard] = OrderedDict(ordered)
        if touched:
            self._wakeup.set()

    async def dead_letter(self, entry: Entry | None, *, raw: bytes, key: str, error: str) -> None:
        """Keep the event with its error; remove it from the queue."""
        if entry is not None:
            self._pending[entry.shard].pop(entry.id, None)
            self._unread[entry.shard].pop(entry.id, None)
        dead_id = str(next(self._dead_ids))
        self._dead[dead_id] = DeadLetter(
            id=dead_id,
            event_id=event_id_in(raw),
            key=key,
            payload=raw,
            error=error,
            attempts=(entry.attempts + 1) if entry is not None else 0,
            failed_at=time.time(),
        )

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The dead letters, oldest first."""
        return list(itertools.islice(self._dead.values(), limit))

    async def replay(self, dead_letter_id: str) -> bool:
        """Queue the dead letter's event again."""
        dead = self._dead.pop(dead_letter_id, None)
        if dead is None:
            return False
        raw = orjson.loads(dead.payload)
        shard = shard_of(dead.key, self.shards)
        await self.enqueue([QueuedEvent(None, dead.key, shard, raw, dead.payload)])
        return True

    async def purge(self, dead_letter_id: str | None = None) -> int:
        """Delete one dead letter or all."""
        if dead_letter_id is None:
            count = len(self._dead)
            self._dead.clear()
            return count
        return 1 if self._dead.pop(dead_letter_id, None) is not None else 0

    async def stats(self) -> QueueStats:
        """Depth, oldest age, dead letters, live workers."""
        firsts = [next(iter(q.values())).enqueued_at for q in self._unread if q]
        firsts += [min(e.enqueued_at for _, e in p.values()) for p in self._pending if p]
        oldest = min(firsts, default=None)
        now = time.monotonic()
        return QueueStats(
            depth=self.depth,
            oldest_age=None if oldest is None else max(0.0, time.time() - oldest),
            dead_letters=len(self._dead),
            workers=sum(1 for expires in self._workers.values() if expires >= now),
        )

    # --- state ------------------------------------------------------------------------------

    def _live(self, key: str) -> tuple[bytes, int, float | None, str, str | None] | None:
        record = self._state.get(key)
        if record is not None and record[2] is not None and record[2] <= time.monotonic():
            del self._state[key]
            return None
        return record

    async def state_get(self, key: str) -> tuple[bytes, int] | None:
        """The value and version, unless absent or expired."""
        record = self._live(key)
        return None if record is None else (record[0], record[1])

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
        """Compare the version and write, in one step (nothing else runs in between)."""
        record = self._live(key)
        current = 0 if record is None else record[1]
        if expected != ANY_VERSION and expected != current:
            return 0
        if value is None:
            self._state.pop(key, None)
            return 1
        expires = None if ttl is None else time.monotonic() + ttl
        self._state[key] = (value, current + 1, expires, chat, member)
        return current + 1

    async def state_clear(self, chat: str, member: str | None = None) -> int:
        """Delete the chat's (or the member's) values."""
        doomed = [
            key
            for key, (_, _, _, owner, who) in self._state.items()
            if owner == chat and (member is None or who == member)
        ]
        for key in doomed:
            del self._state[key]
        return len(doomed)

    # --- scheduled pushes ---------------------------------------------------------------------

    async def schedule_add(self, record: ScheduledRecord) -> None:
        """Keep it until done or cancelled."""
        self._scheduled[record.id] = (record, record.due)

    async def schedule_claim(self, now: float, lease: float, limit: int) -> list[ScheduledRecord]:
        """Due pushes, each hidden for ``lease`` seconds."""
        due = sorted(
            (item for item in self._scheduled.values() if item[1] <= now), key=lambda i: i[1]
        )[:limit]
        for record, _ in due:
            self._scheduled[record.id] = (record, now + lease)
        return [record for record, _ in due]

    async def schedule_done(self, record: ScheduledRecord) -> None:
        """Forget it."""
        self._scheduled.pop(record.id, None)

    async def schedule_list(self, chat: str) -> list[ScheduledRecord]:
        """The chat's pushes, soonest first."""
        found = [record for record, _ in self._scheduled.values() if record.chat == chat]
        return sorted(found, key=lambda r: (r.due, r.id))

    async def schedule_cancel(self, schedule_id: str) -> bool:
        """Forget it before it is sent."""
        return self._scheduled.pop(schedule_id, None) is not None
