"""Start a bot and the emulator on loopback, wired to each other."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from ..bot import Bot
from ..emulator import Emulator, EmulatorSettings
from ..serving import start_site

__all__ = ["attach", "connect", "running_bot"]


@asynccontextmanager
async def running_bot(
    bot: Bot, *, host: str = "127.0.0.1", port: int = 0, path: str = "/callback"
) -> AsyncIterator[str]:
    """Serve ``bot`` on loopback; yields its webhook URL; shuts it down (draining) after.

    The bot runs on its own store (``Bot(store=...)``), ``memory://`` unless it names one.
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


@asynccontextmanager
async def connect(
    bot: Bot, settings: EmulatorSettings | None = None, **overrides: Any
) -> AsyncIterator[Emulator]:
    """An emulator serving on loopback with ``bot`` running against it.

    The bot is configured with the emulator's secret, token and URL; keyword arguments
    change :class:`~linegroupbot.emulator.EmulatorSettings` (``verified=True``...).
    """
    emulator = Emulator(settings, **overrides)
    await emulator.start()
    try:
        async with attach(bot, emulator):
            yield emulator
    finally:
        await emulator.stop()
