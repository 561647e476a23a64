"""Welcome example: join greetings, welcomes by name (or politely without one), goodbyes."""

from __future__ import annotations

from pathlib import Path

from linegroupbot.emulator import Emulator
from linegroupbot.testing import bot_fixture

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "welcome.py"  # template-path

bot = bot_fixture(EXAMPLE)


async def test_group_greeting_uses_the_group_name(line: Emulator) -> None:
    group = await line.create_group("Book club", ["Alice"])
    [greeting] = await line.wait_for_bot_messages(group)
    assert greeting["text"] == "Hello, Book club! I'll welcome everyone who joins."


async def test_room_greeting_has_no_name(line: Emulator) -> None:
    room = await line.create_room(["Alice", "Bob"])
    await line.say(room, "Alice", "hi")
    [greeting] = await line.wait_for_bot_messages(room)
    assert greeting["text"].startswith("Hello, everyone in this chat!")
    assert not any("/summary" in c.path for c in line.world.calls)


async def test_new_member_is_welcomed_with_a_mention(line: Emulator) -> None:
    group = await line.create_group("Club", ["Alice"])
    await line.wait_for_bot_messages(group)
    dave = line.add_user("Dave")
    await line.add_member(group, dave)
    [welcome] = await line.wait_for_bot_messages(group)
    assert welcome["type"] == "textV2"
    assert welcome["text"] == "Welcome, {m0}! Glad to have you here."
    assert welcome["substitution"]["m0"]["mentionee"] == {"type": "user", "userId": dave.user_id}


async def test_member_without_consent_is_welcomed_politely(line: Emulator) -> None:
    group = await line.create_group("Club", ["Alice"])
    await line.wait_for_bot_messages(group)
    await line.add_member(group, line.add_user("Erin", consented=False))
    [welcome] = await line.wait_for_bot_messages(group)
    assert welcome["text"].startswith("Welcome to our new member!")


async def test_goodbye_is_pushed_when_someone_leaves(line: Emulator) -> None:
    group = await line.create_group("Club", ["Alice", "Bob"])
    await line.wait_for_bot_messages(group)
    await line.remove_member(group, "Bob")
    [goodbye] = await line.wait_for_bot_messages(group)
    assert "Goodbye" in goodbye["text"]
    assert line.world.calls[-1].path == "/v2/bot/message/push"
