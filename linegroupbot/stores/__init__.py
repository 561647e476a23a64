"""Stores behind pluggable parts: webhook event dedupe (in memory, or shared in Redis)."""

from .memory import MemoryDedupeStore
from .protocol import DedupeStore
from .redis import RedisDedupeStore

__all__ = ["DedupeStore", "MemoryDedupeStore", "RedisDedupeStore"]
