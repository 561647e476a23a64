"""Driving a bot through the emulator without pytest."""

from __future__ import annotations

from linegroupbot import Bot, Context
from linegroupbot.testing import connect

bot = Bot()


@bot.on_message(command="members")
async def members(ctx: Context) -> None:
    await ctx.reply(f"{len([m async for m in ctx.member_ids()])} members")


async def conversation() -> str:
    async with connect(bot, verified=True) as line:
        group = await line.create_group("Team", ["Alice", "Bob"])
        await line.say(group, "Alice", "/members")
        [answer] = await line.wait_for_bot_messages(group)
        return str(answer["text"])
