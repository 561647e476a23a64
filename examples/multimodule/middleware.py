"""A middleware that logs how long each event took to handle."""

import time

from linegroupbot import Context
from linegroupbot.middleware import CallNext


async def log_timing(ctx: Context, call_next: CallNext) -> bool:
    """Time the rest of the chain and note the result in ``ctx.data``."""
    started = time.perf_counter()
    handled = await call_next(ctx)
    elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
    ctx.data["elapsed_ms"] = elapsed_ms
    ctx.log.info("event_handled", handled=handled, elapsed_ms=elapsed_ms)
    return handled
