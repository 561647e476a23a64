"""Small helpers for tests: signing bodies like LINE does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from linegroupbot import signature
from linegroupbot.stores import QueuedEvent, Store, shard_of
from tests.payloads import body, event

Opener = Callable[[], Awaitable[Store]]
"""Opens a store of the backend under test; every store it opens shares the same data."""

SECRET = "test-channel-secret"
TOKEN = "test-access-token"


def sign(data: bytes, secret: str = SECRET) -> str:
    """The x-line-signature of ``data`` under the tests' secret."""
    return signature.sign(data, secret)


def signed(*events: dict[str, Any], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    """A webhook body carrying ``events`` and the headers LINE would send with it."""
    raw = orjson.dumps(body(*events))
    return raw, {"x-line-signature": sign(raw, secret), "Content-Type": "application/json"}


def queued(kind: str, event_id: str, *, shards: int = 16) -> QueuedEvent:
    """The ``kind`` payload with ``event_id``, ready for ``store.enqueue`` (keyed by its chat)."""
    raw = event(kind, webhookEventId=event_id)
    source = raw["source"]
    key = source.get("groupId") or source.get("roomId") or source["userId"]
    return QueuedEvent(event_id, key, shard_of(key, shards), raw)
