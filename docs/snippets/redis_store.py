"""Sharing redelivery dedupe between processes through Redis."""

from __future__ import annotations

from linegroupbot import Bot
from linegroupbot.stores import RedisDedupeStore


def make_bot(redis_url: str = "redis://localhost:6379/0") -> Bot:
    return Bot(dedupe_store=RedisDedupeStore.from_url(redis_url))
