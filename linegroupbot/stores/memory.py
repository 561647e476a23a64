"""Stores in this process's memory: fast, shared by nothing, gone with the process."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import OrderedDict
from collections.abc import Collection, Sequence

import orjson

from .protocol import DeadLetter, Entry, QueuedEvent, QueueStats, event_id_in, shard_of

__all__ = ["MemoryDedupeStore", "MemoryStore"]


class MemoryDedupeStore:
    """Remembers event IDs for ``ttl`` seconds, at most ``max_entries`` of them (oldest go first).

    Good for one process; LINE redelivers within hours at most, so a day is the default.
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
        """:meth:`first_seen` without the coroutine (for callers already in the loop)."""
        now = time.monotonic()
        seen = self._seen
        while seen:
            stamp = next(iter(seen.values()))
            if now - stamp <= self.ttl and len(seen) < self.max_entries:
                break
            seen.popitem(last=False)
        if event_id in seen:
            return False
        seen[event_id] = now
        return True

    async def close(self) -> None:
        """Forget everything."""
        self._seen.clear()


class MemoryStore:
    """The whole store in memory (``memory://``): for development, tests and benchmarks.

    Events live only as long as the process: a crash or a restart loses what was queued.
    Parsed events are kept as they are, so a worker in the same process skips re-parsing.
    """

    durable = False

    def __init__(self, *, shards: int = 16, dedupe_ttl: float = 24 * 3600) -> None:
        self.url = "memory://"
        self.shards = shards
        self.dedupe = MemoryDedupeStore(ttl=dedupe_ttl)
        self._queues: list[OrderedDict[str, Entry]] = [OrderedDict() for _ in range(shards)]
        self._ids = itertools.count(1)
        self._dead: OrderedDict[str, DeadLetter] = OrderedDict()
        self._dead_ids = itertools.count(1)
        self._leases: dict[int, tuple[str, float]] = {}
        self._workers: dict[str, float] = {}
        self._wakeup = asyncio.Event()

    def __repr__(self) -> str:
        return f"MemoryStore(shards={self.shards}, depth={self.depth})"

    @property
    def depth(self) -> int:
        """How many events are queued (read or not) and not yet acknowledged."""
        return sum(len(q) for q in self._queues)

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
        accepted: list[bool] = []
        now = time.time()
        for item in items:
            if item.event_id is not None and not self.dedupe.record(item.event_id):
                accepted.append(False)
                continue
            entry_id = str(next(self._ids))
            payload = orjson.dumps(item.raw)
            self._queues[item.shard][entry_id] = Entry(
                entry_id, item.shard, item.key, payload, now, 0, item.event
            )
            accepted.append(True)
        if any(accepted):
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
        """Queued events of ``shards`` not in ``exclude``, oldest first per shard."""
        found = self._collect(shards, exclude, count)
        if not found and block > 0:
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), block)
            except TimeoutError:
                return []
            found = self._collect(shards, exclude, count)
        return found

    def _collect(
        self, shards: Collection[int], exclude: Collection[str], count: int
    ) -> list[Entry]:
        found: list[Entry] = []
        for shard in shards:
            for entry_id, entry in self._queues[shard].items():
                if entry_id in exclude:
                    continue
                entry.attempts += 1
                found.append(
                    Entry(
                        entry.id,
                        shard,
                        entry.key,
                        entry.payload,
                        entry.enqueued_at,
                        entry.attempts - 1,
                        entry.event,
                    )
                )
                if len(found) >= count:
                    return found
        return found

    async def recover(self, owner: str, shard: int) -> list[Entry]:
        """Nothing to take over: unacknowledged events stay readable."""
        return []

    async def ack(self, entries: Sequence[Entry]) -> None:
        """Remove the events."""
        for entry in entries:
            self._queues[entry.shard].pop(entry.id, None)

    async def dead_letter(self, entry: Entry | None, *, raw: bytes, key: str, error: str) -> None:
        """Keep the event with its error; remove it from the queue."""
        event_id = None
        if entry is not None:
            self._queues[entry.shard].pop(entry.id, None)
            if entry.event is not None:
                event_id = entry.event.webhook_event_id
        dead_id = str(next(self._dead_ids))
        self._dead[dead_id] = DeadLetter(
            id=dead_id,
            event_id=event_id or event_id_in(raw),
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
        await self.enqueue([QueuedEvent(None, dead.key, shard, raw)])
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
        oldest = min((next(iter(q.values())).enqueued_at for q in self._queues if q), default=None)
        now = time.monotonic()
        return QueueStats(
            depth=self.depth,
            oldest_age=None if oldest is None else max(0.0, time.time() - oldest),
            dead_letters=len(self._dead),
            workers=sum(1 for expires in self._workers.values() if expires >= now),
        )
