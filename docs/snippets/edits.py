"""Noticing that a member corrected a command: messageEdited."""

from __future__ import annotations

from linegroupbot import Bot, MessageContext

bot = Bot()


@bot.on_message(command="poll")
async def poll(ctx: MessageContext, args: str) -> None:
    await ctx.reply(f"Poll: {args}")


@bot.on_message_edited(command="poll")  # the same filters as on_message, on the edited text
async def poll_corrected(ctx: MessageContext, args: str) -> None:
    await ctx.reply(f"Poll updated: {args}")


@bot.on_message(edits=True, startswith="echo ")  # one handler for messages and their edits
async def echo(ctx: MessageContext, text: str) -> None:
    await ctx.reply(text.removeprefix("echo "))
