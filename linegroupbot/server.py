"""The aiohttp webhook endpoint: verify, parse, answer 200, then dispatch in the background.

Events of one chat are handled in the order LINE sent them; different chats run
concurrently up to a limit. Redelivered events (same ``webhookEventId``) are handled
once. On shutdown, in-flight handlers get ``drain_timeout`` seconds to finish; the
rest are cancelled and logged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from . import events as ev
from .errors import InvalidSignatureError, InvalidWebhookBodyError
from .signature import parse_webhook
from .stores import DedupeStore

__all__ = ["WebhookServer"]

_log = structlog.get_logger("linegroupbot.server")


class WebhookServer:
    """Receives webhooks and schedules ``handle_event`` per event, ordered per chat."""

    def __init__(
        self,
        *,
        channel_secret: str,
        handle_event: Callable[[ev.Event], Awaitable[None]],
        dedupe: DedupeStore,
        concurrency: int = 64,
        max_body_size: int = 1024 * 1024,
        drain_timeout: float = 10.0,
    ) -> None:
        self._secret = channel_secret
        self._handle_event = handle_event
        self.dedupe = dedupe
        self.max_body_size = max_body_size
        self.drain_timeout = drain_timeout
        self._limit = asyncio.Semaphore(concurrency)
        self._tails: dict[str, asyncio.Task[None]] = {}
        self._tasks: dict[asyncio.Task[None], ev.Event] = {}
        self._closing = False

    @property
    def in_flight(self) -> int:
        """How many events are queued or being handled."""
        return len(self._tasks)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The webhook endpoint."""
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
        body = b"".join(chunks)
        signature = request.headers.get("x-line-signature")
        try:
            parsed = parse_webhook(body, signature, self._secret)
        except InvalidSignatureError as error:
            _log.warning("webhook_rejected", reason="signature", remote=request.remote)
            return web.json_response({"error": str(error)}, status=401)
        except InvalidWebhookBodyError as error:
            _log.warning("webhook_rejected", reason="body", detail=str(error))
            return web.json_response({"error": str(error)}, status=400)
        if self._closing:
            return web.json_response({"error": "shutting down"}, status=503)
        for event in parsed.events:
            if event.webhook_event_id and not await self.dedupe.first_seen(event.webhook_event_id):
                _log.info(
                    "event_duplicate_skipped",
                    webhook_event_id=event.webhook_event_id,
                    is_redelivery=event.is_redelivery,
                )
                continue
            self._schedule(event)
        return web.json_response({"status": "ok", "events": len(parsed.events)})

    def _schedule(self, event: ev.Event) -> None:
        key = event.chat_id or f"event:{event.webhook_event_id or id(event)}"
        previous = self._tails.get(key)
        task = asyncio.create_task(self._run(previous, event))
        self._tails[key] = task
        self._tasks[task] = event

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.pop(finished, None)
            if self._tails.get(key) is finished:
                del self._tails[key]

        task.add_done_callback(done)

    async def _run(self, previous: asyncio.Task[None] | None, event: ev.Event) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        async with self._limit:
            await self._handle_event(event)

    async def healthz(self, request: web.Request) -> web.StreamResponse:
        """``GET /healthz`` for load balancers."""
        return web.json_response({"status": "ok", "in_flight": self.in_flight})

    async def drain(self) -> None:
        """Stop taking events; wait for in-flight handlers, cancelling what is left."""
        self._closing = True
        pending = set(self._tasks)
        if not pending:
            return
        _log.info("draining", in_flight=len(pending), timeout=self.drain_timeout)
        _, still = await asyncio.wait(pending, timeout=self.drain_timeout)
        if still:
            _log.warning(
                "drain_cut_off",
                cancelled=len(still),
                webhook_event_ids=[
                    self._tasks[t].webhook_event_id for t in still if t in self._tasks
                ],
            )
            for task in still:
                task.cancel()
            await asyncio.gather(*still, return_exceptions=True)

    def install(self, app: web.Application, path: str) -> None:
        """Add the webhook and health routes to ``app``."""
        app.router.add_post(path, self.handle)
        app.router.add_get("/healthz", self.healthz)

    def __repr__(self) -> str:
        return f"WebhookServer(in_flight={self.in_flight})"
