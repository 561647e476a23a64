"""A dedupe store in Redis, shared by every process of a bot (needs the ``redis`` extra)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisDedupeStore"]


class RedisDedupeStore:
    """Remembers event IDs in Redis with ``SET key 1 NX EX ttl``: one atomic round trip.

    ``RedisDedupeStore.from_url("redis://localhost:6379/0")``, or pass a ``redis.asyncio``
    client. Keys are ``{prefix}{event_id}`` and expire after ``ttl`` seconds.
    """

    def __init__(
        self, client: Redis, *, ttl: int = 24 * 3600, prefix: str = "linegroupbot:event:"
    ) -> None:
        self.client = client
        self.ttl = ttl
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str, **options: Any) -> RedisDedupeStore:
        """A store with its own client for ``url`` (closed by :meth:`close`)."""
        try:
            from redis.asyncio import Redis
        except ImportError as error:  # pragma: no cover - depends on the environment
            raise ImportError(
                "RedisDedupeStore needs redis-py: pip install 'linegroupbot[redis]'"
            ) from error
        return cls(Redis.from_url(url), **options)

    async def first_seen(self, event_id: str) -> bool:
        """Record ``event_id``; true unless another process or delivery recorded it first."""
        created = await self.client.set(self.prefix + event_id, b"1", nx=True, ex=self.ttl)
        return bool(created)

    async def close(self) -> None:
        """Close the Redis connection pool."""
        await self.client.aclose()
