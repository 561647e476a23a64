"""linegroupbot-shout: an example plugin showing every extension point.

``setup(bot)`` adds a filter, a middleware, a router, a lifecycle hook and a typed
context extension. Load it with ``Bot(plugins=[linegroupbot_shout])`` or, once
installed, with ``Bot(load_entry_point_plugins=True)``. It imports only from
:mod:`linegroupbot.ext`, the plugin API.
"""

from __future__ import annotations

from collections import Counter

from linegroupbot.ext import (
    Bot,
    CallNext,
    CommandMatch,
    Context,
    ExtKey,
    FuncFilter,
    MessageContext,
    Router,
)

__all__ = ["SHOUT", "SHOUTING", "Shouter", "setup"]


def _is_shouting(ctx: Context) -> bool:
    text = ctx.text or ""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters)


SHOUTING = FuncFilter(_is_shouting)
"""Passes text messages written in capitals (at least three letters)."""


class Shouter:
    """What ``ctx.ext[SHOUT]`` gives a handler: shouting, and this chat's message count."""

    def __init__(self, ctx: Context, counts: Counter[str]) -> None:
        self._ctx = ctx
        self._counts = counts

    def shout(self, text: str) -> str:
        """``text`` in capitals, with emphasis."""
        return text.upper() + "!"

    @property
    def messages_seen(self) -> int:
        """How many messages the plugin has seen in this chat."""
        return self._counts[self._ctx.chat_id or ""]


SHOUT: ExtKey[Shouter] = ExtKey("shout")
"""Typed key of the plugin's context extension."""


def setup(bot: Bot) -> None:
    """Install the plugin into ``bot``."""
    counts: Counter[str] = Counter()

    async def count_messages(ctx: Context, call_next: CallNext) -> bool:
        if ctx.message is not None:
            counts[ctx.chat_id or ""] += 1
        return await call_next(ctx)

    router = Router(name="shout")

    @router.on_message(command="shout")
    async def shout(ctx: MessageContext, command: CommandMatch) -> None:
        await ctx.reply(ctx.ext[SHOUT].shout(command.args or "hello"))

    @router.on_message(command="count")
    async def count(ctx: MessageContext) -> None:
        await ctx.reply(f"I have seen {ctx.ext[SHOUT].messages_seen} message(s) here.")

    @router.on_message(filters=SHOUTING)
    async def calm_down(ctx: MessageContext) -> None:
        await ctx.reply("No need to shout :)")

    @router.on_shutdown
    async def forget() -> None:
        counts.clear()

    bot.add_middleware(count_messages)
    bot.add_context_extension(SHOUT, lambda ctx: Shouter(ctx, counts))
    bot.include(router)
