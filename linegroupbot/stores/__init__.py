"""Where everything durable lives: the event queue, dedupe records, leases and dead letters.

Pick a backend with one URL (:func:`open_store`): ``memory://`` (this process only),
``sqlite:///bot.db`` (one machine, the default of ``linegroupbot run``) or
``redis://host:6379/0`` (any number of receivers and workers).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .memory import MemoryDedupeStore, MemoryStore
from .protocol import (
    ANY_VERSION,
    DeadLetter,
    DedupeStore,
    Entry,
    QueuedEvent,
    QueueStats,
    ScheduledRecord,
    Store,
    shard_of,
)
from .url import DEFAULT_SHARDS, open_store, redact_url

if TYPE_CHECKING:
    from .redis import RedisDedupeStore, RedisStore
    from .sqlite import SqliteStore

_LAZY = {"RedisDedupeStore": ".redis", "RedisStore": ".redis", "SqliteStore": ".sqlite"}
"""Backends imported on first use: a bot on one backend does not load the others."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "ANY_VERSION",
    "DEFAULT_SHARDS",
    "DeadLetter",
    "DedupeStore",
    "Entry",
    "MemoryDedupeStore",
    "MemoryStore",
    "QueueStats",
    "QueuedEvent",
    "RedisDedupeStore",
    "RedisStore",
    "ScheduledRecord",
    "SqliteStore",
    "Store",
    "open_store",
    "redact_url",
    "shard_of",
]
