"""Noticing that a member corrected a command: messageEdited."""

from __future__ import annotations

from linegroupbot import Bot, Context

bot = Bot()


@bot.on_message(command="poll")
async def poll(ctx: Context) -> None:
    assert ctx.command is not None
    await ctx.reply(f"Poll: {ctx.command.args}")


@bot.on_message_edited(command="poll")  # the same filters as on_message, on the edited text
async def poll_corrected(ctx: Context) -> None:
    assert ctx.command is not None
    await ctx.reply(f"Poll updated: {ctx.command.args}")


@bot.on_message(edits=True, startswith="echo ")  # one handler for messages and their edits
async def echo(ctx: Context) -> None:
    await ctx.reply((ctx.text or "").removeprefix("echo "))
