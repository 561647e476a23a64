"""Stores behind pluggable parts: webhook event dedupe (memory now; persistent ones later)."""

from .memory import MemoryDedupeStore
from .protocol import DedupeStore

__all__ = ["DedupeStore", "MemoryDedupeStore"]
