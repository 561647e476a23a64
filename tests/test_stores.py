"""The in-memory dedupe store."""

from __future__ import annotations

import asyncio

from linegroupbot.stores import DedupeStore, MemoryDedupeStore


async def test_first_seen_once() -> None:
    store = MemoryDedupeStore()
    assert isinstance(store, DedupeStore)
    assert await store.first_seen("a") is True
    assert await store.first_seen("a") is False
    assert await store.first_seen("b") is True


async def test_entries_expire_after_ttl() -> None:
    store = MemoryDedupeStore(ttl=0.01)
    assert await store.first_seen("a")
    await asyncio.sleep(0.03)
    assert await store.first_seen("a") is True


async def test_size_is_bounded_oldest_forgotten_first() -> None:
    store = MemoryDedupeStore(max_entries=3)
    for key in "abcd":
        assert await store.first_seen(key)
    assert len(store) == 3
    assert await store.first_seen("a") is True  # evicted, so new again
    assert await store.first_seen("d") is False
