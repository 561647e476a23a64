"""Reminders example: scheduled pushes, listing with due times, cancelling, restarts."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from linegroupbot.emulator import Emulator
from linegroupbot.testing import attach, bot_fixture, cached_bot

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "reminders.py"  # template-path

bot = bot_fixture(EXAMPLE)
LISTED = re.compile(r"^(\d+)\. (\d\d):(\d\d) UTC \(in ([0-9hms ]+)\): (.*)$")


def _module() -> Any:
    cached_bot(f"{EXAMPLE}:bot")
    return sys.modules[EXAMPLE.stem]


def listed(text: str) -> list[tuple[int, str, str]]:
    """``/reminders`` lines as (number, due time as HH:MM, what)."""
    header, *lines = text.split("\n")
    assert header == f"{len(lines)} reminder(s) pending here:"
    found = []
    for line in lines:
        match = LISTED.match(line)
        assert match is not None, line
        found.append((int(match[1]), f"{match[2]}:{match[3]}", match[5]))
    return found


def due_in(seconds: float) -> set[str]:
    """The HH:MM (UTC) a reminder set now for ``seconds`` is due (either side of a minute)."""
    now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
    return {f"{t:%H:%M}" for t in (now - dt.timedelta(seconds=5), now + dt.timedelta(seconds=5))}


async def test_reminder_is_pushed_to_the_chat(line: Emulator) -> None:
    group = await line.create_group("Team", ["Alice"])
    await line.say(group, "Alice", "/remind 0.2s stand up")
    ok, reminder = await line.wait_for_bot_messages(group, count=2)
    assert ok["text"] == "OK, I'll remind this chat in 0.2s."
    assert reminder["text"] == "Reminder: stand up"
    assert line.world.calls[-1].path == "/v2/bot/message/push"
    await line.say(group, "Alice", "/reminders")  # sent: no longer pending
    [none] = await line.wait_for_bot_messages(group)
    assert none["text"] == "No reminders pending here."


async def test_usage_list_with_due_times_and_forget_one_or_all(line: Emulator) -> None:
    group = await line.create_group("Team", ["Alice"])
    await line.say(group, "Alice", "/remind soon do things")
    [usage] = await line.wait_for_bot_messages(group)
    assert usage["text"].startswith("Usage:")
    for command in ("/remind 2h water the plants", "/remind 90m call Bob", "/remind 3h lunch"):
        await line.say(group, "Alice", command)
        await line.wait_for_bot_messages(group)
    await line.say(group, "Alice", "/reminders")
    [reply] = await line.wait_for_bot_messages(group)
    found = listed(reply["text"])  # soonest first, numbered for /forget
    assert [(n, what) for n, _, what in found] == [
        (1, "call Bob"),
        (2, "water the plants"),
        (3, "lunch"),
    ]
    for (_, due, _), seconds in zip(found, (90 * 60, 2 * 3600, 3 * 3600), strict=True):
        assert due in due_in(seconds)
    assert "(in 1h 29m " in reply["text"] or "(in 1h 30m)" in reply["text"]

    await line.say(group, "Alice", "/forget 2")
    [one] = await line.wait_for_bot_messages(group)
    assert one["text"] == "Cancelled reminder 2: water the plants"
    await line.say(group, "Alice", "/forget 3")
    [bad] = await line.wait_for_bot_messages(group)
    assert bad["text"] == "There is no reminder 3 here: /reminders lists them."
    await line.say(group, "Alice", "/reminders")
    [reply] = await line.wait_for_bot_messages(group)
    assert [(n, what) for n, _, what in listed(reply["text"])] == [(1, "call Bob"), (2, "lunch")]
    await line.say(group, "Alice", "/forget")
    [cancelled] = await line.wait_for_bot_messages(group)
    assert cancelled["text"] == "Cancelled 2 reminder(s)."
    await line.say(group, "Alice", "/reminders")
    [none] = await line.wait_for_bot_messages(group)
    assert none["text"] == "No reminders pending here."


async def test_each_chat_lists_and_forgets_only_its_own(line: Emulator) -> None:
    first = await line.create_group("One", ["Alice"])
    second = await line.create_group("Two", ["Alice"])
    await line.say(first, "Alice", "/remind 1h in one")
    await line.wait_for_bot_messages(first)
    await line.say(second, "Alice", "/remind 1h in two")
    await line.wait_for_bot_messages(second)
    await line.say(second, "Alice", "/forget")
    [cancelled] = await line.wait_for_bot_messages(second)
    assert cancelled["text"] == "Cancelled 1 reminder(s)."
    await line.say(first, "Alice", "/reminders")
    [reply] = await line.wait_for_bot_messages(first)
    assert [what for _, _, what in listed(reply["text"])] == ["in one"]


@pytest.mark.line(raise_handler_errors=False)  # the handler is meant to fail once here
async def test_a_rerun_of_remind_schedules_the_reminder_once(line: Emulator) -> None:
    """The reply reaches LINE but its answer is lost: the handler fails and runs again."""
    group = await line.create_group("Team", ["Alice"])
    line.fail_next("/v2/bot/message/reply", status=None, drop=True, after=True)
    await line.say(group, "Alice", "/remind 1h only once")
    [ok] = await line.wait_for_bot_messages(group)
    assert ok["text"] == "OK, I'll remind this chat in 1h."
    await line.say(group, "Alice", "/reminders")  # handled after the re-run (chat order)
    [reply] = await line.wait_for_bot_messages(group)
    assert [what for _, _, what in listed(reply["text"])] == ["only once"]
    replies = [call.status for call in line.calls_to("/v2/bot/message/reply")]
    assert 400 in replies  # the re-run's reply: its token was used by the first run


async def test_a_pending_reminder_outlives_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a durable store, a reminder set before a restart is sent after it, once."""
    monkeypatch.setenv("LINEGROUPBOT_STORE", f"sqlite:///{tmp_path}/bot.db")
    reminders = cached_bot(f"{EXAMPLE}:bot")
    async with Emulator() as line:
        async with attach(reminders, line):
            group = await line.create_group("Team", ["Alice"])
            await line.say(group, "Alice", "/remind 2s after the restart")
            [ok] = await line.wait_for_bot_messages(group)
        assert ok["text"] == "OK, I'll remind this chat in 2s."
        assert len(line.bot_messages(group)) == 1  # stopped before it was due
        async with attach(reminders, line):
            ok, reminder = await line.wait_for_bot_messages(group, count=2, timeout=15)
            assert reminder["text"] == "Reminder: after the restart"
            await line.say(group, "Alice", "/reminders")
            [none] = await line.wait_for_bot_messages(group)
        assert none["text"] == "No reminders pending here."
        assert [m["text"] for m in line.bot_messages(group)].count(reminder["text"]) == 1


def test_parse_delay() -> None:
    parse = _module().parse_delay
    assert parse("10m") == 600.0
    assert parse("1.5h") == 5400.0
    assert parse("25h") is None
    assert parse("ten") is None
