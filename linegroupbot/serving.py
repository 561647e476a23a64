"""Serving aiohttp applications on loopback or a port, and waiting for a stop signal.

Shared by the bot's runtime, the test harness and the emulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["DEFAULT_IDLE_TIMEOUT", "freeze_startup_objects", "start_site", "wait_for_signal"]


DEFAULT_IDLE_TIMEOUT = 30.0
"""Seconds a connection may stay open without sending a whole request's headers (or idle
between requests): longer than HTTP clients keep idle connections (aiohttp's 15 s), so a
client never reuses a connection the server is closing."""


async def start_site(
    app: web.Application, host: str, port: int, *, idle_timeout: float = DEFAULT_IDLE_TIMEOUT
) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on ``host`` and ``port`` (``port=0``: any free one); returns the runner and
    the port.

    A connection is closed when it has been idle, or has not finished sending a request's
    headers, for ``idle_timeout`` seconds (aiohttp's keep-alive timer covers both). After
    a refusal whose body was left unread, the rest is drained for at most a second before
    the connection closes (aiohttp's lingering close, 10 s by default). Request bodies are
    never decompressed on the way in.
    """
    from aiohttp import web  # here, not at import: defining a bot needs no server

    runner = web.AppRunner(
        app,
        access_log=None,
        handle_signals=False,
        keepalive_timeout=idle_timeout,
        lingering_time=1.0,
        # Bodies are taken as sent: the webhook refuses compressed ones (415) before reading,
        # and nothing an unauthenticated sender labels compressed is decoded on its way in.
        auto_decompress=False,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound = port
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            bound = int(address[1])
            break
    return runner, bound


def freeze_startup_objects() -> None:
    """Take what the process made until now out of the garbage collector's view.

    A server calls it once it has started: its modules, the bot, its handlers and what the
    startup hooks made live as long as the process, and every full collection under load
    would otherwise walk all of them again (:func:`gc.freeze`, after one collection of
    what is garbage already). Frozen objects are still freed when nothing refers to them.
    """
    gc.collect()
    gc.freeze()


async def wait_for_signal() -> None:
    """Wait for SIGINT or SIGTERM (or for cancellation)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # non-Unix loops
            loop.add_signal_handler(signum, stop.set)
            installed.append(signum)
    try:
        await stop.wait()
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
