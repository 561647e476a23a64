"""Echo: replies to every text message with the same text, in groups, rooms and 1:1 chats.

Run it against the local emulator:  linegroupbot dev examples/echo.py:bot
"""

from linegroupbot import Bot, Context, MessageContext

bot = Bot()


@bot.on_join
async def hello(ctx: Context) -> None:
    await ctx.reply("Hi! I repeat whatever you say.")


@bot.on_message(message_type="text")
async def echo(ctx: MessageContext, text: str) -> None:
    await ctx.reply(text)  # `text` is injected: the handler asked for it by name
