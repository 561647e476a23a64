"""Choosing the store in code, and running a worker from your own program."""

from __future__ import annotations

from linegroupbot import Bot, Context
from linegroupbot.runtime import Runtime

# Everything durable in one SQLite file; `linegroupbot run --store URL` overrides it.
bot = Bot(store="sqlite:///data/bot.db", max_attempts=5, lease_ttl=10)


@bot.on_message(command="remind")
async def remind(ctx: Context) -> None:
    # Run twice (after a crash), this push is sent once: its retry key comes from the event.
    await ctx.push_to_chat("Noted!")


def worker_runtime(redis_url: str = "redis://localhost:6379/0") -> Runtime:
    """What `linegroupbot worker app.py:bot --store URL` runs (serve it with `.serve()`)."""
    return Runtime(bot, store=redis_url, role="worker")
