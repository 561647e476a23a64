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

from ._memory import Trimmer
from .errors import describe_error
from .signature import verify_signature
from .stores import QueuedEvent, Store, shard_of

__all__ = ["WebhookServer"]

_log = structlog.get_logger("linegroupbot.server")


class WebhookServer:
    """Receives webhooks and puts their events in the store's queue.

    Limits that keep an unauthenticated sender from holding the process: a body must be
    at most ``max_body_size`` bytes and arrive within ``body_timeout`` seconds; bodies not
    yet verified may hold at most ``max_pending_bytes`` of memory together (past that a
    request is answered 503 with ``Retry-After`` before its body is read).
    ``channel_secret`` verifies the signatures; ``store`` is where accepted events go.
    """

    def __init__(
        self,
        *,
        channel_secret: str,
        store: Store,
        max_body_size: int = 1024 * 1024,
        body_timeout: float = 10.0,
        max_pending_bytes: int = 16 * 1024 * 1024,
    ) -> None:
        self._secret = channel_secret
        self.store = store
        self.max_body_size = max_body_size
        self.body_timeout = body_timeout
        self.max_pending_bytes = max(max_pending_bytes, max_body_size)
        self.pending_bytes = 0
        self._trimmer = Trimmer()
        self.closing = False
        self.received = 0
        self.rejected = 0

    def _reject(
        self, status: int, error: str, reason: str, *, close: bool = False, **log: Any
    ) -> web.Response:
        self.rejected += 1
        _log.warning("webhook_rejected", reason=reason, status=status, **log)
        response = web.json_response({"error": error}, status=status)
        if status == 503:
            response.headers["Retry-After"] = "1"
        if close:
            response.force_close()  # the rest of the body is not worth reading
        return response

    async def _read_body(self, request: web.Request) -> bytes | web.Response:
        declared = request.content_length
        if declared is not None and declared > self.max_body_size:
            return self._reject(413, "body too large", "too_large", close=True, size=declared)
        reserved = declared or 0
        if self.pending_bytes + reserved > self.max_pending_bytes:
            return self._reject(503, "too many bodies in flight: retry", "busy", close=True)
        self.pending_bytes += reserved
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.body_timeout):
                async for chunk in request.content.iter_any():
                    size += len(chunk)
                    if size > self.max_body_size:  # chunked bodies have no Content-Length
                        return self._reject(413, "body too large", "too_large", close=True)
                    if size > reserved:
                        grow = size - reserved
                        if self.pending_bytes + grow > self.max_pending_bytes:
                            return self._reject(
                                503, "too many bodies in flight: retry", "busy", close=True
                            )
                        self.pending_bytes += grow
                        reserved = size
                    chunks.append(chunk)
        except TimeoutError:
            return self._reject(
                408,
                f"the body did not arrive within {self.body_timeout:g} s",
                "body_timeout",
                close=True,
            )
        except (ConnectionError, asyncio.IncompleteReadError):
            return self._reject(400, "incomplete body", "incomplete", close=True)
        except web.HTTPException as error:  # aiohttp's own refusals (bad chunking, say)
            return self._reject(error.status, error.reason, "unreadable", close=True)
        except Exception as error:  # a body aiohttp cannot decode is the sender's fault
            return self._reject(
                400, f"the body cannot be read: {describe_error(error)}", "unreadable", close=True
            )
        finally:
            self.pending_bytes -= reserved
            if reserved >= 64 * 1024:  # large bodies fragment the heap: see _memory
                self._trimmer.add(reserved)
            if not self.pending_bytes:
                self._trimmer.settle()
        return b"".join(chunks)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The webhook endpoint: verify ``request``'s signature, queue its events, answer 200.

        A missing or wrong signature is refused with 401, a malformed body with 400; while
        shutting down, or when the store is unreachable, it answers 503 so that LINE
        redelivers.
        """
        encoding = request.headers.get("Content-Encoding", "").strip().lower()
        if encoding not in ("", "identity"):
            # LINE sends bodies as they are signed; a compressed body would have to be
            # decompressed before its signature could be checked.
            return self._reject(
                415,
                f"Content-Encoding {encoding!r} is not accepted: LINE sends webhook bodies "
                "uncompressed, and the signature covers the bytes on the wire",
                "encoding",
                close=True,
            )
        signatures = request.headers.getall("x-line-signature", [])
        if len(signatures) > 1:
            return self._reject(
                400, "more than one x-line-signature header", "signature_repeated", close=True
            )
        body = await self._read_body(request)
        if isinstance(body, web.Response):
            return body
        signature = signatures[0] if signatures else None
        if not signature or not verify_signature(body, signature, self._secret):
            return self._reject(
                401,
                "x-line-signature does not match the request body",
                "signature",
                remote=request.remote,
            )
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            return self._reject(
                400, f"webhook body is not valid JSON: {error}", "body", detail=f"not JSON: {error}"
            )
        problem = _body_problem(data)
        if problem is not None:
            return self._reject(400, problem, "body", detail=problem)
        if self.closing:
            return web.json_response({"error": "shutting down"}, status=503)
        shards = self.store.shards
        items: list[QueuedEvent] = []
        bad: list[tuple[bytes, str]] = []
        for index, raw in enumerate(data["events"]):
            if not isinstance(raw, dict):
                bad.append((_dump(raw, body), f"events[{index}] is not a JSON object"))
                continue
            try:
                payload = orjson.dumps(raw)
            except orjson.JSONEncodeError:
                # Nested deeper than a queue can keep: the whole signed body is kept instead.
                bad.append((body, f"events[{index}] is nested too deeply to queue"))
                continue
            event_id = raw.get("webhookEventId")
            if not isinstance(event_id, str) or not event_id:
                event_id = None
            key = _key_of(raw, index)
            items.append(QueuedEvent(event_id, key, shard_of(key, shards), raw, payload))
        try:
            accepted = await self.store.enqueue(items) if items else []
            for raw_bytes, reason in bad:
                await self.store.dead_letter(None, raw=raw_bytes, key="rejected", error=reason)
        except Exception as error:
            # LINE redelivers what was not answered 2xx (when redelivery is on).
            _log.error("enqueue_failed", store=self.store.url, error=describe_error(error))
            return web.json_response({"error": "the event store is unavailable"}, status=503)
        self.received += len(items)
        for item, fresh in zip(items, accepted, strict=True):
            if not fresh:
                _log_duplicate(item.event_id, _is_redelivery(item.raw))
        for _, reason in bad:
            _log.error("event_rejected", reason=reason)
        # orjson, not json_response's json.dumps: this answer is on every request's path.
        answer = {
            "status": "ok",
            "events": len(data["events"]),
            "queued": sum(accepted),
            "rejected": len(bad),
        }
        return web.Response(body=orjson.dumps(answer), content_type="application/json")


def _dump(value: Any, body: bytes) -> bytes:
    """``value`` as JSON, or the whole body when it is nested too deeply to serialize."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return body


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
