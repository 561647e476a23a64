"""Reminders: /remind 10m stretch your legs pushes the text to the chat later.

Run it against the local emulator:  linegroupbot dev examples/reminders.py:bot
Reminders live in memory; pending ones are cancelled cleanly when the bot shuts down.
"""

from __future__ import annotations

import asyncio
import re

import structlog

from linegroupbot import Bot, Context

bot = Bot()
log = structlog.get_logger("reminders")
pending: dict[str, set[asyncio.Task[None]]] = {}
UNITS = {"s": 1, "m": 60, "h": 3600}
DELAY = re.compile(r"^(\d+(?:\.\d+)?)([smh])$")


def parse_delay(text: str) -> float | None:
    """``10m`` -> 600.0; ``None`` if it is not a delay (at most a day)."""
    match = DELAY.match(text)
    if match is None:
        return None
    seconds = float(match.group(1)) * UNITS[match.group(2)]
    return seconds if seconds <= 24 * 3600 else None


async def _later(chat_id: str, seconds: float, text: str) -> None:
    await asyncio.sleep(seconds)
    await bot.client.push(chat_id, [f"Reminder: {text}"])


@bot.on_message(command="remind")
async def remind(ctx: Context) -> None:
    assert ctx.command is not None
    assert ctx.chat_id is not None
    when, _, text = ctx.command.args.partition(" ")
    seconds = parse_delay(when)
    if seconds is None or not text.strip():
        await ctx.reply("Usage: /remind 10m what to remember (s, m or h; up to 24h)")
        return
    task = asyncio.create_task(_later(ctx.chat_id, seconds, text.strip()))
    chat_tasks = pending.setdefault(ctx.chat_id, set())
    chat_tasks.add(task)
    task.add_done_callback(chat_tasks.discard)
    await ctx.reply(f"OK, I'll remind this chat in {when}.")


@bot.on_message(command="reminders")
async def list_reminders(ctx: Context) -> None:
    count = len(pending.get(ctx.chat_id or "", ()))
    await ctx.reply(f"{count} reminder(s) pending here.")


@bot.on_message(command="forget")
async def forget(ctx: Context) -> None:
    tasks = pending.pop(ctx.chat_id or "", set())
    for task in tasks:
        task.cancel()
    await ctx.reply(f"Cancelled {len(tasks)} reminder(s).")


@bot.on_shutdown
async def cancel_all() -> None:
    tasks = [task for chat_tasks in pending.values() for task in chat_tasks]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    pending.clear()
    if tasks:
        log.info("reminders_cancelled", count=len(tasks))
