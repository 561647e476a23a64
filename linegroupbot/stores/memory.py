"""An in-process dedupe store with a TTL and a size bound."""

from __future__ import annotations

import time
from collections import OrderedDict

__all__ = ["MemoryDedupeStore"]


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
