"""Small helpers for tests: signing bodies like LINE does, serving ASGI apps on uvicorn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
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


@asynccontextmanager
async def uvicorn_server(app: object) -> AsyncIterator[str]:
    """A real uvicorn server for the ASGI ``app`` on a free loopback port, running its lifespan.

    Yields the server's base URL (``http://127.0.0.1:PORT``); stops it (running the app's
    shutdown) when the block ends.
    """
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", log_config=None)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):  # bounded wait for the socket
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
