"""The webhook receiver: verify, decode, enqueue durably, then answer 200.

LINE gets its 200 only once the request's events are in the store (one write per
request), so an answered event survives a crash. Redelivered events (same
``webhookEventId``) are queued once. The receiver reads only what it needs to queue
an event (its ID and chat); the worker parses it into a typed model. So one malformed
event never costs the others of its body: it reaches the dead letters, with its raw
JSON, from the receiver (not an object) or from the worker (not parseable).

:meth:`WebhookServer.accept` does all of it for any web framework: it takes the body (as
it arrives) and the three header values it needs, and returns an :class:`Answer`. The
aiohttp endpoint (:meth:`WebhookServer.handle`) and the ASGI app (``linegroupbot.asgi``) are
thin front ends over it, so both refuse, dedupe and answer alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Sequence
from typing import Any

import attrs
import orjson
from aiohttp import web

from ._memory import Trimmer
from .errors import describe_error
from .logging import get_logger
from .signature import verify_signature
from .stores import QueuedEvent, Store, shard_of

__all__ = ["Answer", "WebhookServer"]

_log = get_logger("linegroupbot.server")

_RETRY_AFTER = (("Retry-After", "1"),)
_SMALL = 64 * 1024
"""Bodies below this size are not worth giving back to the OS after use (see ``_memory``)."""


@attrs.frozen
class Answer:
    """What the receiver answers one webhook request, whatever serves it.

    ``status`` is the HTTP status; ``body`` the JSON body (``application/json``); ``headers``
    any headers beyond the content type (``Retry-After`` on a 503 that is worth retrying);
    ``close`` is true when the connection should be closed after the answer, because the
    rest of the request's body is not worth reading.
    """

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    close: bool = False


class WebhookServer:
    """Receives webhooks and puts their events in the store's queue.

    ``channel_secret`` verifies each body's ``x-line-signature``; ``store`` is the open store
    whose queue takes the events (and whose dead letters take what cannot be queued).

    Limits that keep an unauthenticated sender from holding the process: a body must be
    at most ``max_body_size`` bytes and arrive within ``body_timeout`` seconds; bodies not
    yet verified may hold at most ``max_pending_bytes`` of memory together (past that a
    request is answered 503 with ``Retry-After`` before its body is read).

    ``received`` and ``rejected`` count queued events and refused requests (``/healthz``
    reports them); ``closing`` set to true answers 503 to whatever still arrives.
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
    ) -> Answer:
        self.rejected += 1
        _log.warning("webhook_rejected", reason=reason, status=status, **log)
        return Answer(
            status,
            orjson.dumps({"error": error}),
            _RETRY_AFTER if status == 503 else (),
            close,  # the rest of the body is not worth reading
        )

    async def _read_body(
        self, chunks: bytes | AsyncIterable[bytes], declared: int | None
    ) -> bytes | Answer:
        if isinstance(chunks, bytes):  # read already, by the caller
            declared = len(chunks)
            if declared > self.max_body_size:
                return self._reject(413, "body too large", "too_large", size=declared)
            return chunks
        if declared is not None and declared > self.max_body_size:
            return self._reject(413, "body too large", "too_large", close=True, size=declared)
        reserved = declared or 0
        if self.pending_bytes + reserved > self.max_pending_bytes:
            return self._reject(503, "too many bodies in flight: retry", "busy", close=True)
        self.pending_bytes += reserved
        parts: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.body_timeout):
                async for chunk in chunks:
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
                    parts.append(chunk)
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
        except Exception as error:  # a body the server cannot decode is the sender's fault
            return self._reject(
                400, f"the body cannot be read: {describe_error(error)}", "unreadable", close=True
            )
        finally:
            self.pending_bytes -= reserved
            if reserved >= _SMALL:  # large bodies fragment the heap: see _memory
                self._trimmer.add(reserved)
            if not self.pending_bytes:
                self._trimmer.settle()
        return b"".join(parts)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The aiohttp webhook endpoint: ``app.router.add_post(path, receiver.handle)``.

        ``request`` is the aiohttp request; its body is read as it arrives and its headers
        are handed to :meth:`accept`, whose :class:`Answer` becomes the response.
        """
        headers = request.headers
        content = request.content
        length = request.content_length
        body: bytes | AsyncIterable[bytes]
        if length is not None and length < _SMALL and content.is_eof() and not content.exception():
            body = content.read_nowait()  # it came whole with the headers: nothing to wait for
        else:
            body = content.iter_any()
        answer = await self.accept(
            body,
            signatures=headers.getall("x-line-signature", ()),
            content_length=length,
            content_encoding=headers.get("Content-Encoding"),
            remote=request.remote,
        )
        response = web.Response(
            body=answer.body,
            status=answer.status,
            headers=answer.headers or None,
            content_type="application/json",
        )
        if answer.close:
            response.force_close()
        return response

    async def accept(
        self,
        body: bytes | AsyncIterable[bytes],
        *,
        signatures: Sequence[str],
        content_length: int | None = None,
        content_encoding: str | None = None,
        remote: str | None = None,
    ) -> Answer:
        """Take one webhook request, from any web framework: verify, queue, and say what to answer.

        ``body`` is the request body, whole (``bytes``) or as it arrives (an async iterable of
        chunks: then the body timeout and the in-flight budget apply while it is read).
        ``signatures`` holds every ``x-line-signature`` header value of the request (LINE
        sends one; none is 401, two are 400). ``content_length`` is the ``Content-Length``
        header as a number (``None`` when absent or chunked), checked before anything is
        read. ``content_encoding`` is the ``Content-Encoding`` header (several joined with
        commas), ``None`` when absent: anything but ``identity`` is 415. ``remote`` is the
        sender's address, for the log of a forged signature.

        Returns the :class:`Answer` to send: 200 once the events are in the store, else the
        refusal (400, 401, 408, 413, 415, 503) with the reason in its JSON body.
        """
        if content_encoding and _is_encoded(content_encoding):
            # LINE sends bodies as they are signed; a compressed body would have to be
            # decompressed before its signature could be checked.
            return self._reject(
                415,
                f"Content-Encoding {content_encoding.strip().lower()!r} is not accepted: LINE "
                "sends webhook bodies uncompressed, and the signature covers the bytes on the "
                "wire",
                "encoding",
                close=True,
            )
        if len(signatures) > 1:
            return self._reject(
                400, "more than one x-line-signature header", "signature_repeated", close=True
            )
        raw = await self._read_body(body, content_length)
        if isinstance(raw, Answer):
            return raw
        signature = signatures[0] if signatures else None
        if not signature or not verify_signature(raw, signature, self._secret):
            return self._reject(
                401,
                "x-line-signature does not match the request body",
                "signature",
                remote=remote,
            )
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            return self._reject(
                400, f"webhook body is not valid JSON: {error}", "body", detail=f"not JSON: {error}"
            )
        problem = _body_problem(data)
        if problem is not None:
            return self._reject(400, problem, "body", detail=problem)
        if self.closing:
            return Answer(503, b'{"error":"shutting down"}')
        return await self._enqueue(data["events"], raw)

    async def _enqueue(self, events: list[Any], raw: bytes) -> Answer:
        """Queue a verified body's events (one store write); dead-letter what cannot be."""
        shards = self.store.shards
        items: list[QueuedEvent] = []
        bad: list[tuple[bytes, str]] = []
        for index, event in enumerate(events):
            if not isinstance(event, dict):
                bad.append((_dump(event, raw), f"events[{index}] is not a JSON object"))
                continue
            try:
                payload = orjson.dumps(event)
            except orjson.JSONEncodeError:
                # Nested deeper than a queue can keep: the whole signed body is kept instead.
                bad.append((raw, f"events[{index}] is nested too deeply to queue"))
                continue
            event_id = event.get("webhookEventId")
            if not isinstance(event_id, str) or not event_id:
                event_id = None
            key = _key_of(event, index)
            items.append(QueuedEvent(event_id, key, shard_of(key, shards), event, payload))
        try:
            accepted = await self.store.enqueue(items) if items else []
            for raw_bytes, reason in bad:
                await self.store.dead_letter(None, raw=raw_bytes, key="rejected", error=reason)
        except Exception as error:
            # LINE redelivers what was not answered 2xx (when redelivery is on).
            _log.error("enqueue_failed", store=self.store.url, error=describe_error(error))
            return Answer(503, b'{"error":"the event store is unavailable"}')
        self.received += len(items)
        for item, fresh in zip(items, accepted, strict=True):
            if not fresh:
                _log_duplicate(item.event_id, _is_redelivery(item.raw))
        for _, reason in bad:
            _log.error("event_rejected", reason=reason)
        answer = {
            "status": "ok",
            "events": len(events),
            "queued": sum(accepted),
            "rejected": len(bad),
        }
        return Answer(200, orjson.dumps(answer))


def _is_encoded(header: str) -> bool:
    """Whether a ``Content-Encoding`` value names any coding but ``identity``."""
    return any(token.strip().lower() not in ("", "identity") for token in header.split(","))


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
