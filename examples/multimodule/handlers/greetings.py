"""Greetings: join messages and a reply to hello."""

from linegroupbot import Context, Router

router = Router(name="greetings")


@router.on_join
async def joined(ctx: Context) -> None:
    await ctx.reply("Hello! Try /shout, /count or /members.")


@router.on_message(text=("hello", "hi"), filters=lambda ctx: ctx.scope != "user")
async def hello(ctx: Context) -> None:
    await ctx.reply("Hello to you too!")
