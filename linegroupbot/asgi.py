"""Serve a bot's webhook from an ASGI application: FastAPI, Starlette, or any ASGI server.

Example (FastAPI; the deploying guide has it whole, and Starlette's)::

    from fastapi import FastAPI
    from starlette.routing import Route
    from linegroupbot.asgi import WebhookApp

    webhook = WebhookApp(bot)                      # bot = Bot() with your handlers
    app = FastAPI(lifespan=webhook.lifespan)       # starts and drains the bot with the app
    app.routes.append(Route("/callback", webhook, methods=["POST"]))  # https://<host>/callback

The webhook behaves as ``linegroupbot run`` does: the same receiver
(:meth:`~linegroupbot.server.WebhookServer.accept`) answers LINE once the events are in the
store, refusing what ``run`` refuses, and the bot's worker handles them in the same process.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping, Sequence
from typing import Any

import orjson

from .bot import DEFAULT_RUN_STORE, Bot
from .logging import get_logger
from .runtime import Role, Runtime
from .server import Answer, WebhookServer
from .stores import Store

__all__ = ["WebhookApp"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_log = get_logger("linegroupbot.asgi")


class WebhookApp:
    """An ASGI application serving ``bot``'s webhook: ``POST`` takes LINE's webhook requests,
    ``GET`` answers the health report that ``/healthz`` gives under ``linegroupbot run``.

    ``bot`` is the bot whose handlers run (its secret, token and limits: ``max_body_size``,
    ``body_timeout``, ``max_pending_bytes``). ``store`` is where accepted events wait: a store
    or its URL (default: the bot's, ``$LINEGROUPBOT_STORE``, else ``sqlite:///linegroupbot.db``,
    as for ``run``). ``role`` is ``"all"`` (receive and handle) or ``"receiver"`` (only receive,
    for workers elsewhere on the same store).

    Route the webhook's path to it (a Starlette ``Route``; in FastAPI,
    ``app.routes.append(Route(...))``; a ``Mount`` would need a trailing slash). The bot starts
    with the ASGI lifespan: pass :meth:`lifespan` to FastAPI or Starlette (an app behind a route
    gets no lifespan events itself). Without it, the bot starts on the first request and is not
    drained at exit.
    """

    def __init__(self, bot: Bot, *, store: Store | str | None = None, role: Role = "all") -> None:
        if role == "worker":
            raise ValueError("a WebhookApp receives webhooks: use role 'all' or 'receiver'")
        self.bot = bot
        self.runtime = Runtime(bot, store=store, role=role, default_store=DEFAULT_RUN_STORE)
        self._receiver: WebhookServer | None = None
        self._starting = asyncio.Lock()

    @property
    def receiver(self) -> WebhookServer:
        """The webhook receiver (made when first needed: it needs the channel secret)."""
        if self._receiver is None:
            self._receiver = WebhookServer(
                channel_secret=self.bot.channel_secret,
                store=self.runtime.store,
                max_body_size=self.bot.max_body_size,
                body_timeout=self.bot.body_timeout,
                max_pending_bytes=self.bot.max_pending_bytes,
            )
            self.runtime.receiver = self._receiver
        return self._receiver

    async def start(self) -> None:
        """Start the bot: open the store, run startup hooks, start the worker."""
        async with self._starting:
            self.receiver  # noqa: B018 (fails now, naming the variable, without a secret)
            await self.runtime.start()

    async def stop(self) -> None:
        """Stop taking webhooks, drain the handlers, run shutdown hooks, close the store."""
        await self.runtime.stop()

    @contextlib.asynccontextmanager
    async def lifespan(self, app: object = None) -> AsyncIterator[None]:
        """``FastAPI(lifespan=webhook.lifespan)``: the bot runs while the application does.

        ``app`` is the application whose lifespan this is (unused: the bot needs nothing from
        it). Inside an application's own lifespan: ``async with webhook.lifespan(app): yield``.
        """
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point: ``scope``, ``receive`` and ``send`` as the ASGI server gives them.

        ``http`` requests are served (``POST``: the webhook; ``GET``/``HEAD``: the health
        report; anything else: 405), ``lifespan`` events start and stop the bot, and other
        scope types (websockets) are ignored.
        """
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if not self.runtime.started:
            _log.warning(
                "asgi_started_on_request",
                detail="pass lifespan=webhook.lifespan to the app so the bot drains at exit",
            )
            await self.start()
        method = scope["method"]
        if method == "POST":
            answer = await self._accept(scope, receive)
            headers = list(_JSON)
            headers += [
                (name.encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers
            ]
            if answer.close:  # the ASGI server closes the connection after this answer
                headers.append((b"connection", b"close"))
            await _send(send, answer.status, answer.body, headers)
        elif method in ("GET", "HEAD"):
            report = await self.runtime.health()
            await _send(send, 200 if report["status"] == "ok" else 503, orjson.dumps(report))
        else:
            await _send(send, 405, orjson.dumps({"error": "POST LINE's webhook requests here"}))

    async def _accept(self, scope: Scope, receive: Receive) -> Answer:
        """Hand the request to the receiver: its body as it arrives, and the headers it reads."""
        signatures: list[str] = []
        length: int | None = None
        encodings: list[str] = []
        for name, value in scope.get("headers", ()):
            name = name.lower()  # ASGI servers send lowercase names; not all do
            if name == b"x-line-signature":
                signatures.append(value.decode("latin-1"))
            elif name == b"content-length":
                length = int(value) if value.isdigit() else None
            elif name == b"content-encoding":
                encodings.append(value.decode("latin-1"))
        client = scope.get("client")
        return await self.receiver.accept(
            _chunks(receive),
            signatures=signatures,
            content_length=length,
            content_encoding=",".join(encodings) if encodings else None,
            remote=client[0] if client else None,
        )

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.start()
                except Exception as error:
                    await send({"type": "lifespan.startup.failed", "message": str(error)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


_JSON = ((b"content-type", b"application/json"),)


async def _send(
    send: Send, status: int, body: bytes, headers: Sequence[tuple[bytes, bytes]] = _JSON
) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    """The request body as ASGI delivers it: chunks, as they arrive."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionError("the client went away before sending the whole body")
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return
