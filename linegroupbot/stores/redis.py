"""Stores in Redis, shared by every process of a bot (needs the ``redis`` extra).

Key layout under a prefix (``linegroupbot:`` unless ``?prefix=`` says otherwise):

- ``{prefix}q:{shard}``: one Redis Stream per queue shard, consumer group ``workers``;
- ``{prefix}event:{id}``: dedupe records, ``SET NX EX``;
- ``{prefix}lease:{shard}``: which worker holds a shard, with a ``PX`` expiry;
- ``{prefix}workers``: a sorted set of live workers scored by when they expire;
- ``{prefix}dead``: a stream of dead letters; ``{prefix}meta``: the shard count.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from ..errors import StoreError
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

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisDedupeStore", "RedisStore"]

_GROUP = "workers"

# KEYS: per event, its dedupe key then its stream key. ARGV: ttl, then per event
# has_id, payload, key, enqueued_at. One round trip and one atomic step per request.
_ENQUEUE = """
local ttl = ARGV[1]
local accepted = {}
for i = 1, #KEYS / 2 do
  local base = 1 + (i - 1) * 4
  local fresh = true
  if ARGV[base + 1] == '1' then
    fresh = redis.call('SET', KEYS[2 * i - 1], '1', 'NX', 'EX', ttl)
  end
  if fresh then
    redis.call('XADD', KEYS[2 * i], '*', 'p', ARGV[base + 2], 'k', ARGV[base + 3],
               't', ARGV[base + 4])
    accepted[i] = 1
  else
    accepted[i] = 0
  end
end
return accepted
"""

# KEYS: lease keys. ARGV: owner, ttl in ms, how many new leases at most (-1: any).
_CLAIM = """
local held = {}
local taken = 0
local limit = tonumber(ARGV[3])
for i, key in ipairs(KEYS) do
  local current = redis.call('GET', key)
  if current == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2])
    held[#held + 1] = i
  elseif not current and (limit < 0 or taken < limit) then
    redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
    taken = taken + 1
    held[#held + 1] = i
  end
end
return held
"""

_RELEASE = """
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
return 1
"""

# KEYS: the workers set. ARGV: worker id, ttl in ms. Server time, so clocks need not agree.
_HEARTBEAT = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZADD', KEYS[1], ms + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
return redis.call('ZCARD', KEYS[1])
"""


# KEYS: the value's hash, the chat's index, the member's index (or the chat's again), the
# chat's set of member indexes. ARGV: expected version (-1: any), value, ttl in ms (0: none),
# 1 to delete.
_STATE_PUT = """
local current = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local expected = tonumber(ARGV[1])
if expected >= 0 and current ~= expected then return 0 end
if ARGV[4] == '1' then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], KEYS[1])
  redis.call('SREM', KEYS[3], KEYS[1])
  return 1
end
local version = current + 1
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'n', version)
if tonumber(ARGV[3]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
else
  redis.call('PERSIST', KEYS[1])
end
redis.call('SADD', KEYS[2], KEYS[1])
if KEYS[3] ~= KEYS[2] then
  redis.call('SADD', KEYS[3], KEYS[1])
  redis.call('SADD', KEYS[4], KEYS[3])
end
return version
"""

# KEYS: the index to clear, the chat's set of member indexes. ARGV: 1 when clearing a chat.
_STATE_CLEAR = """
local keys = redis.call('SMEMBERS', KEYS[1])
local removed = 0
for _, key in ipairs(keys) do
  removed = removed + redis.call('DEL', key)
end
redis.call('DEL', KEYS[1])
if ARGV[1] == '1' then
  for _, index in ipairs(redis.call('SMEMBERS', KEYS[2])) do
    redis.call('DEL', index)
  end
  redis.call('DEL', KEYS[2])
end
return removed
"""


# KEYS: the schedule zset, the jobs hash. ARGV: now (ms), lease (ms), limit.
_SCHEDULE_CLAIM = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), id)
  local job = redis.call('HGET', KEYS[2], id)
  if job then out[#out + 1] = job end
end
return out
"""

# KEYS: the schedule zset, the jobs hash, the chat's index. ARGV: the id.
_SCHEDULE_REMOVE = """
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
return removed
"""


def _client(url: str) -> Redis:
    try:
        from redis.asyncio import Redis
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise StoreError(
            "the redis:// store needs redis-py: pip install 'linegroupbot[redis]'"
        ) from error
    return Redis.from_url(url)


class RedisDedupeStore:
    """Remembers event IDs in Redis with ``SET key 1 NX EX ttl``: one atomic round trip.

    ``RedisDedupeStore.from_url("redis://localhost:6379/0")``, or pass a ``redis.asyncio``
    client. Keys are ``{prefix}{event_id}`` and expire after ``ttl`` seconds. A bot with
    ``store="redis://..."`` needs none: its store dedupes while it enqueues. Implements
    :class:`~linegroupbot.stores.DedupeStore`.

    Args:
        client: A ``redis.asyncio`` client (it stays the caller's to close).
        ttl: Seconds an event ID is remembered.
        prefix: What every key starts with.
    """

    def __init__(
        self, client: Redis, *, ttl: int = 24 * 3600, prefix: str = "linegroupbot:event:"
    ) -> None:
        self.client = client
        self.ttl = ttl
        self.prefix = prefix
        self._owns_client = False

    @classmethod
    def from_url(cls, url: str, **options: Any) -> RedisDedupeStore:
        """A store with its own client for ``url`` (closed by
        :meth:`~linegroupbot.stores.DedupeStore.close`).

        Args:
            url: The Redis URL (``redis://host:6379/0``).
            **options: ``ttl`` and ``prefix``, as for the constructor.

        Raises:
            StoreError: redis-py is not installed.
        """
        store = cls(_client(url), **options)
        store._owns_client = True
        return store

    async def first_seen(self, event_id: str) -> bool:
        """Record ``event_id``; true unless another process or delivery recorded it first."""
        created = await self.client.set(self.prefix + event_id, b"1", nx=True, ex=self.ttl)
        return bool(created)

    async def close(self) -> None:
        """Close the Redis client if this store made it (a client you passed in stays yours)."""
        if self._owns_client:
            await self.client.aclose()


class RedisStore:
    """Everything durable in Redis (``redis://host:port/db``, ``rediss://`` for TLS).

    The queue is ``shards`` Redis Streams read through one consumer group; a worker leases
    whole shards, so the events of one chat are handled by one worker at a time, in order.
    Implements :class:`~linegroupbot.stores.Store`.

    Args:
        url: The Redis URL.
        shards: How many queue shards (streams).
        prefix: What every key starts with (several bots may share a database).
        dedupe_ttl: Seconds event IDs are remembered for dedupe.
        display_url: The URL to show for the store, password redacted (default ``url``).
    """

    durable = True

    def __init__(
        self,
        url: str,
        *,
        shards: int = 16,
        prefix: str = "linegroupbot:",
        dedupe_ttl: int = 24 * 3600,
        display_url: str | None = None,
    ) -> None:
        self.url = display_url or url
        self.shards = shards
        self.prefix = prefix
        self.dedupe_ttl = dedupe_ttl
        try:
            self.client = _client(url)
        except (TypeError, ValueError) as error:
            raise StoreError(
                f"store URL {self.url!r}: {error}. Options other than shards= and prefix= are "
                "redis-py's (socket_timeout=, ssl_cert_reqs=, ...)"
            ) from None
        self._streams = [f"{prefix}q:{shard}".encode() for shard in range(shards)]
        self._leases = [f"{prefix}lease:{shard}" for shard in range(shards)]
        self._workers = f"{prefix}workers"
        self._dead = f"{prefix}dead"
        self._enqueue = self.client.register_script(_ENQUEUE)
        self._claim = self.client.register_script(_CLAIM)
        self._release = self.client.register_script(_RELEASE)
        self._heartbeat = self.client.register_script(_HEARTBEAT)
        self._state_put = self.client.register_script(_STATE_PUT)
        self._state_clear = self.client.register_script(_STATE_CLEAR)
        self._schedule_claim = self.client.register_script(_SCHEDULE_CLAIM)
        self._schedule_remove = self.client.register_script(_SCHEDULE_REMOVE)
        self._schedule = f"{prefix}schedule"
        self._jobs = f"{prefix}schedule:jobs"

    def __repr__(self) -> str:
        return f"RedisStore({self.url!r}, shards={self.shards})"

    async def open(self) -> None:
        """Check the server answers, agree on the shard count, create the consumer groups."""
        from redis.exceptions import RedisError

        try:
            await self.client.ping()
            meta = f"{self.prefix}meta"
            await self.client.hsetnx(meta, "shards", str(self.shards))
            recorded = int(await self.client.hget(meta, "shards") or self.shards)
            if recorded != self.shards:
                raise StoreError(
                    f"the store {self.url} was created with {recorded} shards, not "
                    f"{self.shards}: use shards={recorded} (every process of a bot must agree)"
                )
            await self._ensure_groups()
        except TypeError as error:  # an option redis-py does not know, met at connect time
            raise StoreError(
                f"store URL {self.url!r}: {error}. Options other than shards= and prefix= are "
                "redis-py's (socket_timeout=, ssl_cert_reqs=, ...)"
            ) from None
        except (RedisError, OSError) as error:
            text = str(error).rstrip(".")
            if any(word in text.lower() for word in ("auth", "password", "hello")):
                hint = "Check the password: redis://:PASSWORD@host:port/db"
            else:
                hint = "Start Redis there, or fix the URL (redis://host:port/db)"
            raise StoreError(f"cannot reach the store {self.url}: {text}. {hint}") from error

    async def _ensure_groups(self) -> None:
        """Create the shard streams' consumer group where it is missing (after a flush, too)."""
        from redis.exceptions import ResponseError

        pipe = self.client.pipeline(transaction=False)
        for stream in self._streams:
            pipe.xgroup_create(stream, _GROUP, id="0", mkstream=True)
        for result in await pipe.execute(raise_on_error=False):
            if isinstance(result, ResponseError) and "BUSYGROUP" not in str(result):
                raise result

    async def close(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()

    async def first_seen(self, event_id: str) -> bool:
        """Record ``event_id``; true unless it was recorded within the dedupe TTL."""
        key = f"{self.prefix}event:{event_id}"
        return bool(await self.client.set(key, b"1", nx=True, ex=self.dedupe_ttl))

    async def enqueue(self, items: Sequence[QueuedEvent]) -> list[bool]:
        """Dedupe and add the events in one atomic script call."""
        if not items:
            return []
        keys: list[Any] = []
        args: list[Any] = [self.dedupe_ttl]
        now = repr(time.time())
        for item in items:
            keys.append(f"{self.prefix}event:{item.event_id or ''}")
            keys.append(self._streams[item.shard])
            payload = item.payload or orjson.dumps(item.raw)
            args += ["1" if item.event_id else "0", payload, item.key, now]
        result = await self._enqueue(keys=keys, args=args)
        return [bool(flag) for flag in result]

    async def heartbeat(self, worker_id: str, ttl: float) -> int:
        """Record ``worker_id`` as alive (server time); count the live workers."""
        return int(await self._heartbeat(keys=[self._workers], args=[worker_id, int(ttl * 1000)]))

    async def leave(self, worker_id: str) -> None:
        """Forget ``worker_id``."""
        await self.client.zrem(self._workers, worker_id)

    async def claim_shards(
        self, owner: str, shards: Sequence[int], ttl: float, *, limit: int | None = None
    ) -> list[int]:
        """Renew or take leases in one script call."""
        if not shards:
            return []
        keys = [self._leases[shard] for shard in shards]
        held = await self._claim(
            keys=keys, args=[owner, int(ttl * 1000), -1 if limit is None else limit]
        )
        return [shards[int(i) - 1] for i in held]

    async def release_shards(self, owner: str, shards: Collection[int]) -> None:
        """Drop ``owner``'s leases."""
        if shards:
            await self._release(keys=[self._leases[s] for s in shards], args=[owner])

    async def read(
        self,
        owner: str,
        shards: Collection[int],
        *,
        exclude: Collection[str],
        count: int,
        block: float,
    ) -> list[Entry]:
        """New events of ``shards`` through the consumer group (``XREADGROUP ... >``)."""
        if not shards:
            if block > 0:
                import asyncio

                await asyncio.sleep(block)
            return []
        from redis.exceptions import ResponseError

        streams: dict[Any, Any] = {self._streams[shard]: ">" for shard in shards}
        wait = max(1, int(block * 1000)) if block else None
        try:
            reply: Any = await self.client.xreadgroup(
                _GROUP, owner, streams, count=count, block=wait
            )
        except ResponseError as error:
            if "NOGROUP" not in str(error) and "UNBLOCKED" not in str(error):
                raise
            # Redis restarted empty or was flushed: the groups are gone; make them again.
            await self._ensure_groups()
            reply = await self.client.xreadgroup(_GROUP, owner, streams, count=count, block=wait)
        found: list[Entry] = []
        for stream, messages in reply or ():
            shard = int(stream.rsplit(b":", 1)[1])
            for message_id, fields in messages:
                found.append(_entry(message_id, shard, fields, 0))
        return found

    async def recover(self, owner: str, shard: int) -> list[Entry]:
        """Claim every pending event of ``shard`` (``XAUTOCLAIM``), with delivery counts."""
        stream = self._streams[shard]
        claimed: list[tuple[bytes, dict[bytes, bytes]]] = []
        cursor: Any = "0-0"
        from redis.exceptions import ResponseError

        while True:
            try:
                reply: Any = await self.client.xautoclaim(
                    stream, _GROUP, owner, min_idle_time=0, start_id=cursor, count=500
                )
            except ResponseError as error:
                if "NOGROUP" not in str(error):
                    raise
                await self._ensure_groups()
                return []
            cursor = reply[0]
            claimed += [(mid, fields) for mid, fields in reply[1] if fields]
            if cursor in (b"0-0", "0-0"):
                break
        if not claimed:
            return []
        counts: dict[Any, int] = {}
        pending: Any = await self.client.xpending_range(
            stream, _GROUP, min="-", max="+", count=len(claimed) + 100, consumername=owner
        )
        for item in pending:
            counts[item["message_id"]] = int(item["times_delivered"])
        # XAUTOCLAIM counted this delivery: the ones before it are one fewer.
        return [
            _entry(mid, shard, fields, max(0, counts.get(mid, 2) - 1)) for mid, fields in claimed
        ]

    async def ack(self, entries: Sequence[Entry]) -> None:
        """``XACK`` and ``XDEL`` the handled events: two commands per shard, one round trip."""
        if not entries:
            return
        by_shard: dict[int, list[str]] = {}
        for entry in entries:
            by_shard.setdefault(entry.shard, []).append(_message_id(entry))
        pipe = self.client.pipeline(transaction=False)
        for shard, ids in by_shard.items():
            stream = self._streams[shard]
            pipe.xack(stream, _GROUP, *ids)
            pipe.xdel(stream, *ids)
        await pipe.execute()

    async def giveback(self, owner: str, entries: Sequence[Entry]) -> None:
        """Reset the delivery count of events read but never started (``XCLAIM RETRYCOUNT``)."""
        if not entries:
            return
        pipe = self.client.pipeline(transaction=False)
        for entry in entries:
            pipe.xclaim(
                self._streams[entry.shard],
                _GROUP,
                owner,
                0,
                [_message_id(entry)],
                retrycount=entry.attempts,
                justid=True,
            )
        await pipe.execute()

    async def dead_letter(self, entry: Entry | None, *, raw: bytes, key: str, error: str) -> None:
        """Add to the dead-letter stream and drop the event from its shard, atomically."""
        pipe = self.client.pipeline(transaction=True)
        pipe.xadd(
            self._dead,
            {
                "e": event_id_in(raw) or "",
                "k": key,
                "p": raw,
                "r": error,
                "a": (entry.attempts + 1) if entry is not None else 0,
                "t": repr(time.time()),
            },
        )
        if entry is not None:
            stream = self._streams[entry.shard]
            message_id = _message_id(entry)
            pipe.xack(stream, _GROUP, message_id)
            pipe.xdel(stream, message_id)
        await pipe.execute()

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The dead letters, oldest first."""
        rows: Any = await self.client.xrange(self._dead, count=limit)
        return [_dead_letter(mid, fields) for mid, fields in rows]

    async def replay(self, dead_letter_id: str) -> bool:
        """Queue the dead letter's event again and drop it from the dead letters."""
        from redis.exceptions import ResponseError

        try:
            rows: Any = await self.client.xrange(self._dead, dead_letter_id, dead_letter_id)
        except ResponseError:
            return False
        if not rows:
            return False
        dead = _dead_letter(*rows[0])
        pipe = self.client.pipeline(transaction=True)
        pipe.xadd(
            self._streams[shard_of(dead.key, self.shards)],
            {"p": dead.payload, "k": dead.key, "t": repr(time.time())},
        )
        pipe.xdel(self._dead, dead_letter_id)
        await pipe.execute()
        return True

    async def purge(self, dead_letter_id: str | None = None) -> int:
        """Delete one dead letter or all."""
        from redis.exceptions import ResponseError

        if dead_letter_id is None:
            count = int(await self.client.xlen(self._dead))
            await self.client.delete(self._dead)
            return count
        try:
            return int(await self.client.xdel(self._dead, dead_letter_id))
        except ResponseError:
            return 0

    async def stats(self) -> QueueStats:
        """Depth (``XLEN`` of every shard), oldest age, dead letters, live workers."""
        pipe = self.client.pipeline(transaction=False)
        for stream in self._streams:
            pipe.xlen(stream)
            pipe.xrange(stream, count=1)
        pipe.xlen(self._dead)
        pipe.zcount(self._workers, int(time.time() * 1000), "+inf")
        results = await pipe.execute()
        depth = sum(int(n) for n in results[0 : 2 * self.shards : 2])
        firsts = [rows[0] for rows in results[1 : 2 * self.shards : 2] if rows]
        oldest = min((float(fields[b"t"]) for _, fields in firsts), default=None)
        return QueueStats(
            depth=depth,
            oldest_age=None if oldest is None else max(0.0, time.time() - oldest),
            dead_letters=int(results[-2]),
            workers=int(results[-1]),
        )

    # --- state ------------------------------------------------------------------------------

    def _state_keys(self, key: str, chat: str, member: str | None) -> list[str]:
        chat_index = f"{self.prefix}state-chat:{chat}"
        member_index = (
            chat_index if member is None else f"{self.prefix}state-member:{chat}:{member}"
        )
        return [
            f"{self.prefix}state:{key}",
            chat_index,
            member_index,
            f"{self.prefix}state-members:{chat}",
        ]

    async def state_get(self, key: str) -> tuple[bytes, int] | None:
        """The value and version (an expired value is gone: Redis expired it)."""
        found: Any = await self.client.hmget(f"{self.prefix}state:{key}", ["v", "n"])
        value, version = found
        if value is None or version is None:
            return None
        return bytes(value), int(version)

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
        """Compare the version and write in one script call."""
        args: list[Any] = [
            expected,
            value if value is not None else b"",
            0 if ttl is None else max(1, int(ttl * 1000)),
            "1" if value is None else "0",
        ]
        return int(await self._state_put(keys=self._state_keys(key, chat, member), args=args))

    async def state_clear(self, chat: str, member: str | None = None) -> int:
        """Delete the chat's (or the member's) values and their indexes."""
        keys = self._state_keys("", chat, member)
        return int(
            await self._state_clear(keys=[keys[2], keys[3]], args=["1" if member is None else "0"])
        )

    # --- scheduled pushes ---------------------------------------------------------------------

    async def schedule_add(self, record: ScheduledRecord) -> None:
        """Keep it (a sorted set by time, the job in a hash, an index per chat)."""
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(self._jobs, record.id, _encode_record(record))
        pipe.zadd(self._schedule, {record.id: int(record.due * 1000)})
        pipe.sadd(f"{self.prefix}schedule-chat:{record.chat}", record.id)
        await pipe.execute()

    async def schedule_claim(self, now: float, lease: float, limit: int) -> list[ScheduledRecord]:
        """Due pushes, each moved ``lease`` seconds later, in one script call."""
        jobs: Any = await self._schedule_claim(
            keys=[self._schedule, self._jobs], args=[int(now * 1000), int(lease * 1000), limit]
        )
        return [_decode_record(job) for job in jobs]

    async def schedule_done(self, record: ScheduledRecord) -> None:
        """Forget it."""
        await self._remove_scheduled(record.id, record.chat)

    async def _remove_scheduled(self, schedule_id: str, chat: str) -> bool:
        keys = [self._schedule, self._jobs, f"{self.prefix}schedule-chat:{chat}"]
        return bool(await self._schedule_remove(keys=keys, args=[schedule_id]))

    async def schedule_list(self, chat: str) -> list[ScheduledRecord]:
        """The chat's pushes, soonest first."""
        ids: Any = await self.client.smembers(f"{self.prefix}schedule-chat:{chat}")
        if not ids:
            return []
        jobs: Any = await self.client.hmget(self._jobs, list(ids))
        found = [_decode_record(job) for job in jobs if job is not None]
        return sorted(found, key=lambda r: (r.due, r.id))

    async def schedule_cancel(self, schedule_id: str) -> bool:
        """Forget it before it is sent."""
        job: Any = await self.client.hget(self._jobs, schedule_id)
        if job is None:
            return False
        return await self._remove_scheduled(schedule_id, _decode_record(job).chat)


def _encode_record(record: ScheduledRecord) -> bytes:
    return orjson.dumps(
        {"id": record.id, "chat": record.chat, "due": record.due, "p": record.payload.decode()}
    )


def _decode_record(job: bytes) -> ScheduledRecord:
    data = orjson.loads(job)
    return ScheduledRecord(data["id"], data["chat"], data["due"], data["p"].encode())


def _entry(message_id: Any, shard: int, fields: dict[bytes, bytes], attempts: int) -> Entry:
    mid = message_id.decode() if isinstance(message_id, bytes) else str(message_id)
    return Entry(
        f"{shard}/{mid}",  # stream IDs repeat across streams: the shard makes it unique
        shard,
        fields[b"k"].decode(),
        fields[b"p"],
        float(fields[b"t"]),
        attempts,
    )


def _message_id(entry: Entry) -> str:
    return entry.id.partition("/")[2]


def _dead_letter(message_id: Any, fields: dict[bytes, bytes]) -> DeadLetter:
    mid = message_id.decode() if isinstance(message_id, bytes) else str(message_id)
    return DeadLetter(
        id=mid,
        event_id=fields[b"e"].decode() or None,
        key=fields[b"k"].decode(),
        payload=fields[b"p"],
        error=fields[b"r"].decode(),
        attempts=int(fields[b"a"]),
        failed_at=float(fields[b"t"]),
    )
