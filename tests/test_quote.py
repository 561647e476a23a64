"""Quote replies: ``ctx.reply(..., quote=True)`` sends the incoming message's quote token."""

from __future__ import annotations

import asyncio

import pytest

from linegroupbot import Bot, Context, messages
from linegroupbot import events as ev
from linegroupbot.errors import MessageValidationError, UnsupportedInScopeError
from linegroupbot.testing import connect


async def test_reply_quote_true_carries_the_quote_token_of_the_message() -> None:
    bot = Bot()

    @bot.on_message(command="where")
    async def where(ctx: Context) -> None:
        await ctx.reply(
            messages.ImageMessage(
                original_content_url="https://cdn.example.com/map.png",
                preview_image_url="https://cdn.example.com/map-small.png",
            ),
            "Here, by the station",
            quote=True,
        )

    async with connect(bot) as emu:
        group = await emu.create_group("Lunch", ["Alice"])
        said = await emu.say(group, "Alice", "/where")
        (call,) = await emu.wait_for_call("/v2/bot/message/reply")
    sent = call.json["messages"]
    assert "quoteToken" not in sent[0]  # LINE quotes from text and sticker messages only
    assert sent[1] == {
        "type": "text",
        "text": "Here, by the station",
        "quoteToken": said["message"]["quoteToken"],
    }


async def test_quote_needs_a_quotable_message_and_a_message_to_quote() -> None:
    bot = Bot()
    outcome: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()

    @bot.on_event(ev.Event)
    async def handle(ctx: Context) -> None:
        if isinstance(ctx.event, ev.JoinEvent) or outcome.done():
            return
        try:
            if isinstance(ctx.event, ev.MessageEvent):
                with pytest.raises(MessageValidationError, match="text or sticker"):
                    await ctx.reply(
                        messages.LocationMessage(
                            title="here", address="x", latitude=1.0, longitude=2.0
                        ),
                        quote=True,
                    )
                await ctx.reply("still usable", quote=True)
            else:
                await ctx.reply("hi", quote=True)
        except BaseException as error:
            outcome.set_result(error)
        else:
            outcome.set_result(None)

    async with connect(bot) as emu:
        group = await emu.create_group("Lunch", ["Alice", "Bob"])
        await emu.say(group, "Alice", "hello")
        assert await asyncio.wait_for(outcome, 5) is None
        assert emu.calls_to("/v2/bot/message/reply")[-1].json["messages"][0]["quoteToken"]
        outcome = asyncio.get_running_loop().create_future()
        await emu.add_member(group, "Carol")
        error = await asyncio.wait_for(outcome, 5)
    assert isinstance(error, UnsupportedInScopeError)
    assert "memberJoined event has no message" in str(error)
