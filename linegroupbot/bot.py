"""Bot: settings, the root router, plugins, the webhook app and ``run()``."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import time
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

# AppKey is aiohttp.web.AppKey, defined beside the client's helpers: taking it from there
# leaves aiohttp.web (the server) unimported until an application is made.
from aiohttp.helpers import AppKey

from . import events as ev
from .client import (
    LineClient,
    RateLimit,
    RetryPolicy,
    begin_retry_keys,
    clean_token,
    end_retry_keys,
    with_default_limits,
)
from .context import Context, ExtKey, context_class
from .errors import ConfigurationError, HandlerTimeoutError, LineGroupBotError, StoreError
from .loading import load_object
from .logging import get_logger, redact, structlog_config
from .messages import Messages
from .routing import Router
from .runtime import Loop, Role, Runtime, run_on_loop
from .schedule import ScheduledPush, When, cancel, pending, schedule
from .serving import DEFAULT_IDLE_TIMEOUT
from .state import State
from .stores import Store
from .timeouts import DEFAULT_HANDLER_TIMEOUT, Budget

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["BOT_KEY", "DEFAULT_RUN_STORE", "Bot", "Plugin"]

DEFAULT_RUN_STORE = "sqlite:///linegroupbot.db"
"""Where ``run()`` keeps accepted events unless a store is named: a file in the working folder."""

_log = get_logger("linegroupbot")

BOT_KEY: web.AppKey[Bot] = AppKey("linegroupbot.bot")
"""Where ``create_app()`` keeps the bot in the aiohttp application."""


class Plugin(Protocol):
    """A plugin: a module or object with ``setup(bot)``, which adds to the bot what the
    plugin provides (see :mod:`linegroupbot.ext` for what it may touch)."""

    def setup(self, bot: Bot, /) -> None:
        """Install the plugin into ``bot``.

        Args:
            bot: The bot loading the plugin: add routers, middleware and context extensions
                to it.
        """


PLUGIN_GROUP = "linegroupbot.plugins"


class Bot(Router):
    """A LINE bot: register handlers with decorators, then ``run()`` or ``create_app()``.

    Every setting but the secret and token is keyword-only; a bad value raises
    :class:`~linegroupbot.errors.ConfigurationError` here, a missing secret or token when
    the bot starts (with a message naming the variable).

    Args:
        channel_secret: The channel secret; defaults to ``$LINE_CHANNEL_SECRET``.
        access_token: The channel access token; defaults to ``$LINE_CHANNEL_ACCESS_TOKEN``.
        channel_id: Instead of a token: with the secret, the bot issues stateless channel
            access tokens as it needs them, each renewed before it expires (default
            ``$LINE_CHANNEL_ID``).
        api_base_url: The Messaging API host; defaults to ``$LINE_API_BASE_URL``, then
            LINE's.
        data_api_base_url: The content host; defaults to ``$LINE_DATA_API_BASE_URL``, then
            LINE's.
        command_prefixes: What starts a command (``/remind``, ``!remind``); at least one.
        concurrency: How many handlers run at once.
        max_body_size: The largest webhook body accepted, in bytes.
        body_timeout: Seconds an unauthenticated sender has to send the whole body.
        idle_timeout: Seconds after which a connection idle (or still sending headers) is
            closed (see the security page).
        max_pending_bytes: Memory that unverified bodies share, in bytes.
        drain_timeout: Seconds a stopping bot waits for handlers still running.
        store: Where accepted events, dedupe records, dead letters and state live: a URL or
            a :class:`~linegroupbot.stores.Store`. Unset, ``$LINEGROUPBOT_STORE`` names it,
            else ``memory://`` for ``create_app()`` and tests and
            ``sqlite:///linegroupbot.db`` for ``run()``.
        shards: How many queue shards (chats map onto them) a store named by URL gets,
            unless the URL says (``?shards=``); ``None``: 16.
        max_attempts: How many times an event whose handler failed is tried.
        max_deliveries: How many times an event is handed out when workers die holding it.
        retry_delay: Seconds before a failed event is tried again.
        lease_ttl: Seconds a worker holds an event before another may take it over.
        clear_state_on_leave: Forget a chat's state (``ctx.chat_state``) when the bot leaves
            it, and a member's (``ctx.member_state``) when they leave.
        track_rosters: Keep ``ctx.roster`` from events (one store write per member newly
            seen).
        skip_stale_edits: Skip an edit older than one already handled (LINE may deliver
            edits out of order).
        edit_memory: Seconds the edits of a message are remembered for that check.
        handler_timeout: Each event's time budget in seconds (``None``: no limit); a handler
            past it is cancelled and its chat moves on (see :mod:`linegroupbot.timeouts`;
            ``@handler_timeout(seconds)`` gives one handler its own).
        retry: How the API client retries (see :class:`~linegroupbot.client.RetryPolicy`).
        rate_limits: Per endpoint class, the client's limit (see
            :class:`~linegroupbot.client.LineClient`); an unknown endpoint class fails here.
        plugins: Plugins to load now (see :class:`Plugin`).
        load_entry_point_plugins: Also load every plugin installed under the
            ``linegroupbot.plugins`` entry-point group.
        name: The bot's name, in logs and the router tree.

    Raises:
        ConfigurationError: A setting is out of range, or a plugin fails to load.
    """

    def __init__(
        self,
        channel_secret: str | None = None,
        access_token: str | None = None,
        *,
        channel_id: str | None = None,
        api_base_url: str | None = None,
        data_api_base_url: str | None = None,
        command_prefixes: Iterable[str] = ("/", "!"),
        concurrency: int = 64,
        max_body_size: int = 1024 * 1024,
        body_timeout: float = 10.0,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        max_pending_bytes: int = 16 * 1024 * 1024,
        drain_timeout: float = 10.0,
        store: Store | str | None = None,
        shards: int | None = None,
        max_attempts: int = 3,
        max_deliveries: int = 10,
        retry_delay: float = 0.5,
        lease_ttl: float = 15.0,
        clear_state_on_leave: bool = True,
        track_rosters: bool = True,
        skip_stale_edits: bool = True,
        edit_memory: float = 7 * 24 * 3600,
        handler_timeout: float | None = DEFAULT_HANDLER_TIMEOUT,
        retry: RetryPolicy | None = None,
        rate_limits: Mapping[str, RateLimit | int] | None = None,
        plugins: Iterable[Plugin] = (),
        load_entry_point_plugins: bool = False,
        name: str = "bot",
    ) -> None:
        super().__init__(name=name)
        self._secret = channel_secret
        self._token = access_token
        self._channel_id = channel_id
        self.api_base_url = api_base_url
        self.data_api_base_url = data_api_base_url
        self.command_prefixes = tuple(command_prefixes)
        if not self.command_prefixes:
            raise ConfigurationError("command_prefixes is empty: give at least one, e.g. ('/',)")
        self.concurrency = concurrency
        self.max_body_size = max_body_size
        for label, value in (("body_timeout", body_timeout), ("idle_timeout", idle_timeout)):
            if not value > 0:
                raise ConfigurationError(f"{label} must be a positive number of seconds: {value}")
        self.body_timeout = body_timeout
        self.idle_timeout = idle_timeout
        self.max_pending_bytes = max_pending_bytes
        self.drain_timeout = drain_timeout
        self.store = store
        self.shards = shards
        self.max_attempts = max_attempts
        self.max_deliveries = max_deliveries
        self.retry_delay = retry_delay
        self.lease_ttl = lease_ttl
        self.clear_state_on_leave = clear_state_on_leave
        self.track_rosters = track_rosters
        self.skip_stale_edits = skip_stale_edits
        self.edit_memory = edit_memory
        if handler_timeout is not None and not handler_timeout > 0:
            raise ConfigurationError(
                f"handler_timeout must be a positive number of seconds or None: {handler_timeout}"
            )
        self.handler_timeout = handler_timeout
        self._roster_seen: set[tuple[str, str]] = set()
        self._on_schedule = self._scheduled  # bound once, not per event
        self.retry = retry
        try:
            self.rate_limits = with_default_limits(rate_limits)
        except (TypeError, ValueError) as error:
            raise ConfigurationError(str(error)) from None
        self.extensions: dict[ExtKey[Any], Callable[[Context], Any]] = {}
        self.plugins: list[str] = []
        self._failure_observers: list[Callable[[Context, Exception], None]] = []
        self._client: LineClient | None = None
        self._plain_client = type(self).client is Bot.client  # not overridden: skip the property
        self.runtime: Runtime | None = None
        for plugin in plugins:
            self.add_plugin(plugin)
        if load_entry_point_plugins:
            self.load_entry_point_plugins()

    def __repr__(self) -> str:
        return f"Bot(name={self.name!r}, entries={len(self.entries)})"

    # --- settings -----------------------------------------------------------------------------

    @property
    def channel_secret(self) -> str:
        """The channel secret; raises :class:`~linegroupbot.errors.ConfigurationError` when not
        configured."""
        secret = self._secret or os.environ.get("LINE_CHANNEL_SECRET")
        if not secret or not secret.strip():
            raise ConfigurationError(
                "LINE_CHANNEL_SECRET is not set: export it, or pass Bot(channel_secret=...)"
            )
        return clean_token(secret, "the channel secret", "LINE_CHANNEL_SECRET")

    @property
    def access_token(self) -> str:
        """The channel access token; raises :class:`~linegroupbot.errors.ConfigurationError`
        when not configured."""
        token = self._token or os.environ.get("LINE_CHANNEL_ACCESS_TOKEN")
        if not token or not token.strip():
            raise ConfigurationError(
                "LINE_CHANNEL_ACCESS_TOKEN is not set: export it, or pass Bot(access_token=...); "
                "or set LINE_CHANNEL_ID (Bot(channel_id=...)) to issue tokens as needed"
            )
        return clean_token(token, "the channel access token", "LINE_CHANNEL_ACCESS_TOKEN")

    @property
    def issues_tokens(self) -> bool:
        """Whether the bot issues its own channel access tokens (a channel ID and no token)."""
        token = self._token or os.environ.get("LINE_CHANNEL_ACCESS_TOKEN")
        channel_id = self._channel_id or os.environ.get("LINE_CHANNEL_ID")
        return not (token and token.strip()) and bool(channel_id and channel_id.strip())

    def configure(
        self,
        *,
        channel_secret: str | None = None,
        access_token: str | None = None,
        api_base_url: str | None = None,
        data_api_base_url: str | None = None,
    ) -> None:
        """Change connection settings before the bot starts (the emulator helpers use this).

        A setting left ``None`` keeps its value.

        Args:
            channel_secret: The new channel secret.
            access_token: The new channel access token.
            api_base_url: The new Messaging API host.
            data_api_base_url: The new content host.

        Raises:
            ConfigurationError: The bot has started (its client exists).
        """
        if self._client is not None:
            raise ConfigurationError("configure() must be called before the bot starts")
        self._secret = channel_secret or self._secret
        self._token = access_token or self._token
        self.api_base_url = api_base_url or self.api_base_url
        self.data_api_base_url = data_api_base_url or self.data_api_base_url

    def check_settings(self) -> None:
        """Fail now, naming the variable, if the secret or token is missing.

        Raises:
            ConfigurationError: The secret or token is missing or malformed.
        """
        redact(self.channel_secret, *(() if self.issues_tokens else (self.access_token,)))

    @property
    def client(self) -> LineClient:
        """The API client (made on first use, closed on shutdown)."""
        if self._client is None and self.issues_tokens:
            self._client = LineClient.from_channel(
                self._channel_id,
                self.channel_secret,
                api_base_url=self.api_base_url,
                data_api_base_url=self.data_api_base_url,
                retry=self.retry,
            )
        if self._client is None:
            self._client = LineClient(
                self.access_token,
                api_base_url=self.api_base_url,
                data_api_base_url=self.data_api_base_url,
                retry=self.retry,
                rate_limits=self.rate_limits,
            )
        return self._client

    # --- extension points -------------------------------------------------------------------------

    def include(self, router: Router | str) -> Router:
        """Include a router, or the one at ``MODULE_OR_FILE:ATTR`` (``ATTR`` defaults to
        ``router``), loaded as :func:`~linegroupbot.loading.load_object` loads it.

        Args:
            router: A :class:`~linegroupbot.routing.Router`, or where to find one:
                ``"pkg.handlers"``, ``"pkg.handlers:admin_router"`` or
                ``"handlers/admin.py"``.

        Returns:
            The router included.

        Raises:
            ConfigurationError: The module or attribute is missing, or the router is
                included twice.
        """
        if isinstance(router, str):
            router = load_object(router, Router, default_attr="router")
        try:
            return super().include(router)
        except ValueError as error:
            raise ConfigurationError(str(error)) from None

    def add_context_extension(self, key: ExtKey[Any], factory: Callable[[Context], Any]) -> None:
        """Make ``ctx.ext[key]`` return ``factory(ctx)`` (plugins add their helpers this way).

        Args:
            key: The typed key handlers read with (``ctx.ext[key]``).
            factory: Makes the value from the context; called once per event, on first read.

        Raises:
            ConfigurationError: Another extension has that key.
        """
        if key in self.extensions:
            raise ConfigurationError(f"context extension {key.name!r} is already registered")
        self.extensions[key] = factory

    def add_plugin(self, plugin: Plugin, *, name: str | None = None) -> None:
        """Load a plugin now: call its ``setup(bot)``; failures name the plugin.

        Args:
            plugin: A module or object with ``setup(bot)``.
            name: The plugin's name in errors and ``bot.plugins``; defaults to its
                ``__name__`` or type name.

        Raises:
            ConfigurationError: The plugin has no ``setup``, or ``setup`` raised.
        """
        label = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        setup = getattr(plugin, "setup", None)
        if not callable(setup):
            raise ConfigurationError(f"plugin {label!r} has no setup(bot) function")
        try:
            setup(self)
        except LineGroupBotError:
            raise
        except Exception as error:
            raise ConfigurationError(f"plugin {label!r} failed to load: {error!r}") from error
        self.plugins.append(label)
        _log.debug("plugin_loaded", plugin=label)

    def load_entry_point_plugins(self) -> None:
        """Load every plugin installed under the ``linegroupbot.plugins`` entry-point group.

        Raises:
            ConfigurationError: A plugin fails to import or to load.
        """
        from importlib.metadata import entry_points

        for entry in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
            try:
                plugin = entry.load()
            except Exception as error:
                raise ConfigurationError(
                    f"plugin {entry.name!r} ({entry.value}) failed to import: {error!r}"
                ) from error
            self.add_plugin(plugin, name=entry.name)

    def observe_failures(
        self, observer: Callable[[Context, Exception], None]
    ) -> Callable[[], None]:
        """Call ``observer(ctx, error)`` whenever a handler's exception got past every
        ``on_error`` handler (it is still logged and retried).

        The ``line`` test fixture uses it to fail the test at once.

        Args:
            observer: Called with the event's context and the exception.

        Returns:
            A function that removes the observer.
        """
        self._failure_observers.append(observer)
        return lambda: self._failure_observers.remove(observer)

    # --- handling ---------------------------------------------------------------------------------

    def make_context(self, event: ev.Event) -> Context:
        """The context handlers get for ``event``.

        Args:
            event: The parsed webhook event.

        Returns:
            The context class that fits the event (see
            :func:`~linegroupbot.context.context_class`), bound to this bot's client and store.
        """
        kind = type(event)
        cls = _CONTEXT_CLASSES.get(kind)
        if cls is None:
            cls = _CONTEXT_CLASSES[kind] = context_class(event)
        runtime = self.runtime
        client = self._client  # made already, unless a subclass has a client of its own
        return cls._made(
            event,
            client if client is not None and self._plain_client else self.client,
            self.command_prefixes,
            self.extensions,
            runtime.store if runtime is not None else None,
            self._on_schedule,
        )

    def _roster_news(self, event: ev.Event, chat_id: str | None) -> bool:
        """Whether ``event`` (from ``chat_id``) may change what the roster knows (most events
        do not: a member already seen in the chat speaking again)."""
        if type(event) in _PLAIN_EVENTS:
            source = event.source  # these classes' user_id is their source's
            user_id = source.user_id if source is not None else None
            return user_id is not None and (chat_id, user_id) not in self._roster_seen
        return True

    async def _track_roster(self, ctx: Context, event: ev.Event) -> None:
        """Keep the chat's roster up to date from this event (before handlers see it)."""
        chat_id = event.chat_id
        if chat_id is None or event.scope not in ("group", "room"):
            return
        seen = self._roster_seen
        if isinstance(event, ev.JoinEvent):
            await ctx.roster.reset()
            self._roster_seen = {pair for pair in seen if pair[0] != chat_id}
        elif isinstance(event, ev.MemberJoinedEvent):
            ids = [m.user_id for m in event.joined.members if m.user_id]
            await ctx.roster.add(dict.fromkeys(ids))
            seen.update((chat_id, uid) for uid in ids)
        elif isinstance(event, ev.MemberLeftEvent):
            ids = [m.user_id for m in event.left.members if m.user_id]
            await ctx.roster.remove(ids)
            seen.difference_update((chat_id, uid) for uid in ids)
        elif isinstance(event, ev.LeaveEvent):
            self._roster_seen = {pair for pair in seen if pair[0] != chat_id}
            return  # the chat's state (roster included) is cleared after the handlers
        user_id = event.user_id
        if user_id and (chat_id, user_id) not in seen and not isinstance(event, ev.MemberLeftEvent):
            await ctx.roster.add({user_id: None})
            if len(seen) > 100_000:  # a cache of pairs already written, not the truth
                seen.clear()
            seen.add((chat_id, user_id))

    def _scheduled(self, push: ScheduledPush) -> None:
        """A push was scheduled here: if it is due soon, wake this process's scheduler."""
        scheduler = self.runtime.scheduler if self.runtime is not None else None
        if scheduler is not None and push.due - time.time() < scheduler.poll_interval:
            scheduler.poke()

    def _require_store(self, what: str) -> Store:
        if self.runtime is None:
            raise StoreError(
                f"{what} needs the bot's store: call it while the bot runs (in a handler or a "
                "startup hook), or use linegroupbot.schedule with a store you opened"
            )
        return self.runtime.store

    async def push_later(
        self,
        chat_id: str,
        when: When,
        *messages: Messages,
        notification_disabled: bool = False,
        max_lateness: float | dt.timedelta | None = None,
    ) -> ScheduledPush:
        """Push to any chat later (see :meth:`~linegroupbot.context.Context.push_later`).

        Args:
            chat_id: The group, room or user to push to.
            when: Seconds from now, a ``timedelta``, or an aware datetime.
            *messages: Up to five messages (or strings).
            notification_disabled: Deliver without a notification sound.
            max_lateness: Seconds (or a timedelta) past due after which a push missed while
                the bot was down is dropped instead of sent; ``None``: always sent.

        Returns:
            The scheduled push (its ``id`` cancels it).

        Raises:
            StoreError: The bot is not running, so it has no store yet.
        """
        push = await schedule(
            self._require_store("bot.push_later()"),
            chat_id,
            when,
            messages,
            notification_disabled=notification_disabled,
            max_lateness=max_lateness,
        )
        self._scheduled(push)
        return push

    async def scheduled(self, chat_id: str) -> list[ScheduledPush]:
        """A chat's pushes still to send, soonest first.

        Args:
            chat_id: The group, room or user.

        Raises:
            StoreError: The bot is not running, so it has no store yet.
        """
        return await pending(self._require_store("bot.scheduled()"), chat_id)

    async def cancel_scheduled(self, schedule_id: str) -> bool:
        """Cancel a scheduled push.

        Args:
            schedule_id: The push's ``id``.

        Returns:
            Whether it was cancelled: false if unknown or already sent.

        Raises:
            StoreError: The bot is not running, so it has no store yet.
        """
        return await cancel(self._require_store("bot.cancel_scheduled()"), schedule_id)

    async def process(self, event: ev.Event, attempt: int = 1) -> None:
        """Dispatch one event; a handler's exception is logged with context, then raised.

        Logging and the client's calls carry ``webhook_event_id`` and ``chat_id`` (bound in
        structlog's context variables), and idempotent sends get retry keys derived from the
        event ID, so running an event again sends nothing twice.

        Args:
            event: The parsed webhook event.
            attempt: Which try this is (1 for the first); logged, and seen by handlers.

        Raises:
            Exception: Whatever a handler raised that no ``on_error`` handler took.
        """
        event_id = event.webhook_event_id
        chat_id = event.chat_id
        id_var, chat_var = _event_log_vars or _find_event_log_vars()
        id_token, chat_token = id_var.set(event_id), chat_var.set(chat_id)
        keys = begin_retry_keys(event_id) if event_id else None
        try:
            ctx = self.make_context(event)
            ctx.attempt = attempt
            track_rosters = ctx.track_rosters = self.track_rosters
            if track_rosters and ctx.store is not None and self._roster_news(event, chat_id):
                await self._track_roster(ctx, event)
            if isinstance(event, ev.MessageEditedEvent) and ctx.store is not None:
                ctx.is_latest_edit = await _record_edit(ctx.store, event, self.edit_memory)
                if not ctx.is_latest_edit and self.skip_stale_edits:
                    ctx.log.info("edit_stale_skipped", message_id=event.message.id)
                    return
            # Long budgets (the default 60 s) are watched by one timer twice a second
            # instead of one timer per event (see _deadlines); short ones get their own.
            budget = Budget(self.handler_timeout)  # this task's budget until closed
            try:
                try:
                    handled = await self.dispatch(ctx)
                except BaseException as error:
                    budget.close(error)  # raises if the budget ran out
                    raise
                budget.close()
            except asyncio.CancelledError:
                ctx.log.warning("handler_cancelled", handler=ctx.handler_name)
                raise
            except Exception as error:
                failure: Exception = error
                if isinstance(error, TimeoutError) and budget.expired:
                    handler = ctx.handler_name or budget.handler
                    failure = HandlerTimeoutError(handler, budget.seconds or 0.0)
                    ctx.log.error(
                        "handler_timed_out",
                        handler=handler,
                        timeout=budget.seconds,
                        attempt=attempt,
                    )
                else:
                    ctx.log.error(
                        "handler_failed",
                        handler=ctx.handler_name,
                        attempt=attempt,
                        error=repr(error),
                        exc_info=error,
                    )
                for observer in list(self._failure_observers):
                    observer(ctx, failure)
                if failure is error:
                    raise
                raise failure from None
            if not handled and _logs_debug():
                ctx.log.debug("event_unhandled")  # binding ctx.log costs ~7 us: only if shown
            if isinstance(event, _LEAVING) and ctx.store is not None:
                if self.clear_state_on_leave:
                    await _clear_left_state(ctx.store, event)
                elif self.track_rosters and isinstance(event, ev.LeaveEvent):
                    await ctx.roster.reset()  # the roster goes even when other state stays
        finally:
            if keys is not None:
                end_retry_keys(keys)
            chat_var.reset(chat_token)
            id_var.reset(id_token)

    async def handle_event(self, event: ev.Event) -> None:
        """Dispatch one event now, with no queue; exceptions are logged, never raised.

        Args:
            event: The parsed webhook event.
        """
        with contextlib.suppress(Exception):
            await self.process(event)

    # --- running ----------------------------------------------------------------------------------

    def create_app(self, path: str = "/callback") -> web.Application:
        """An aiohttp application serving the webhook at ``path`` and ``GET /healthz``.

        It receives and handles events in one process (a :class:`~linegroupbot.runtime.Runtime`
        in the ``"all"`` role, reachable as ``bot.runtime``), on the bot's store.
        """
        self.check_settings()
        runtime = Runtime(self)
        self.runtime = runtime
        return runtime.create_app(path)

    async def startup(self) -> None:
        """Run every router's startup hooks (the bot's first, then included routers')."""
        self.check_settings()
        for router in self.iter_routers():
            for hook in router.startup_hooks:
                await hook()
        _log.info("bot_started", plugins=self.plugins)

    async def shutdown(self) -> None:
        """Run shutdown hooks (reverse order), then close the client."""
        for router in reversed(list(self.iter_routers())):
            for hook in reversed(router.shutdown_hooks):
                try:
                    await hook()
                except Exception as error:
                    _log.error("shutdown_hook_failed", hook=repr(hook), error=repr(error))
        if self._client is not None:
            await self._client.close()
            self._client = None
        _log.info("bot_stopped")

    def run(
        self,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        path: str = "/callback",
        store: str | None = None,
        role: Role = "all",
        loop: Loop | None = None,
    ) -> None:
        """Serve until SIGINT/SIGTERM, then shut down gracefully (see :meth:`serve`).

        The event loop is uvloop when it is installed, unless ``loop="asyncio"`` (or
        ``LINEGROUPBOT_LOOP=asyncio`` in the environment) says otherwise; see
        :func:`~linegroupbot.runtime.run_on_loop`.

        Args:
            host: The address to listen on.
            port: The TCP port to listen on.
            path: The webhook's URL path.
            store: The store URL; defaults as :meth:`serve` says.
            role: ``"all"`` (receive and handle), ``"receiver"`` (only accept webhooks into
                the store) or ``"worker"`` (only handle events from the store).
            loop: ``"auto"`` (uvloop when installed), ``"asyncio"`` or ``"uvloop"``; ``None``
                reads ``LINEGROUPBOT_LOOP``, else ``"auto"``.
        """
        run_on_loop(self.serve(host, port, path=path, store=store, role=role), loop)

    async def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        path: str = "/callback",
        store: str | None = None,
        role: Role = "all",
    ) -> None:
        """Serve as ``role`` on ``store`` until cancelled or signalled.

        Args:
            host: The address to listen on.
            port: The TCP port to listen on.
            path: The webhook's URL path.
            store: The store URL; defaults to the bot's, then ``$LINEGROUPBOT_STORE``, then
                :data:`DEFAULT_RUN_STORE`.
            role: ``"all"`` (receive and handle), ``"receiver"`` (only accept webhooks into
                the store) or ``"worker"`` (only handle events from the store).

        Raises:
            ConfigurationError: The secret or token is missing.
            StoreError: The store cannot be opened.
        """
        runtime = Runtime(self, store=store, role=role, default_store=DEFAULT_RUN_STORE)
        if not runtime.store.durable:
            _log.warning(
                "store_not_durable",
                store=runtime.store.url,
                detail="accepted events die with this process; use sqlite:/// or redis://",
            )
        await runtime.serve(host, port, path=path)


_PLAIN_EVENTS: frozenset[type[ev.Event]] = frozenset(
    {ev.MessageEvent, ev.PostbackEvent, ev.MessageEditedEvent, ev.UnsendEvent}
)
"""Event classes that tell the roster only who acted (see ``Bot._roster_news``)."""

_LEAVING = (ev.LeaveEvent, ev.MemberLeftEvent)
"""Events after which state may be cleared (``Bot(clear_state_on_leave=)``)."""

_CONTEXT_CLASSES: dict[type[ev.Event], type[Context]] = {}
"""``context_class`` of each event class seen (it depends on the class only)."""


class _StaleEdit(Exception):
    pass


async def _record_edit(store: Store, event: ev.MessageEditedEvent, ttl: float) -> bool:
    """Remember the newest edit time of the message; whether this edit is (one of) the newest."""
    chat_id = event.chat_id
    if chat_id is None:
        return True
    stamp = event.timestamp

    def newest(seen: int | None) -> int:
        if seen is not None and seen > stamp:
            raise _StaleEdit
        return stamp

    try:
        await State(store, chat_id)[f"edit:{event.message.id}"].update(newest, ttl=ttl)
    except _StaleEdit:
        return False
    return True


_event_log_vars: tuple[ContextVar[Any], ContextVar[Any]] | None = None
"""structlog's context variables of ``webhook_event_id`` and ``chat_id``, once bound."""


def _find_event_log_vars() -> tuple[ContextVar[Any], ContextVar[Any]]:
    """The context variables behind ``bind_contextvars(webhook_event_id=..., chat_id=...)``
    (found once, so that each event sets them directly: no name lookups, no token dict)."""
    global _event_log_vars
    from structlog.contextvars import bind_contextvars

    tokens = bind_contextvars(webhook_event_id=None, chat_id=None)
    found = (tokens["webhook_event_id"].var, tokens["chat_id"].var)
    for token in tokens.values():
        token.var.reset(token)
    _event_log_vars = found
    return found


def _logs_debug() -> bool:
    """Whether structlog's configuration lets debug lines through (cheap: no logger bound)."""
    wrapper = structlog_config()["wrapper_class"]
    level = getattr(wrapper, "get_effective_level", None)
    if level is None:
        return True  # not a filtering logger: let it decide
    try:
        return bool(level(None) <= 10)  # filtering loggers' level does not depend on self
    except Exception:
        return True


async def _clear_left_state(store: Store, event: ev.Event) -> None:
    """The bot left a chat: forget its state and scheduled pushes; members left: theirs."""
    chat_id = event.chat_id
    if chat_id is None:
        return
    if isinstance(event, ev.LeaveEvent):
        await store.state_clear(chat_id)
        for push in await store.schedule_list(chat_id):  # LINE would refuse them now
            await store.schedule_cancel(push.id)
    elif isinstance(event, ev.MemberLeftEvent):
        for member in event.left.members:
            if member.user_id:
                await store.state_clear(chat_id, member.user_id)
