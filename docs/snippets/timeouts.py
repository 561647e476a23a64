"""Time budgets: the bot's default for every event, and one handler's own."""

import asyncio

from linegroupbot import Bot, Context, handler_timeout

bot = Bot(handler_timeout=2.0)  # every event: 2 seconds (the default is 60)


@bot.on_message(command="report")
@handler_timeout(30)  # this handler may take longer
async def report(ctx: Context) -> None:
    await asyncio.sleep(2.5)  # past the bot's budget, within its own
    await ctx.reply("report ready")


@bot.on_message(command="hang")
async def hang(ctx: Context) -> None:
    await asyncio.Event().wait()  # never returns: cancelled after 2 s


@bot.on_message
async def echo(ctx: Context) -> None:
    await ctx.reply(ctx.text or "")
