"""The echo example, end to end through the emulator."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from linegroupbot import Bot
from linegroupbot.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str) -> Bot:
    spec = importlib.util.spec_from_file_location(
        f"example_{name}", ROOT / "examples" / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    bot = module.bot
    assert isinstance(bot, Bot)
    return bot


@pytest.fixture
def bot() -> Bot:
    return _load("echo")


async def test_echo_replies_in_a_group(line: Emulator) -> None:
    group = await line.create_group("Friends", ["Alice", "Bob"])
    [greeting] = await line.wait_for_bot_messages(group)
    assert greeting["text"].startswith("Hi!")
    await line.say(group, "Alice", "hello there")
    [echo] = await line.wait_for_bot_messages(group)
    assert echo == {"type": "text", "text": "hello there"}
    [call] = line.calls_to("/v2/bot/message/reply")[-1:]
    assert call.status == 200


async def test_echo_in_a_room_gets_join_first(line: Emulator) -> None:
    room = await line.create_room(["Alice", "Bob"])
    await line.say(room, "Bob", "anyone?")
    messages = await line.wait_for_bot_messages(room, count=2)
    assert [m["text"] for m in messages] == ["Hi! I repeat whatever you say.", "anyone?"]
    delivery = line.world.deliveries[-1]
    assert delivery.event_types == ["join", "message"]
