"""The webhook receiver: verify, parse, enqueue durably, then answer 200.

LINE gets its 200 only once the request's events are in the store (one write per
request), so an answered event survives a crash. Redelivered events (same
``webhookEventId``) are queued once. One malformed event does not cost the others
of its body: it goes to the dead letters with its raw JSON, the rest are queued.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import structlog
from aiohttp import web

from .convert import structure_events
from .errors import InvalidWebhookBodyError
from .signature import verify_signature
from .stores import DedupeStore, QueuedEvent, Store, shard_of

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
        dedupe: DedupeStore | None = None,
    ) -> None:
        self._secret = channel_secret
        self.store = store
        self.dedupe = dedupe
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
            good, bad = structure_events(orjson.loads(body))
        except orjson.JSONDecodeError as error:
            _log.warning("webhook_rejected", reason="body", detail=f"not JSON: {error}")
            return web.json_response(
                {"error": f"webhook body is not valid JSON: {error}"}, status=400
            )
        except InvalidWebhookBodyError as error:
            _log.warning("webhook_rejected", reason="body", detail=str(error))
            return web.json_response({"error": str(error)}, status=400)
        if self.closing:
            return web.json_response({"error": "shutting down"}, status=503)
        shards = self.store.shards
        items: list[QueuedEvent] = []
        for raw, event in good:
            event_id = event.webhook_event_id or None
            if (
                event_id is not None
                and self.dedupe is not None
                and not await self.dedupe.first_seen(event_id)
            ):
                _log_duplicate(event_id, event.is_redelivery)
                continue
            key = event.chat_id or f"event:{event_id or id(raw)}"
            items.append(QueuedEvent(event_id, key, shard_of(key, shards), raw, event))
        try:
            accepted = await self.store.enqueue(items) if items else []
            for raw, reason in bad:
                await self.store.dead_letter(
                    None, raw=orjson.dumps(raw), key=_key_of(raw), error=reason
                )
        except Exception as error:
            # LINE redelivers what was not answered 2xx (when redelivery is on).
            _log.error("enqueue_failed", store=self.store.url, error=repr(error))
            return web.json_response({"error": "the event store is unavailable"}, status=503)
        self.received += len(items)
        for item, fresh in zip(items, accepted, strict=True):
            if not fresh:
                parsed = item.event
                _log_duplicate(item.event_id, parsed.is_redelivery if parsed else None)
        for _, reason in bad:
            _log.error("event_rejected", reason=reason)
        return web.json_response(
            {
                "status": "ok",
                "events": len(good) + len(bad),
                "queued": sum(accepted),
                "rejected": len(bad),
            }
        )


def _log_duplicate(event_id: str | None, is_redelivery: bool | None) -> None:
    _log.info("event_duplicate_skipped", webhook_event_id=event_id, is_redelivery=is_redelivery)


def _key_of(raw: Any) -> str:
    """The ordering key of an event that could not be parsed: its chat, as far as it says."""
    source = raw.get("source") if isinstance(raw, dict) else None
    if isinstance(source, dict):
        for field in ("groupId", "roomId", "userId"):
            value = source.get(field)
            if isinstance(value, str):
                return value
    event_id = raw.get("webhookEventId") if isinstance(raw, dict) else None
    return f"event:{event_id if isinstance(event_id, str) else 'unknown'}"
