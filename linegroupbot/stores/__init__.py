"""Where everything durable lives: the event queue, dedupe records, leases and dead letters.

Pick a backend with one URL (:func:`open_store`): ``memory://`` (this process only),
``sqlite:///bot.db`` (one machine, the default of ``linegroupbot run``) or
``redis://host:6379/0`` (any number of receivers and workers).
"""

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
from .redis import RedisDedupeStore, RedisStore
from .sqlite import SqliteStore
from .url import DEFAULT_SHARDS, open_store, redact_url

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
