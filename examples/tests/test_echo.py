"""Echo example: conversations through the LINE platform emulator."""

from __future__ import annotations

from pathlib import Path

from linegroupbot.emulator import Emulator
from linegroupbot.testing import bot_fixture

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "echo.py"  # template-path

bot = bot_fixture(EXAMPLE)


async def test_greets_when_invited_and_echoes_in_a_group(line: Emulator) -> None:
    group = await line.create_group("Friends", ["Alice", "Bob"])
    [greeting] = await line.wait_for_bot_messages(group)
    assert greeting["text"].startswith("Hi!")
    await line.say(group, "Alice", "hello there")
    [echo] = await line.wait_for_bot_messages(group)
    assert echo == {"type": "text", "text": "hello there"}


async def test_room_join_is_delivered_with_the_first_message(line: Emulator) -> None:
    room = await line.create_room(["Alice", "Bob"])
    await line.say(room, "Bob", "anyone?")
    messages = await line.wait_for_bot_messages(room, count=2)
    assert [m["text"] for m in messages] == ["Hi! I repeat whatever you say.", "anyone?"]
    assert line.world.deliveries[-1].event_types == ["join", "message"]


async def test_stickers_are_not_echoed(line: Emulator) -> None:
    group = await line.create_group("Friends", ["Alice"])
    await line.wait_for_bot_messages(group)
    await line.send_sticker(group, "Alice")
    await line.say(group, "Alice", "after the sticker")
    assert [m["text"] for m in await line.wait_for_bot_messages(group)] == ["after the sticker"]
