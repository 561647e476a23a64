"""Scheduled pushes: send messages to a chat later, durably, once.

``await ctx.push_later(3600, "Stand-up in 5 minutes!")`` (or ``bot.push_later(chat_id,
when, ...)``) stores the push in the bot's store; the worker sends it when it is due.
A restart loses nothing; a push whose time passed while the bot was down is sent when
it is back, unless it is older than ``max_lateness``; several workers send it once (a
push is leased while sent, and its retry key comes from its ID); a cancelled push is
never sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs
import orjson

from .client import begin_retry_keys, end_retry_keys, next_derived_key
from .convert import unstructure
from .errors import (
    ConfigurationError,
    LineApiError,
    LineConnectionError,
    RateLimitError,
    describe_error,
)
from .logging import get_logger
from .messages import Messages, normalize
from .stores.protocol import ScheduledRecord, Store

if TYPE_CHECKING:
    from .client import LineClient

__all__ = ["ScheduledPush", "Scheduler", "When", "cancel", "due_time", "pending", "schedule"]

_log = get_logger("linegroupbot.schedule")

When = float | int | dt.timedelta | dt.datetime
"""Seconds from now, a ``timedelta`` from now, or an aware ``datetime``."""


@attrs.frozen
class ScheduledPush:
    """A push waiting in the store: to ``chat_id``, due at ``due`` (epoch seconds).

    ``id`` cancels it (``ctx.cancel_scheduled(push.id)``); ``messages`` are LINE's JSON
    of the messages, validated when it was scheduled; ``notification_disabled`` sends
    them without a sound; ``max_lateness`` is how many seconds past due it may still be
    sent (``None``: always).
    """

    id: str
    chat_id: str
    due: float
    messages: tuple[dict[str, Any], ...]
    notification_disabled: bool = False
    max_lateness: float | None = None

    @property
    def due_at(self) -> dt.datetime:
        """When it is due, as an aware UTC ``datetime``."""
        return dt.datetime.fromtimestamp(self.due, tz=dt.UTC)

    def record(self) -> ScheduledRecord:
        """How the store keeps it."""
        payload = orjson.dumps(
            {
                "messages": list(self.messages),
                "notification_disabled": self.notification_disabled,
                "max_lateness": self.max_lateness,
            }
        )
        return ScheduledRecord(self.id, self.chat_id, self.due, payload)

    @classmethod
    def from_record(cls, record: ScheduledRecord) -> ScheduledPush:
        """Read a push back from the store's ``record``."""
        data = orjson.loads(record.payload)
        return cls(
            id=record.id,
            chat_id=record.chat,
            due=record.due,
            messages=tuple(data["messages"]),
            notification_disabled=bool(data.get("notification_disabled")),
            max_lateness=data.get("max_lateness"),
        )


def due_time(when: When, *, now: float | None = None) -> float:
    """Epoch seconds for ``when``.

    Args:
        when: Seconds from now, a ``timedelta`` from now, or an aware ``datetime``.
        now: The time to count from, in epoch seconds (default: the clock's).

    Raises:
        ConfigurationError: A naive ``datetime`` (say its time zone), or something that is
            none of these.
    """
    now = time.time() if now is None else now
    if isinstance(when, dt.datetime):
        if when.tzinfo is None:
            raise ConfigurationError(
                "a naive datetime is ambiguous: give it a time zone, e.g. "
                "datetime(2026, 12, 1, 9, tzinfo=ZoneInfo('Asia/Tokyo'))"
            )
        return when.timestamp()
    if isinstance(when, dt.timedelta):
        return now + when.total_seconds()
    if isinstance(when, bool) or not isinstance(when, int | float):
        raise ConfigurationError(
            f"when must be seconds, a timedelta or an aware datetime, not {type(when).__name__}"
        )
    return now + float(when)


async def schedule(
    store: Store,
    chat_id: str,
    when: When,
    messages: Iterable[Messages],
    *,
    notification_disabled: bool = False,
    max_lateness: float | dt.timedelta | None = None,
    schedule_id: str | None = None,
) -> ScheduledPush:
    """Store a push to ``chat_id`` for ``when``; the messages are validated now.

    Inside a handler the ID comes from the event (as retry keys do), so a handler run again
    after a crash schedules the same push again rather than a second one. Bots use
    ``ctx.push_later()`` or ``bot.push_later()``; this is what they call.

    Args:
        store: The store to keep it in.
        chat_id: The group, room or user to push to.
        when: Seconds from now, a ``timedelta``, or an aware ``datetime``.
        messages: Up to five messages (or strings).
        notification_disabled: Deliver without a notification sound.
        max_lateness: Seconds (or a timedelta) past due after which the push is dropped
            instead of sent; ``None``: always sent.
        schedule_id: The push's ID; default: derived from the event in a handler, else
            random.

    Raises:
        MessageValidationError: A message LINE would refuse.
        ConfigurationError: ``when`` is not a time (see :func:`due_time`).
    """
    if isinstance(max_lateness, dt.timedelta):
        max_lateness = max_lateness.total_seconds()
    push = ScheduledPush(
        id=schedule_id or next_derived_key() or uuid.uuid4().hex,
        chat_id=chat_id,
        due=due_time(when),
        messages=tuple(unstructure(list(normalize(messages)))),
        notification_disabled=notification_disabled,
        max_lateness=max_lateness,
    )
    await store.schedule_add(push.record())
    return push


async def pending(store: Store, chat_id: str) -> list[ScheduledPush]:
    """The pushes still to send to ``chat_id``, soonest first, from ``store``."""
    return [ScheduledPush.from_record(r) for r in await store.schedule_list(chat_id)]


async def cancel(store: Store, schedule_id: str) -> bool:
    """Cancel the push ``schedule_id`` in ``store``; false when it is unknown or already sent."""
    return await store.schedule_cancel(schedule_id)


class Scheduler:
    """Sends due pushes (part of every worker).

    Args:
        store: The store the pushes wait in.
        client: The :class:`~linegroupbot.client.LineClient` to push with, or a function
            returning it.
        poll_interval: Seconds between looks for due pushes (:meth:`poke` looks at once).
        lease: Seconds a push taken for sending stays hidden from other senders.
        batch: At most this many pushes per look.
    """

    def __init__(
        self,
        store: Store,
        client: Any,
        *,
        poll_interval: float = 0.5,
        lease: float = 30.0,
        batch: int = 50,
    ) -> None:
        self.store = store
        self._client = client
        self.poll_interval = poll_interval
        self.lease = lease
        self.batch = batch
        self.sent = 0
        self.dropped = 0
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False

    def start(self) -> None:
        """Start sending in the background."""
        self._task = asyncio.create_task(self._loop(), name="linegroupbot-scheduler")

    async def stop(self) -> None:
        """Stop (a push being sent finishes or is tried again after its lease)."""
        if self._task is not None:
            # The flag, not only the cancel: asyncio.wait_for may swallow a cancellation
            # that arrives as its event fires (Python < 3.12).
            self._stopping = True
            self._wake.set()
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def poke(self) -> None:
        """Look for due pushes now (a push was just scheduled)."""
        self._wake.set()

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                sent = await self.run_due()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                _log.error("schedule_failed", error=describe_error(error))
                sent = 0
            if sent < self.batch and not self._stopping:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval)

    async def run_due(self, now: float | None = None) -> int:
        """Send (or drop) every push due by ``now``; returns how many were taken."""
        now = time.time() if now is None else now
        records = await self.store.schedule_claim(now, self.lease, self.batch)
        for record in records:
            await self._send(ScheduledPush.from_record(record), record, now)
        return len(records)

    async def _send(self, push: ScheduledPush, record: ScheduledRecord, now: float) -> None:
        log = _log.bind(schedule_id=push.id, chat_id=push.chat_id)
        late = now - push.due
        if push.max_lateness is not None and late > push.max_lateness:
            log.warning("scheduled_push_dropped", late_s=round(late, 1), limit=push.max_lateness)
            self.dropped += 1
            await self.store.schedule_done(record)
            return
        client: LineClient = self._client() if callable(self._client) else self._client
        token = begin_retry_keys(f"schedule:{push.id}")  # a second sender gets LINE's 409
        try:
            await client.push_raw(
                push.chat_id, push.messages, notification_disabled=push.notification_disabled
            )
        except (LineConnectionError, RateLimitError) as error:
            log.warning("scheduled_push_retry_later", error=str(error), retry_in=self.lease)
            return
        except LineApiError as error:
            if error.status >= 500:
                log.warning("scheduled_push_retry_later", error=str(error), retry_in=self.lease)
                return
            log.error("scheduled_push_failed", status=error.status, error=str(error))
            await self.store.schedule_done(record)
            return
        finally:
            end_retry_keys(token)
        self.sent += 1
        log.info("scheduled_push_sent", late_s=round(max(0.0, late), 1))
        await self.store.schedule_done(record)
