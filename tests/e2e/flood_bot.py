"""The bot the flood tests run as a real process: short body and idle limits, a reply."""

from linegroupbot import Bot, Context

bot = Bot(body_timeout=2.0, idle_timeout=2.0)


@bot.on_message
async def echo(ctx: Context) -> None:
    await ctx.reply("ok")
