"""The webhook receiver: verify, decode, enqueue durably, then answer 200.

LINE gets its 200 only once the request's events are in the store (one write per
request), so an answered event survives a crash. Redelivered events (same
``webhookEventId``) are queued once. The receiver reads only what it needs to queue
an event (its ID and chat); the worker parses it into a typed model. So one malformed
event never costs the others of its body: it reaches the dead letters, with its raw
JSON, from the receiver (not an object) or from the worker (not parseable).
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import structlog
from aiohttp import web

from .signature import verify_signature
from .stores import QueuedEvent, Store, shard_of

__all__ = ["WebhookServer"]

_log = structlog.get_logger("linegroupbot.server")


class WebhookServer:
    """Receives webhooks and puts their events in the store's queue."""

    def __init__(
        self,
        *,
        channel_secret: str,
        store: Store,
        max_body_size: int = 1024 * 1024,
    ) -> None:
        self._secret = channel_secret
        self.store = store
        self.max_body_size = max_body_size
        self.closing = False
        self.received = 0

    async def _read_body(self, request: web.Request) -> bytes | web.Response:
        if request.content_length is not None and request.content_length > self.max_body_size:
            return web.json_response({"error": "body too large"}, status=413)
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.content.iter_any():
                size += len(chunk)
                if size > self.max_body_size:  # chunked bodies have no Content-Length
                    return web.json_response({"error": "body too large"}, status=413)
                chunks.append(chunk)
        except (ConnectionError, asyncio.IncompleteReadError):
            return web.json_response({"error": "incomplete body"}, status=400)
        return b"".join(chunks)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The webhook endpoint."""
        body = await self._read_body(request)
        if isinstance(body, web.Response):
            return body
        signature = request.headers.get("x-line-signature")
        if not signature or not verify_signature(body, signature, self._secret):
            _log.warning("webhook_rejected", reason="signature", remote=request.remote)
            return web.json_response(
                {"error": "x-line-signature does not match the request body"}, status=401
            )
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            _log.warning("webhook_rejected", reason="body", detail=f"not JSON: {error}")
            return web.json_response(
                {"error": f"webhook body is not valid JSON: {error}"}, status=400
            )
        problem = _body_problem(data)
        if problem is not None:
            _log.warning("webhook_rejected", reason="body", detail=problem)
            return web.json_response({"error": problem}, status=400)
        if self.closing:
            return web.json_response({"error": "shutting down"}, status=503)
        shards = self.store.shards
        items: list[QueuedEvent] = []
        bad: list[tuple[Any, str]] = []
        for index, raw in enumerate(data["events"]):
            if not isinstance(raw, dict):
                bad.append((raw, f"events[{index}] is not a JSON object"))
                continue
            event_id = raw.get("webhookEventId")
            if not isinstance(event_id, str) or not event_id:
                event_id = None
            key = _key_of(raw, index)
            items.append(QueuedEvent(event_id, key, shard_of(key, shards), raw))
        try:
            accepted = await self.store.enqueue(items) if items else []
            for raw, reason in bad:
                await self.store.dead_letter(
                    None, raw=orjson.dumps(raw), key="rejected", error=reason
                )
        except Exception as error:
            # LINE redelivers what was not answered 2xx (when redelivery is on).
            _log.error("enqueue_failed", store=self.store.url, error=repr(error))
            return web.json_response({"error": "the event store is unavailable"}, status=503)
        self.received += len(items)
        for item, fresh in zip(items, accepted, strict=True):
            if not fresh:
                _log_duplicate(item.event_id, _is_redelivery(item.raw))
        for _, reason in bad:
            _log.error("event_rejected", reason=reason)
        return web.json_response(
            {
                "status": "ok",
                "events": len(data["events"]),
                "queued": sum(accepted),
                "rejected": len(bad),
            }
        )


def _log_duplicate(event_id: str | None, is_redelivery: bool | None) -> None:
    _log.info("event_duplicate_skipped", webhook_event_id=event_id, is_redelivery=is_redelivery)


def _body_problem(data: Any) -> str | None:
    """Why a decoded body is not a webhook request, or ``None``."""
    if not isinstance(data, dict):
        return "webhook body must be a JSON object"
    if not isinstance(data.get("events"), list):
        return "webhook body must have an 'events' array"
    destination = data.get("destination")
    if destination is not None and not isinstance(destination, str):
        return "'destination' must be a string"
    return None


def _is_redelivery(raw: dict[str, Any]) -> bool | None:
    context = raw.get("deliveryContext")
    return bool(context.get("isRedelivery")) if isinstance(context, dict) else None


def _key_of(raw: dict[str, Any], index: int) -> str:
    """What orders an event: its chat (group, room, or user of a 1:1 chat), else its ID."""
    source = raw.get("source")
    if isinstance(source, dict):
        kind = source.get("type")
        field = "groupId" if kind == "group" else "roomId" if kind == "room" else "userId"
        chat = source.get(field)
        if isinstance(chat, str) and chat:
            return chat
    event_id = raw.get("webhookEventId")
    if isinstance(event_id, str) and event_id:
        return f"event:{event_id}"
    return f"event:{id(raw)}:{index}"
