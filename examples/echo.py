"""Echo: replies to every text message with the same text, in groups, rooms and 1:1 chats.

Run it against the local emulator:  linegroupbot dev examples/echo.py:bot
"""

from linegroupbot import Bot, Context

bot = Bot()


@bot.on_join
async def hello(ctx: Context) -> None:
    await ctx.reply("Hi! I repeat whatever you say.")


@bot.on_message(message_type="text")
async def echo(ctx: Context) -> None:
    assert ctx.text is not None
    await ctx.reply(ctx.text)
