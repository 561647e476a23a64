"""The queue consumer: lease shards, take events, handle them in per-chat order, acknowledge.

A worker holds leases on a share of the store's shards (renewed every third of
``lease_ttl``; a share is the shard count over the live workers, so shards move
when workers come and go). It reads the unacknowledged events of its shards, runs
each chat's events one after another (different chats concurrently, up to
``concurrency``), and acknowledges an event only after its handlers finished. An
event whose handlers keep failing is tried ``max_attempts`` times, then moved to the
dead letters so its chat goes on. An event whose workers keep dying while they hold it
(it crashes the process, say) is dead-lettered after ``max_deliveries`` deliveries; a
worker that stops gracefully gives back the events it read ahead but never started, so
rolling restarts do not use up deliveries.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import os
import socket
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from . import events as ev
from .convert import structure_event
from .errors import (
    ConfigurationError,
    LineApiError,
    LineConnectionError,
    LineGroupBotError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    describe_error,
)
from .logging import get_logger
from .stores import Entry, Store
from .stores.protocol import event_id_in

__all__ = ["Worker", "is_retryable"]

_log = get_logger("linegroupbot.worker")

_ACK_BATCH = 256

Handle = Callable[[ev.Event, int], Awaitable[None]]
"""What a worker calls per event: ``handle(event, attempt)``; raising means it failed."""


def is_retryable(error: BaseException) -> bool:
    """Whether running the handlers again might succeed.

    LINE's 429 and 5xx answers and lost connections might; a misuse (a reply without a
    token, a group-only call in a 1:1 chat, a message LINE refuses as invalid) will not.
    Errors that are not linegroupbot's own (a bug, a database timeout) are retried.

    Args:
        error: What the handlers raised.
    """
    if isinstance(error, QuotaExceededError):
        return False  # the month's quota does not come back within a retry's wait
    if isinstance(error, LineConnectionError | RateLimitError | ServerError):
        return True
    if isinstance(error, LineApiError | ConfigurationError):
        return False
    return not isinstance(error, LineGroupBotError)


class Worker:
    """Takes events from ``store`` and runs ``handle`` on them (see the module docs).

    Args:
        store: The store whose queue it consumes.
        handle: ``async def handle(event, attempt)``: runs the handlers (the bot's
            ``process``).
        concurrency: How many events (of different chats) are handled at once.
        max_attempts: How many times an event whose handlers fail is tried before it is
            dead-lettered.
        max_deliveries: How many times an event is handed out (workers dying while they
            hold it) before it is dead-lettered.
        retry_delay: Seconds before a failed event is tried again.
        lease_ttl: Seconds a shard lease lasts unless renewed.
        drain_timeout: Seconds :meth:`stop` waits for handlers still running.
        prefetch: How many events it holds read ahead at most (default: twice
            ``concurrency``, at least 32).
        block: Seconds a read waits for new events.
        ack_delay: Seconds acknowledgements wait to share one write.
        worker_id: Its ID in leases and health reports (default: host, process ID and a
            random part).
        stuck_after: Seconds after which a running handler counts as stuck in health
            reports.

    Raises:
        ConfigurationError: A count below 1, or a negative or zero time.
    """

    def __init__(
        self,
        store: Store,
        handle: Handle,
        *,
        concurrency: int = 64,
        max_attempts: int = 3,
        max_deliveries: int = 10,
        retry_delay: float = 0.5,
        lease_ttl: float = 15.0,
        drain_timeout: float = 10.0,
        prefetch: int | None = None,
        block: float = 1.0,
        ack_delay: float = 0.005,
        worker_id: str | None = None,
        stuck_after: float = 300.0,
    ) -> None:
        if max_attempts < 1:
            raise ConfigurationError(f"max_attempts must be at least 1, not {max_attempts}")
        if max_deliveries < 1:
            raise ConfigurationError(f"max_deliveries must be at least 1, not {max_deliveries}")
        if concurrency < 1:
            raise ConfigurationError(
                f"concurrency must be at least 1 (handlers at once), not {concurrency}"
            )
        if lease_ttl <= 0:
            raise ConfigurationError(f"lease_ttl must be a positive number of seconds: {lease_ttl}")
        if retry_delay < 0:
            raise ConfigurationError(f"retry_delay must not be negative: {retry_delay}")
        self.store = store
        self.handle = handle
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.max_deliveries = max_deliveries
        self.retry_delay = retry_delay
        self.lease_ttl = lease_ttl
        self.drain_timeout = drain_timeout
        self.prefetch = prefetch or max(2 * concurrency, 32)
        self.block = block
        self.id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.owned: set[int] = set()
        self.releasing: set[int] = set()
        self.handled = 0
        self.dead_lettered = 0
        self.read_failures = 0
        self.last_error: str | None = None
        self._limit = _Slots(concurrency)
        self._chats: dict[str, collections.deque[Entry]] = {}
        self._drainers: set[asyncio.Task[None]] = set()
        # Drainers whose chat is drained wait here for the next chat, instead of ending
        # (starting a task per chat costs more than waking one).
        self._idle: collections.deque[asyncio.Future[tuple[str, collections.deque[Entry]]]] = (
            collections.deque()
        )
        self._current: dict[asyncio.Task[None], Entry] = {}
        self._since: dict[asyncio.Task[None], float] = {}
        self.stuck_after = stuck_after
        self._ids: set[str] = set()
        self._unstarted: list[Entry] = []
        self._reading: frozenset[int] = frozenset()
        self._per_shard: dict[int, int] = {}
        self._acks: list[Entry] = []
        self._ack_task: asyncio.Task[None] | None = None
        self._ack_lock = asyncio.Lock()
        self._ack_wake = asyncio.Event()
        self._acking = 0  # handled, their acks not yet written
        self.ack_delay = ack_delay
        self._room = asyncio.Event()
        self._stop = asyncio.Event()
        self._stopping = False  # _stop.is_set(), read per event without a call
        self._leases_done = asyncio.Event()
        self._loops: list[asyncio.Task[None]] = []
        self._order = sorted(
            range(store.shards), key=lambda s: zlib.crc32(f"{self.id}:{s}".encode())
        )
        self._log = _log.bind(worker_id=self.id)

    def __repr__(self) -> str:
        return f"Worker({self.id!r}, shards={len(self.owned)}, in_flight={self.in_flight})"

    @property
    def in_flight(self) -> int:
        """Events taken from the queue and not yet acknowledged."""
        return len(self._ids)

    @property
    def running(self) -> int:
        """Handlers running now."""
        return len(self._current)

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Lease a first share of shards, then read and renew in the background."""
        await self._rebalance()
        self._loops = [
            asyncio.create_task(self._read_loop(), name="linegroupbot-worker-read"),
            asyncio.create_task(self._lease_loop(), name="linegroupbot-worker-lease"),
        ]
        self._log.info("worker_started", shards=sorted(self.owned), store=self.store.url)

    async def stop(self) -> None:
        """Stop reading; let started handlers finish (``drain_timeout``); leave the rest queued."""
        self._stop.set()  # no handler starts from now on
        self._stopping = True
        reader, lease_keeper = self._loops[:1], self._loops[1:]
        for task in reader:
            task.cancel()
        await asyncio.gather(*reader, return_exceptions=True)
        # The leases stay renewed while handlers drain (``drain_timeout`` may be longer than
        # ``lease_ttl``): nobody else may take these chats until this worker is done.
        started = set(self._current)
        for task in self._drainers - started:
            task.cancel()  # waiting chats: their events stay queued for another worker
        if started:
            self._log.info("draining", in_flight=len(started), timeout=self.drain_timeout)
            _, still = await asyncio.wait(started, timeout=self.drain_timeout)
            if still:
                self._log.warning(
                    "drain_cut_off",
                    cancelled=len(still),
                    webhook_event_ids=[_event_id(self._current.get(t)) for t in still],
                )
                for task in still:
                    task.cancel()
        await asyncio.gather(*self._drainers, return_exceptions=True)
        if self._ack_task is not None:  # an ack already on its way: let it land
            await asyncio.gather(self._ack_task, return_exceptions=True)
        await self._flush_acks()
        if self._unstarted:
            try:  # read ahead, never started: their delivery does not count
                await self.store.giveback(self.id, self._unstarted)
            except Exception as error:
                self._log.warning("giveback_failed", error=describe_error(error))
            self._unstarted = []
        self._leases_done.set()
        await asyncio.gather(*lease_keeper, return_exceptions=True)
        self._loops = []
        try:
            await self.store.release_shards(self.id, self.owned | self.releasing)
            await self.store.leave(self.id)
        except Exception as error:
            self._log.warning("worker_leave_failed", error=describe_error(error))
        self.owned.clear()
        self.releasing.clear()
        self._log.info("worker_stopped", handled=self.handled)

    # --- leases -----------------------------------------------------------------------------

    async def _lease_loop(self) -> None:
        interval = self.lease_ttl / 3
        while not self._leases_done.is_set():
            try:
                await asyncio.wait_for(self._leases_done.wait(), interval)
                return
            except TimeoutError:
                pass
            try:
                await self._rebalance()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self._log.error("lease_renewal_failed", error=describe_error(error))

    async def _rebalance(self) -> None:
        store = self.store
        live = await store.heartbeat(self.id, self.lease_ttl)
        target = math.ceil(store.shards / max(1, live))
        mine = self.owned | self.releasing
        if mine:
            held = set(await store.claim_shards(self.id, sorted(mine), self.lease_ttl))
            lost = mine - held
            if lost:
                self._log.warning("lease_lost", shards=sorted(lost))
                self.owned -= lost
                self.releasing -= lost
        # A shard is handed over once nothing of it is in flight here and no read under
        # way may still return its events.
        done = {s for s in self.releasing if not self._per_shard.get(s) and s not in self._reading}
        if done:
            await store.release_shards(self.id, done)
            self.releasing -= done
            self._log.info("shards_released", shards=sorted(done))
        if self._stop.is_set():
            return  # stopping: keep what is held renewed, take nothing new
        if len(self.owned) > target:
            extra = sorted(self.owned, key=self._order.index)[target:]
            self.owned -= set(extra)
            self.releasing |= set(extra)
        elif len(self.owned) < target:
            free = [s for s in self._order if s not in self.owned and s not in self.releasing]
            new = await store.claim_shards(
                self.id, free, self.lease_ttl, limit=target - len(self.owned)
            )
            for shard in new:
                recovered = await store.recover(self.id, shard)
                for entry in recovered:
                    self._dispatch(entry)
                self.owned.add(shard)
            if new:
                self._log.info("shards_taken", shards=sorted(new), target=target, workers=live)
                self._room.set()

    # --- reading and dispatching ---------------------------------------------------------------

    async def _read_loop(self) -> None:
        while not self._stop.is_set():
            room = self.prefetch - (len(self._ids) - self._acking)
            if room <= 0:
                self._room.clear()
                await self._room.wait()
                continue
            shards = sorted(self.owned)
            self._reading = frozenset(shards)
            try:
                entries = await self.store.read(
                    self.id, shards, exclude=self._ids, count=room, block=self.block
                )
                self.read_failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.read_failures += 1
                self.last_error = describe_error(error)
                self._log.error("queue_read_failed", error=self.last_error)
                await asyncio.sleep(min(5.0, 0.1 * 2**self.read_failures))
                continue
            finally:
                self._reading = frozenset()
            for entry in entries:
                if entry.id not in self._ids:
                    self._dispatch(entry)

    def _dispatch(self, entry: Entry) -> None:
        """Queue ``entry`` behind its chat's earlier events (one drainer task per busy chat)."""
        self._ids.add(entry.id)
        self._per_shard[entry.shard] = self._per_shard.get(entry.shard, 0) + 1
        queue = self._chats.get(entry.key)
        if queue is not None:
            queue.append(entry)
            return
        queue = self._chats[entry.key] = collections.deque((entry,))
        idle = self._idle
        while idle:
            waiter = idle.popleft()
            if not waiter.done():
                waiter.set_result((entry.key, queue))
                return
        task = asyncio.create_task(self._drain(entry.key, queue))
        self._drainers.add(task)
        task.add_done_callback(self._drainers.discard)

    async def _drain(self, key: str, queue: collections.deque[Entry]) -> None:
        """Handle chats' events in order, one chat after another: this one, then the next
        new chat :meth:`_dispatch` hands over while this task waits idle."""
        task = asyncio.current_task()
        assert task is not None
        while True:
            await self._drain_chat(task, key, queue)
            if self._stop.is_set() or task.cancelling() or len(self._idle) >= self.concurrency:
                return
            waiter: asyncio.Future[tuple[str, collections.deque[Entry]]]
            waiter = asyncio.get_running_loop().create_future()
            self._idle.append(waiter)
            try:
                key, queue = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():  # handed a chat, then stopped
                    self._abandon(*waiter.result(), None)
                return

    async def _drain_chat(
        self, task: asyncio.Task[None], key: str, queue: collections.deque[Entry]
    ) -> None:
        """Handle one chat's events one after another (until it has none, or stopping)."""
        started: Entry | None = None
        try:
            limit = self._limit
            current, since = self._current, self._since
            while queue and not self._stopping:
                if limit.free and not limit._waiters:  # limit.try_take(), without the call
                    limit.free -= 1
                else:
                    await limit.take()
                    if self._stop.is_set():  # stopped while it waited for a slot
                        limit.give()
                        break
                try:
                    started = current[task] = queue[0]
                    since[task] = time.monotonic()
                    try:
                        await self._process(started)
                    finally:
                        del current[task]
                        del since[task]
                finally:
                    if limit._waiters:
                        limit.give()
                    else:  # limit.give(), without the call
                        limit.free += 1
                queue.popleft()
                started = None
        except asyncio.CancelledError:
            pass  # stopping: what was not acknowledged stays queued for another worker
        except Exception as error:
            self._log.error("worker_task_failed", key=key, error=describe_error(error))
        finally:
            self._abandon(key, queue, started)

    def _abandon(self, key: str, queue: collections.deque[Entry], started: Entry | None) -> None:
        """The chat's queue is done with here: what is left in it is read again later."""
        if self._chats.get(key) is queue:
            del self._chats[key]
        stopping = self._stop.is_set()
        for entry in queue:  # not handled here: read again later, in order
            if stopping and entry is not started:
                self._unstarted.append(entry)
            self._forget(entry)

    def _forget(self, entry: Entry) -> None:
        self._forget_all((entry,))

    def _forget_all(self, entries: Iterable[Entry]) -> None:
        ids, per_shard = self._ids, self._per_shard
        for entry in entries:
            ids.discard(entry.id)
            left = per_shard.get(entry.shard, 1) - 1
            if left:
                per_shard[entry.shard] = left
            else:
                per_shard.pop(entry.shard, None)
        self._room.set()

    async def _process(self, entry: Entry) -> None:
        try:
            if entry.raw is not None:  # a store that keeps decoded JSON
                event = structure_event(entry.raw)
            else:  # JSON bytes: decoded straight into the event
                event = (_decoder or _load_decoder())(entry.payload)
        except Exception as error:
            await self._dead_letter(entry, f"cannot parse the event: {error}")
            return
        if entry.attempts >= self.max_deliveries:
            await self._dead_letter(
                entry,
                f"delivered {entry.attempts} times and never finished: the worker died each "
                "time (does this event crash the process?)",
                attempts=entry.attempts,
            )
            return
        tries = 0
        while True:
            tries += 1
            # ctx.attempt: a redelivered event may have run before (replies are skipped then).
            attempt = entry.attempts + tries
            try:
                await self.handle(event, attempt)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if tries >= self.max_attempts or not is_retryable(error):
                    await self._dead_letter(entry, describe_error(error), attempts=attempt)
                    return
                delay = self.retry_delay * 2 ** (tries - 1)
                self._log.info(
                    "handler_retry",
                    webhook_event_id=event.webhook_event_id,
                    attempt=attempt,
                    delay=delay,
                )
                await asyncio.sleep(delay)
                continue
            self.handled += 1
            self._ack(entry)
            return

    async def _dead_letter(self, entry: Entry, error: str, *, attempts: int | None = None) -> None:
        if attempts is not None:
            entry.attempts = attempts - 1
        for pause in (0.1, 0.5, 2.0, None):
            try:
                await self.store.dead_letter(entry, raw=entry.json(), key=entry.key, error=error)
                break
            except Exception as failure:
                self._log.error("dead_letter_failed", error=describe_error(failure))
                if pause is None:
                    raise
                await asyncio.sleep(pause)
        self.dead_lettered += 1
        self._log.error(
            "event_dead_lettered",
            webhook_event_id=_event_id(entry),
            key=entry.key,
            attempts=entry.attempts + 1,
            error=error,
        )
        self._forget(entry)

    # --- acknowledging ----------------------------------------------------------------------

    def _ack(self, entry: Entry) -> None:
        """Acknowledge soon: acks finishing within ``ack_delay`` share one write."""
        self._acks.append(entry)
        self._acking += 1
        self._room.set()  # handled: its place in the read-ahead is free already
        if self._ack_task is None or self._ack_task.done():
            self._ack_task = asyncio.create_task(self._ack_soon())
        elif len(self._acks) >= _ACK_BATCH:
            self._ack_wake.set()

    async def _ack_soon(self) -> None:
        # A few milliseconds turn many small writes into one (the event is handled already:
        # only its removal from the queue waits; a crash meanwhile runs it again, harmlessly).
        self._ack_wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ack_wake.wait(), self.ack_delay)
        await self._flush_acks()

    async def _flush_acks(self) -> None:
        # One flush at a time; the loop takes acks that arrive meanwhile, and it returns
        # without yielding once none is left, so no ack is stranded between two flushes.
        async with self._ack_lock:
            while self._acks:
                batch, self._acks = self._acks, []
                for pause in (0.05, 0.2, 1.0, 5.0, None):
                    try:
                        await self.store.ack(batch)
                        break
                    except Exception as error:
                        self._log.error(
                            "ack_failed", error=describe_error(error), events=len(batch)
                        )
                        if pause is None:
                            break  # left unacknowledged: handled again after a restart
                        await asyncio.sleep(pause)
                self._acking -= len(batch)
                self._forget_all(batch)

    # --- health -----------------------------------------------------------------------------

    @property
    def stuck(self) -> int:
        """Handlers running for longer than ``stuck_after`` seconds (past any time budget)."""
        limit = time.monotonic() - self.stuck_after
        return sum(1 for since in self._since.values() if since < limit)

    def health(self) -> dict[str, Any]:
        """What this worker is doing, for ``/healthz``."""
        now = time.monotonic()
        oldest = min(self._since.values(), default=None)
        return {
            "worker_id": self.id,
            "shards": sorted(self.owned),
            "in_flight": self.in_flight,
            "running_handlers": self.running,
            "longest_running_s": None if oldest is None else round(now - oldest, 3),
            "stuck_handlers": self.stuck,
            "handled": self.handled,
            "dead_lettered": self.dead_lettered,
            "read_failures": self.read_failures,
            "last_error": self.last_error,
        }


_decoder: Callable[[bytes], ev.Event] | None = None


def _load_decoder() -> Callable[[bytes], ev.Event]:
    """The bytes-to-event decoder, imported on first use (it builds msgspec types)."""
    global _decoder
    from ._decode import decode_event

    _decoder = decode_event
    return decode_event


class _Slots:
    """How many handlers may run at once: a semaphore whose uncontended take costs no
    coroutine (``asyncio.Semaphore`` makes three per use); a freed slot goes to the
    longest waiter."""

    __slots__ = ("_waiters", "free")

    def __init__(self, count: int) -> None:
        self.free = count
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def try_take(self) -> bool:
        """Take a slot if one is free and nobody waits for one."""
        if self.free and not self._waiters:
            self.free -= 1
            return True
        return False

    async def take(self) -> None:
        """Wait for a slot (after :meth:`try_take` failed)."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give()  # handed a slot while being cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise

    def give(self) -> None:
        """Free a slot: hand it to the longest waiter, if any."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1


def _event_id(entry: Entry | None) -> str | None:
    if entry is None:
        return None
    if entry.raw is not None:
        value = entry.raw.get("webhookEventId")
        return value if isinstance(value, str) else None
    return event_id_in(entry.payload)
