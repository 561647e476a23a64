"""What runs a bot: the store, the webhook receiver, the queue worker, lifecycle and signals.

A :class:`~linegroupbot.bot.Bot` is what the bot *is* (routers, settings, plugins); a
:class:`Runtime` runs it in one of three roles:

- ``"all"`` (the default): receive webhooks and handle events, in one process;
- ``"receiver"``: verify, dedupe, enqueue and answer; handle nothing;
- ``"worker"``: handle what receivers queued; serve only ``GET /healthz``.

Receivers and workers share the store: any number of each, on any machines, with Redis.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from . import events as ev
from .errors import ConfigurationError, describe_error
from .logging import get_logger
from .schedule import Scheduler
from .stores import Store, open_store
from .worker import Handle, Worker

if TYPE_CHECKING:
    from aiohttp import web

    from .bot import Bot
    from .server import WebhookServer

__all__ = [
    "LOOPS",
    "LOOP_ENV",
    "ROLES",
    "STORE_ENV",
    "Loop",
    "Role",
    "Runtime",
    "resolve_store_url",
    "run_on_loop",
]

_log = get_logger("linegroupbot")

Role = Literal["all", "receiver", "worker"]
"""What a process does: everything, only receive webhooks, or only handle events."""
ROLES: tuple[Role, ...] = ("all", "receiver", "worker")
"""Every :data:`Role`, as ``--role`` takes them."""

STORE_ENV = "LINEGROUPBOT_STORE"
"""The environment variable that names the store when nothing else does."""


Loop = Literal["auto", "asyncio", "uvloop"]
"""The event loop ``Bot.run()`` serves on: uvloop if installed (``"auto"``), or the one named."""
LOOPS: tuple[Loop, ...] = ("auto", "asyncio", "uvloop")

LOOP_ENV = "LINEGROUPBOT_LOOP"
"""The environment variable that picks the event loop when ``Bot.run(loop=)`` does not."""

T = TypeVar("T")


def run_on_loop(main: Coroutine[Any, Any, T], loop: Loop | None = None) -> T:
    """Run ``main`` to completion on a new event loop, as ``asyncio.run`` does.

    ``loop`` (else ``$LINEGROUPBOT_LOOP``, else ``"auto"``): ``"auto"`` takes uvloop when
    it is installed (``pip install 'linegroupbot[uvloop]'``) and no event loop policy of
    your own is set; ``"asyncio"`` the standard library's loop; ``"uvloop"`` insists on it.
    """
    choice = loop or os.environ.get(LOOP_ENV) or "auto"
    if choice not in LOOPS:
        main.close()
        raise ConfigurationError(
            f"event loop {choice!r} is not one of {', '.join(LOOPS)} (from {LOOP_ENV} or loop=)"
        )
    if choice == "uvloop" or (choice == "auto" and _default_policy()):
        try:
            import uvloop
        except ImportError:
            if choice == "uvloop":
                main.close()
                raise ConfigurationError(
                    "uvloop is not installed: pip install 'linegroupbot[uvloop]', or run on "
                    f"asyncio ({LOOP_ENV}=asyncio)"
                ) from None
        else:
            return uvloop.run(main)
    return asyncio.run(main)


def _default_policy() -> bool:
    """Whether the event loop policy is still the standard library's (nobody chose one)."""
    return type(asyncio.get_event_loop_policy()) is asyncio.DefaultEventLoopPolicy


def resolve_store_url(explicit: str | None, bot_store: str | None, default: str) -> str:
    """The store URL in force: the first given of these.

    Args:
        explicit: The URL asked for now (``--store``, ``serve(store=)``).
        bot_store: The bot's ``store`` setting, when it is a URL.
        default: The URL when neither is given and ``$LINEGROUPBOT_STORE`` is unset.
    """
    return explicit or bot_store or os.environ.get(STORE_ENV) or default


class Runtime:
    """Runs ``bot`` with ``store`` (a :class:`~linegroupbot.stores.Store` or a URL) as ``role``.

    ``Bot.create_app()`` and ``Bot.run()`` make one; make your own to run a worker, a
    receiver, or to pick the store at run time. ``start()``/``stop()`` bracket its life;
    :meth:`create_app` ties them to an aiohttp application's startup and shutdown.

    ``role`` is ``"all"``, ``"receiver"`` or ``"worker"``. An unset ``store`` is the
    bot's, else ``$LINEGROUPBOT_STORE``, else ``default_store``.

    Raises:
        ConfigurationError: An unknown role.
        StoreError: The store URL is malformed.
    """

    def __init__(
        self,
        bot: Bot,
        *,
        store: Store | str | None = None,
        role: Role = "all",
        default_store: str = "memory://",
    ) -> None:
        if role not in ROLES:
            raise ConfigurationError(f"role {role!r} is not one of {', '.join(ROLES)}")
        self.bot = bot
        self.role: Role = role
        if isinstance(store, str) or store is None:
            bot_store = bot.store if isinstance(bot.store, str) else None
            if store is None and bot.store is not None and not isinstance(bot.store, str):
                self.store: Store = bot.store
            else:
                url = resolve_store_url(store, bot_store, default_store)
                self.store = open_store(url, shards=bot.shards)
        else:
            self.store = store
        if not self.store.durable and role != "all":
            raise ConfigurationError(
                f"role {role!r} needs a store other processes share, and {self.store.url} lives "
                "in this process: use --store sqlite:///bot.db (one machine) or "
                "--store redis://host:6379/0"
            )
        self.receiver: WebhookServer | None = None
        self.worker: Worker | None = None
        self.scheduler: Scheduler | None = None
        if role != "receiver":
            self.scheduler = Scheduler(self.store, lambda: bot.client)
            # The bot's own process unless a subclass changed handle(): one coroutine less
            # per event. Looked up per event, so that a process() wrapped later is called.
            handle: Handle = self.handle
            if type(self).handle is Runtime.handle:
                handle = lambda event, attempt: bot.process(event, attempt)  # noqa: E731
            self.worker = Worker(
                self.store,
                handle,
                concurrency=bot.concurrency,
                max_attempts=bot.max_attempts,
                max_deliveries=bot.max_deliveries,
                retry_delay=bot.retry_delay,
                lease_ttl=bot.lease_ttl,
                drain_timeout=bot.drain_timeout,
                # Past its budget a handler is cancelled; still running a little after that,
                # it ignores cancellation (or blocks the loop): report it.
                stuck_after=300.0 if bot.handler_timeout is None else bot.handler_timeout + 5.0,
            )
        self.started = False

    def __repr__(self) -> str:
        return f"Runtime({self.bot!r}, role={self.role!r}, store={self.store.url!r})"

    # --- handling ---------------------------------------------------------------------------

    async def handle(self, event: ev.Event, attempt: int = 1) -> None:
        """Dispatch one ``event``, try number ``attempt`` (see
        :meth:`Bot.process <linegroupbot.bot.Bot.process>`)."""
        await self.bot.process(event, attempt)

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the store, run startup hooks, start the worker (not for receivers)."""
        if self.started:
            return
        self.bot.check_settings()
        await self.store.open()
        self.bot.runtime = self
        await self.bot.startup()
        if self.worker is not None:
            await self.worker.start()
        if self.scheduler is not None:
            self.scheduler.start()
        self.started = True
        _log.info("runtime_started", role=self.role, store=self.store.url)

    async def stop(self) -> None:
        """Stop taking webhooks, drain the worker, run shutdown hooks, close the store."""
        if not self.started:
            return
        self.started = False
        if self.receiver is not None:
            self.receiver.closing = True
        if self.scheduler is not None:
            await self.scheduler.stop()
        if self.worker is not None:
            await self.worker.stop()
        await self.bot.shutdown()
        if not self.store.durable:
            left = (await self.store.stats()).depth
            if left:
                _log.warning("events_lost", events=left, store=self.store.url)
        await self.store.close()
        _log.info("runtime_stopped", role=self.role)

    @property
    def in_flight(self) -> int:
        """Events this process took from the queue and has not finished."""
        return self.worker.in_flight if self.worker is not None else 0

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until the queue is empty and nothing is in flight (tests use this).

        Raises:
            TimeoutError: Still busy after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            if self.in_flight == 0 and (await self.store.stats()).depth == 0:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"events still queued or in flight after {timeout} s")
            await asyncio.sleep(0.01)

    # --- serving ----------------------------------------------------------------------------

    def create_app(self, path: str = "/callback") -> web.Application:
        """An aiohttp application: the webhook at ``path`` (not for workers) and ``/healthz``."""
        # aiohttp.web and the receiver are imported here, not at import: defining a bot
        # needs neither.
        from aiohttp import web

        from .server import WebhookServer

        bot = self.bot
        bot.check_settings()
        app = web.Application(client_max_size=bot.max_body_size + 1024)
        from .bot import BOT_KEY

        app[BOT_KEY] = bot
        if self.role != "worker":
            self.receiver = WebhookServer(
                channel_secret=bot.channel_secret,
                store=self.store,
                max_body_size=bot.max_body_size,
                body_timeout=bot.body_timeout,
                max_pending_bytes=bot.max_pending_bytes,
            )
            app.router.add_post(path, self.receiver.handle)
        app.router.add_get("/healthz", self.healthz)
        app.on_startup.append(self._on_startup)
        app.on_shutdown.append(self._on_shutdown)
        return app

    async def _on_startup(self, _: web.Application) -> None:
        await self.start()

    async def _on_shutdown(self, _: web.Application) -> None:
        await self.stop()

    async def health(self) -> dict[str, Any]:
        """Role, store, queue depth, oldest waiting event's age, dead letters, in-flight."""
        report: dict[str, Any] = {"status": "ok", "role": self.role, "store": self.store.url}
        try:
            stats = await self.store.stats()
        except Exception as error:
            report.update(status="store_unavailable", error=describe_error(error))
        else:
            report["queue"] = {
                "depth": stats.depth,
                "oldest_age": None if stats.oldest_age is None else round(stats.oldest_age, 3),
                "dead_letters": stats.dead_letters,
                "workers": stats.workers,
            }
        report["in_flight"] = self.in_flight
        if self.scheduler is not None:
            report["scheduled"] = {"sent": self.scheduler.sent, "dropped": self.scheduler.dropped}
        if self.worker is not None:
            report["worker"] = self.worker.health()
            if self.worker.read_failures and report["status"] == "ok":
                report["status"] = "worker_failing"  # it cannot read the queue: see last_error
            if self.worker.stuck and report["status"] == "ok":
                report["status"] = "degraded"  # handlers that outlived their budget
        if self.receiver is not None:
            report["received"] = self.receiver.received
            report["rejected"] = self.receiver.rejected
        return report

    async def healthz(self, request: web.Request) -> web.StreamResponse:
        """``GET /healthz``: 200 with :meth:`health`; 503 when the store is unreachable, the
        worker cannot read the queue, or handlers are stuck past their time budget.

        ``request`` is the aiohttp request (unused beyond routing).
        """
        from aiohttp import web

        report = await self.health()
        return web.json_response(report, status=200 if report["status"] == "ok" else 503)

    async def serve(
        self, host: str = "127.0.0.1", port: int = 8000, *, path: str = "/callback"
    ) -> None:
        """Serve until SIGINT/SIGTERM (or cancellation), then stop gracefully.

        ``host`` and ``port`` are where to listen; ``path`` is the webhook's URL path.

        Once started (startup hooks run), what the process made so far (modules, the bot,
        its handlers, what the hooks made) is frozen out of the garbage collector's view
        (:func:`~linegroupbot.serving.freeze_startup_objects`): full collections under load
        then walk only what the events made.
        """
        from .serving import freeze_startup_objects, start_site, wait_for_signal

        runner, bound = await start_site(
            self.create_app(path), host, port, idle_timeout=self.bot.idle_timeout
        )
        freeze_startup_objects()
        if self.role == "worker":
            _log.info("serving", health=f"http://{host}:{bound}/healthz", role=self.role)
        else:
            _log.info("serving", url=f"http://{host}:{bound}{path}", role=self.role)
        try:
            await wait_for_signal()
        finally:
            _log.info("stopping")
            await runner.cleanup()
