"""Start a bot and the emulator on loopback, wired to each other."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from ..bot import Bot
from ..context import Context
from ..emulator import Emulator, EmulatorSettings
from ..serving import start_site

__all__ = ["attach", "connect", "running_bot"]


@asynccontextmanager
async def running_bot(
    bot: Bot, *, host: str = "127.0.0.1", port: int = 0, path: str = "/callback"
) -> AsyncIterator[str]:
    """Serve ``bot`` on loopback; yields its webhook URL; shuts it down (draining) after.

    The bot runs on its own store (``Bot(store=...)``), ``memory://`` unless it names one.

    Args:
        bot: The bot, configured with a secret and token.
        host: The loopback address to serve on.
        port: The port; 0 picks a free one.
        path: The webhook's URL path.

    Yields:
        The webhook URL (``http://127.0.0.1:PORT/callback``).
    """
    runner, bound = await start_site(
        bot.create_app(path), host, port, idle_timeout=bot.idle_timeout
    )
    try:
        yield f"http://{host}:{bound}{path}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def attach(bot: Bot, emulator: Emulator) -> AsyncIterator[Emulator]:
    """Run ``bot`` against an emulator that is already serving, until the block ends.

    The bot gets the emulator's secret, token and URL, and the emulator the bot's webhook
    URL. The emulator outlives the bot: attach a second bot (on the same durable store)
    afterwards to test what survives a restart.

    Args:
        bot: The bot to run.
        emulator: A started emulator.

    Yields:
        The emulator.
    """
    bot.configure(
        channel_secret=emulator.settings.channel_secret,
        access_token=emulator.settings.access_token,
        api_base_url=emulator.url,
        data_api_base_url=emulator.url,
    )
    async with running_bot(bot) as webhook_url:
        emulator.set_webhook_url(webhook_url)
        yield emulator


class _FailFastEmulator(Emulator):
    """An emulator whose waits raise the attached bot's handler errors, once each."""

    def __init__(self, settings: EmulatorSettings | None = None, **overrides: Any) -> None:
        super().__init__(settings, **overrides)
        self.handler_errors: list[Exception] = []
        self._failed_events: set[str] = set()
        self._raised = 0

    def record_failure(self, ctx: Context, error: Exception) -> None:
        event_id = ctx.event.webhook_event_id or str(id(ctx.event))
        if event_id in self._failed_events:
            return  # a retry of an event that failed already: one failure per event
        self._failed_events.add(event_id)
        error.add_note(
            f"raised by handler {ctx.handler_name} for a {type(ctx.event).__name__} "
            f"(webhook event {ctx.event.webhook_event_id}); the line fixture re-raises handler "
            "errors: mark the test @pytest.mark.line(raise_handler_errors=False) to only log them"
        )
        self.handler_errors.append(error)
        self.changed()  # wake any test waiting

    def raise_handler_errors(self) -> None:
        """Raise the next handler error not raised yet."""
        if self._raised < len(self.handler_errors):
            self._raised += 1
            raise self.handler_errors[self._raised - 1]

    async def wait_until(self, predicate: Callable[[], Any], *, timeout: float = 5.0) -> Any:
        """As :meth:`Emulator.wait_until`, but a handler error ends the wait by raising."""

        def checked() -> Any:
            self.raise_handler_errors()
            return predicate()

        return await super().wait_until(checked, timeout=timeout)


@asynccontextmanager
async def connect(
    bot: Bot,
    settings: EmulatorSettings | None = None,
    *,
    raise_handler_errors: bool = False,
    **overrides: Any,
) -> AsyncIterator[Emulator]:
    """An emulator serving on loopback with ``bot`` running against it.

    The bot is configured with the emulator's secret, token and URL; keyword arguments
    change :class:`~linegroupbot.emulator.EmulatorSettings` (``verified=True``...).

    ``raise_handler_errors=True`` (the ``line`` fixture's default) makes an exception that
    a handler raised (and no ``on_error`` handled) surface in the test: the emulator's
    waits (``wait_for_bot_messages``...) raise it at once instead of timing out, and one
    never raised by a wait is raised when the block ends.

    Args:
        bot: The bot to run.
        settings: The emulator's settings (default: ``EmulatorSettings()``).
        raise_handler_errors: Surface handler exceptions in the test, as above.
        **overrides: :class:`~linegroupbot.emulator.EmulatorSettings` fields to change.

    Yields:
        The emulator, serving, with the bot attached.
    """
    emulator = _FailFastEmulator(settings, **overrides)
    remove = bot.observe_failures(emulator.record_failure) if raise_handler_errors else None
    await emulator.start()
    try:
        async with attach(bot, emulator):
            yield emulator
            if remove is not None and not emulator.handler_errors and bot.runtime is not None:
                # Events the test sent but never waited for: let them run, so a handler that
                # fails on one fails the test (bounded: a stuck handler ends the wait).
                with contextlib.suppress(TimeoutError):
                    await bot.runtime.wait_idle(timeout=5.0)
    finally:
        if remove is not None:
            remove()
        await emulator.stop()
    emulator.raise_handler_errors()
