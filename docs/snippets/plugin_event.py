"""A plugin that teaches the bot a webhook event type of its own, as the plugin guide shows it."""

from __future__ import annotations

from typing import ClassVar

import attrs

from linegroupbot.ext import Bot, Event, EventContext, Router, register_event


@attrs.frozen
class StampDetail:
    """What the (made-up) ``stampRally`` event says: which stamp, out of how many."""

    stamp: int
    of: int


@attrs.frozen(kw_only=True)
class StampRallyEvent(Event):
    """A member collected a stamp of a rally (JSON ``type``: ``stampRally``)."""

    stamp_rally: StampDetail
    reply_token: str | None = None

    type: ClassVar[str] = "stampRally"


router = Router(name="stamps")


@router.on_event(StampRallyEvent)
async def collected(ctx: EventContext[StampRallyEvent]) -> None:
    detail = ctx.event.stamp_rally  # typed: a StampDetail
    await ctx.reply(f"Stamp {detail.stamp} of {detail.of}!")


def setup(bot: Bot) -> None:
    register_event(StampRallyEvent)  # parsed as this class from now on, not UnknownEvent
    bot.include(router)


bot = Bot(plugins=[__import__(__name__)])
