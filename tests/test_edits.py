"""messageEdited: typed, routed with message filters, stale edits skipped, emulated."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from linegroupbot import Bot, Context
from linegroupbot import events as ev
from linegroupbot.convert import structure_event
from linegroupbot.testing import connect


def test_the_event_parses_to_its_own_type() -> None:
    raw = {
        "type": "messageEdited",
        "mode": "active",
        "timestamp": 1764028866170,
        "source": {"type": "group", "groupId": "C" + "3" * 32, "userId": "U" + "5" * 32},
        "webhookEventId": "01ZR4YQK8V1SBX3WQ7E2M4N6PA",
        "deliveryContext": {"isRedelivery": False},
        "message": {"id": "825959945184540845", "type": "text", "text": "hello (edited)"},
    }
    event = structure_event(raw)
    assert isinstance(event, ev.MessageEditedEvent)
    assert isinstance(event.message, ev.TextMessageContent)
    assert event.message.id == "825959945184540845"
    assert event.reply_token is None  # optional
    assert event.chat_id == "C" + "3" * 32


def edit_bot(**options: Any) -> tuple[Bot, list[tuple[str, Any]]]:
    bot = Bot(**options)
    seen: list[tuple[str, Any]] = []

    @bot.on_message_edited(command="poll")
    async def poll_edited(ctx: Context) -> None:
        assert ctx.command is not None
        seen.append(("poll edited", ctx.command.args))
        await ctx.reply(f"poll updated: {ctx.command.args}")

    @bot.on_message_edited
    async def any_edit(ctx: Context) -> None:
        seen.append(("edit", (ctx.text, ctx.is_latest_edit)))

    @bot.on_message(command="poll")
    async def poll(ctx: Context) -> None:
        seen.append(("poll", ctx.command.args if ctx.command else None))
        await ctx.reply("poll started")

    @bot.on_message
    async def message(ctx: Context) -> None:
        seen.append(("message", ctx.text))

    return bot, seen


async def test_edits_reach_edit_handlers_with_message_filters_not_message_handlers() -> None:
    bot, seen = edit_bot()
    async with connect(bot) as line:
        group = await line.create_group("G", ["Alice"])
        said = await line.say(group, "Alice", "/poll Lunch? A, B")
        await line.wait_for_bot_messages(group)
        await line.edit(group, "Alice", said["message"]["id"], "/poll Lunch? A, B, C")
        [reply] = await line.wait_for_bot_messages(group)
        await line.edit(group, "Alice", said["message"]["id"], "never mind")
        assert bot.runtime is not None
        await bot.runtime.wait_idle()
    assert reply["text"] == "poll updated: Lunch? A, B, C"
    assert seen == [
        ("poll", "Lunch? A, B"),
        ("poll edited", "Lunch? A, B, C"),
        ("edit", ("never mind", True)),
    ]
    [entry] = [e for e in line.world.timeline if e.kind == "member"]
    assert entry.edited is True
    assert entry.message["text"] == "never mind"


async def test_an_edit_older_than_one_handled_is_skipped_unless_asked() -> None:
    for skip in (True, False):
        bot, seen = edit_bot(skip_stale_edits=skip)
        async with connect(bot) as line:
            group = await line.create_group("G", ["Alice"])
            said = await line.say(group, "Alice", "first")
            message_id = said["message"]["id"]
            base = said["timestamp"]
            newer = line.edit_event(group, "Alice", message_id, "third", timestamp=base + 2000)
            older = line.edit_event(group, "Alice", message_id, "second", timestamp=base + 1000)
            await line.deliver([newer])
            await line.deliver([older])  # arrives late
            assert bot.runtime is not None
            await bot.runtime.wait_idle()
        edits = [value for kind, value in seen if kind == "edit"]
        if skip:
            assert edits == [("third", True)]
        else:
            assert edits == [("third", True), ("second", False)]


async def test_one_handler_for_messages_and_their_edits() -> None:
    bot = Bot()
    texts: list[tuple[str | None, bool]] = []

    @bot.on_message(edits=True)
    async def both(ctx: Context) -> None:
        texts.append((ctx.text, isinstance(ctx.event, ev.MessageEditedEvent)))

    async with connect(bot) as line:
        group = await line.create_group("G", ["Alice"])
        said = await line.say(group, "Alice", "helo")
        await line.edit(group, "Alice", said["message"]["id"], "hello")
        assert bot.runtime is not None
        await bot.runtime.wait_idle()
    assert texts == [("helo", False), ("hello", True)]


async def test_the_emulator_refuses_edits_line_does_not_allow() -> None:
    bot, _ = edit_bot()
    async with connect(bot) as line:
        group = await line.create_group("G", ["Alice", "Bob"])
        room = await line.create_room(["Alice", "Bob"])
        said = await line.say(group, "Alice", "mine")
        in_room = await line.say(room, "Alice", "in a room")
        with pytest.raises(ValueError, match="only their own"):
            await line.edit(group, "Bob", said["message"]["id"], "hijacked")
        with pytest.raises(ValueError, match="groups only"):
            await line.edit(room, "Alice", in_room["message"]["id"], "edited")
        with pytest.raises(ValueError, match="no text message"):
            await line.edit(group, "Alice", "424242", "edited")
        url = f"{line.url}/_emulator/chats/{group.chat_id}/edit"
        async with aiohttp.ClientSession() as session:
            body = {"user": "Alice", "message_id": said["message"]["id"], "text": "via API"}
            async with session.post(url, json=body) as resp:
                assert resp.status == 200
            async with session.post(url, json={"user": "Alice"}) as resp:
                assert resp.status == 400
            body = {"user": "Bob", "message_id": said["message"]["id"], "text": "no"}
            async with session.post(url, json=body) as resp:
                assert resp.status == 409
        await line.wait_until(
            lambda: any(d.event_types == ["messageEdited"] for d in line.world.deliveries)
        )
