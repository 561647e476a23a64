"""Going live: a bot that issues its own channel access tokens and knows who it is."""

from __future__ import annotations

from linegroupbot import Bot, Context

# With LINE_CHANNEL_ID and LINE_CHANNEL_SECRET set (and no LINE_CHANNEL_ACCESS_TOKEN), the
# bot issues a 15-minute token when it first calls LINE, and a new one before that expires.
# The same, explicitly: Bot(channel_id="1660000000", channel_secret=secret)
bot = Bot()


@bot.on_message(command="whoami")
async def whoami(ctx: Context) -> None:
    info = await ctx.client.bot_info()
    await ctx.reply(f"I am {info.display_name} ({info.basic_id})")
