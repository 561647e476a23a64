"""Typed handlers: the context's type follows the decorator, and values arrive as parameters."""

from __future__ import annotations

import re

from linegroupbot import (
    Bot,
    CommandMatch,
    Context,
    MemberJoinedContext,
    MessageContext,
    PostbackContext,
    buttons,
)
from linegroupbot.errors import LineApiError

bot = Bot()


@bot.on_message(command="pick")  # ask for what you need by name: command, args, match...
async def pick(ctx: MessageContext, args: str) -> None:
    choices = [c.strip() for c in args.split(",") if c.strip()] or ["yes", "no"]
    await ctx.reply(buttons("Pick one", choices, data_prefix="pick:"))


@bot.on_postback(data_prefix="pick:")
async def picked(ctx: PostbackContext) -> None:  # ctx.postback is never None here
    await ctx.reply(f"You picked {ctx.postback.data.removeprefix('pick:')}.")


@bot.on_message(command=("roll", "flip"))
async def chance(ctx: MessageContext, command: CommandMatch) -> None:
    await ctx.reply(f"/{command.name}: {len(command.argv)} argument(s)")


@bot.on_message(regex=r"^(\d+) \+ (\d+)$")
async def add(ctx: MessageContext, match: re.Match[str]) -> None:
    await ctx.reply(str(int(match[1]) + int(match[2])))


@bot.on_message(text="me")  # user_id without a default: only members LINE names get here
async def me(ctx: MessageContext, user_id: str) -> None:
    await ctx.reply(f"You are {user_id}.")


@bot.on_message(text="me")  # the others fall through to a handler with a default
async def me_anonymous(ctx: MessageContext, user_id: str | None = None) -> None:
    await ctx.reply("LINE does not tell me who you are (add me as a friend).")


@bot.on_member_joined
async def welcome(ctx: MemberJoinedContext) -> None:  # ctx.event is a MemberJoinedEvent
    await ctx.reply(f"Welcome, {len(ctx.event.joined.members)} new member(s)!")


@bot.on_error(LineApiError)
async def refused(ctx: Context, error: LineApiError) -> None:  # typed by on_error's class
    ctx.log.warning("line_refused", status=error.status)
