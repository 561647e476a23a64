"""Filters, middleware and error handlers as the dispatch concept page shows them."""

from __future__ import annotations

import time

from linegroupbot import Bot, Context, LineApiError, where
from linegroupbot.middleware import CallNext

bot = Bot()


@bot.on_message(filters=(where.text("hi") | where.text("hello")) & ~where.scope("room"))
async def greet(ctx: Context) -> None:
    await ctx.reply("Hello!")


async def from_a_friend(ctx: Context) -> bool:
    """Any sync or async function of the context is a filter."""
    return ctx.user_id is not None


@bot.on_message(command="whoami", filters=from_a_friend)
async def whoami(ctx: Context) -> None:
    await ctx.reply(f"You are {ctx.user_id}.")


@bot.on_message(command="whoami")
async def anonymous(ctx: Context) -> None:
    await ctx.reply("I don't know you yet.")


async def timing(ctx: Context, call_next: CallNext) -> bool:
    started = time.perf_counter()
    handled = await call_next(ctx)  # the rest of the chain, and the handler
    ctx.log.info("timed", ms=(time.perf_counter() - started) * 1000)
    return handled


bot.add_middleware(timing)


@bot.on_message(command="fail")
async def fail(ctx: Context) -> None:
    await ctx.push_to_chat(*(["too many"] * 6))


@bot.on_error(LineApiError)
async def api_failed(ctx: Context, error: LineApiError) -> None:  # typed by on_error's class
    ctx.log.warning("line_refused", status=error.status, request_id=error.request_id)


@bot.on_error()
async def anything_else(ctx: Context, error: BaseException) -> None:
    await ctx.reply(f"Sorry, that failed: {type(error).__name__}")
