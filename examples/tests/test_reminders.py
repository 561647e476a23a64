"""Reminders example: scheduled pushes, listing, cancelling, and a clean shutdown."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from linegroupbot.emulator import Emulator
from linegroupbot.testing import bot_fixture, cached_bot, connect

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "reminders.py"  # template-path

bot = bot_fixture(EXAMPLE)


def _module() -> Any:
    import sys

    return sys.modules[EXAMPLE.stem]


async def test_reminder_is_pushed_to_the_chat(line: Emulator) -> None:
    group = await line.create_group("Team", ["Alice"])
    await line.say(group, "Alice", "/remind 0.2s stand up")
    ok, reminder = await line.wait_for_bot_messages(group, count=2)
    assert ok["text"] == "OK, I'll remind this chat in 0.2s."
    assert reminder["text"] == "Reminder: stand up"
    assert line.world.calls[-1].path == "/v2/bot/message/push"


async def test_usage_list_and_forget(line: Emulator) -> None:
    group = await line.create_group("Team", ["Alice"])
    await line.say(group, "Alice", "/remind soon do things")
    [usage] = await line.wait_for_bot_messages(group)
    assert usage["text"].startswith("Usage:")
    await line.say(group, "Alice", "/remind 1h water the plants")
    await line.wait_for_bot_messages(group)
    await line.say(group, "Alice", "/reminders")
    [listed] = await line.wait_for_bot_messages(group)
    assert listed["text"] == "1 reminder(s) pending here."
    await line.say(group, "Alice", "/forget")
    [cancelled] = await line.wait_for_bot_messages(group)
    assert cancelled["text"] == "Cancelled 1 reminder(s)."


async def test_pending_reminders_are_cancelled_on_shutdown() -> None:
    async with connect(cached_bot(f"{EXAMPLE}:bot")) as line:
        group = await line.create_group("Team", ["Alice"])
        await line.say(group, "Alice", "/remind 1h later")
        await line.wait_for_bot_messages(group)
        tasks = [t for chat in _module().pending.values() for t in chat]
        assert len(tasks) == 1
    await asyncio.sleep(0)
    assert tasks[0].cancelled()
    assert _module().pending == {}


def test_parse_delay() -> None:
    cached_bot(f"{EXAMPLE}:bot")
    parse = _module().parse_delay
    assert parse("10m") == 600.0
    assert parse("1.5h") == 5400.0
    assert parse("25h") is None
    assert parse("ten") is None
