"""Reminders: /remind 10m stretch your legs pushes the text to the chat later.

Run it against the local emulator:  linegroupbot dev examples/reminders.py:bot
/reminders lists this chat's pending reminders with their due times; /forget cancels
them all, /forget 2 only the second of that list. Reminders are scheduled pushes
(``ctx.push_later``) kept in the bot's store: with a durable store (SQLite, the default
of ``linegroupbot run``, or Redis) they survive restarts, and one due while the bot was
down is sent when it is back (unless it is over an hour late).
"""

from __future__ import annotations

import datetime as dt
import re

from linegroupbot import Bot, MessageContext
from linegroupbot.schedule import ScheduledPush

bot = Bot()
UNITS = {"s": 1, "m": 60, "h": 3600}
DELAY = re.compile(r"^(\d+(?:\.\d+)?)([smh])$")
PREFIX = "Reminder: "
LATE_LIMIT = 3600.0
"""A reminder more than an hour late (the bot was down) is dropped rather than sent."""


def parse_delay(text: str) -> float | None:
    """``10m`` -> 600.0; ``None`` if it is not a delay (at most a day)."""
    match = DELAY.match(text)
    if match is None:
        return None
    seconds = float(match.group(1)) * UNITS[match.group(2)]
    return seconds if seconds <= 24 * 3600 else None


def reminder_text(push: ScheduledPush) -> str:
    """What the reminder says (without the prefix)."""
    return str(push.messages[0].get("text", "")).removeprefix(PREFIX)


def describe(push: ScheduledPush, now: dt.datetime) -> str:
    """``14:05 UTC (in 9m 58s): stand up``."""
    left = max(0, round((push.due_at - now).total_seconds()))
    hours, rest = divmod(left, 3600)
    parts = [f"{hours}h"] if hours else []
    parts += [f"{rest // 60}m"] if rest >= 60 else []
    parts += [f"{rest % 60}s"] if rest % 60 or not parts else []
    return f"{push.due_at:%H:%M} UTC (in {' '.join(parts)}): {reminder_text(push)}"


@bot.on_message(command="remind")
async def remind(ctx: MessageContext, args: str) -> None:
    when, _, text = args.partition(" ")
    seconds = parse_delay(when)
    if seconds is None or not text.strip():
        await ctx.reply("Usage: /remind 10m what to remember (s, m or h; up to 24h)")
        return
    # Due from when the member asked, not from when this handler runs. Run again (its
    # reply failed, or its worker died), it schedules the same push, not a second one.
    asked = dt.datetime.fromtimestamp(ctx.event.timestamp / 1000, dt.UTC)
    due = asked + dt.timedelta(seconds=seconds)
    await ctx.push_later(due, PREFIX + text.strip(), max_lateness=LATE_LIMIT)
    await ctx.reply(f"OK, I'll remind this chat in {when}.")


@bot.on_message(command="reminders")
async def list_reminders(ctx: MessageContext) -> None:
    pending = await ctx.scheduled()  # soonest first: the numbers /forget takes
    if not pending:
        await ctx.reply("No reminders pending here.")
        return
    now = dt.datetime.now(dt.UTC)
    lines = [f"{n}. {describe(push, now)}" for n, push in enumerate(pending, 1)]
    await ctx.reply(f"{len(pending)} reminder(s) pending here:\n" + "\n".join(lines))


@bot.on_message(command="forget")
async def forget(ctx: MessageContext, args: str) -> None:
    pending = await ctx.scheduled()
    which = args.strip()
    if not which:
        cancelled = [push.id for push in pending if await ctx.cancel_scheduled(push.id)]
        await ctx.reply(f"Cancelled {len(cancelled)} reminder(s).")
        return
    if not which.isdigit() or not 1 <= int(which) <= len(pending):
        await ctx.reply(f"There is no reminder {which} here: /reminders lists them.")
        return
    push = pending[int(which) - 1]
    if await ctx.cancel_scheduled(push.id):
        await ctx.reply(f"Cancelled reminder {which}: {reminder_text(push)}")
    else:
        await ctx.reply(f"Too late: reminder {which} was just sent.")
