"""The small interface a dedupe store implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["DedupeStore"]


@runtime_checkable
class DedupeStore(Protocol):
    """Remembers which webhook event IDs were handled, for a while."""

    async def first_seen(self, event_id: str) -> bool:
        """Record ``event_id``; true the first time, false for a redelivery within the TTL."""
        ...

    async def close(self) -> None:
        """Release resources."""
        ...
