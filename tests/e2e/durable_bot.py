"""The bot the crash tests run as real processes: it pushes each message's text back.

``HANDLER_DELAY`` (seconds) makes every handler slow, so a test can kill a process while
events are queued and in flight.
"""

from __future__ import annotations

import asyncio
import os

from linegroupbot import Bot, Context

bot = Bot()
DELAY = float(os.environ.get("HANDLER_DELAY", "0"))


@bot.on_message
async def echo(ctx: Context) -> None:
    await asyncio.sleep(DELAY)
    await ctx.push_to_chat(f"{ctx.text}")
