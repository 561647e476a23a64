"""Poll example: buttons, postback votes per group, results pushed to the group; the poll
lives in the chat's state, and concurrent votes are all counted."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from linegroupbot.emulator import Emulator
from linegroupbot.state import State
from linegroupbot.stores import open_store
from linegroupbot.testing import bot_fixture, cached_bot

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "poll.py"  # template-path

bot = bot_fixture(EXAMPLE)


async def test_a_poll_from_start_to_results(line: Emulator) -> None:
    group = await line.create_group("Lunch", ["Alice", "Bob", "Carol"])
    await line.say(group, "Alice", "/poll Where to eat? Ramen, Sushi, Curry")
    [card] = await line.wait_for_bot_messages(group)
    assert card["type"] == "template"
    actions = card["template"]["actions"]
    assert [a["data"] for a in actions] == ["vote:Ramen", "vote:Sushi", "vote:Curry"]

    await line.tap_postback(group, "Alice", "vote:Ramen")
    await line.tap_postback(group, "Bob", "vote:Sushi")
    await line.tap_postback(group, "Bob", "vote:Ramen")  # Bob changes his mind
    await line.tap_postback(group, "Carol", "vote:Nonsense")  # not a choice: ignored
    await line.say(group, "Carol", "/results")
    [tally] = await line.wait_for_bot_messages(group)
    assert tally["text"] == "Where to eat?\nRamen: 2\nSushi: 0\nCurry: 0"
    assert line.world.calls[-1].path == "/v2/bot/message/push"


async def test_anonymous_votes_count_and_polls_are_per_group(line: Emulator) -> None:
    first = await line.create_group("One", ["Alice"])
    second = await line.create_group("Two", ["Alice"])
    await line.say(first, "Alice", "/poll Tea or coffee? Tea, Coffee")
    await line.wait_for_bot_messages(first)
    anon = line.add_user("Anon", consented=False)
    await line.add_member(first, anon)
    await line.tap_postback(first, anon, "vote:Tea")
    await line.tap_postback(first, anon, "vote:Tea")
    await line.say(second, "Alice", "/results")
    [none] = await line.wait_for_bot_messages(second)
    assert none["text"].startswith("There is no open poll here")
    await line.say(first, "Alice", "/close")
    [tally] = await line.wait_for_bot_messages(first)
    assert tally["text"] == "Tea or coffee?\nTea: 2\nCoffee: 0"
    await line.say(first, "Alice", "/results")
    [closed] = await line.wait_for_bot_messages(first)
    assert closed["text"].startswith("There is no open poll here")


async def test_bad_poll_usage(line: Emulator) -> None:
    group = await line.create_group("Lunch", ["Alice"])
    await line.say(group, "Alice", "/poll just one? A")
    [usage] = await line.wait_for_bot_messages(group)
    assert usage["text"].startswith("Usage: /poll")


async def test_a_vote_on_a_closed_poll_is_ignored(line: Emulator) -> None:
    group = await line.create_group("Lunch", ["Alice"])
    await line.say(group, "Alice", "/poll Tea or coffee? Tea, Coffee")
    await line.wait_for_bot_messages(group)
    await line.say(group, "Alice", "/close")
    await line.wait_for_bot_messages(group)
    await line.tap_postback(group, "Alice", "vote:Tea")  # a button of the closed poll
    await line.say(group, "Alice", "/results")
    [none] = await line.wait_for_bot_messages(group)
    assert none["text"].startswith("There is no open poll here")


async def test_votes_from_two_workers_at_once_are_all_counted(tmp_path: Path) -> None:
    """Two stores on one SQLite file, as two worker processes: every concurrent vote lands."""
    poll = _module()
    one, two = (
        open_store(f"sqlite:///{tmp_path}/bot.db"),
        open_store(f"sqlite:///{tmp_path}/bot.db"),
    )
    await one.open()
    await two.open()
    try:
        await State(one, "C1")["poll"].set(poll.Poll("Lunch?", ["Ramen", "Sushi"]))

        async def vote(n: int) -> None:
            def add(current: Any) -> Any:
                return poll.with_vote(current, "Ramen", f"U{n}", f"event-{n}")

            await State(one if n % 2 else two, "C1")["poll"].update(add, type=poll.Poll)

        await asyncio.gather(*(vote(n) for n in range(30)))
        final = await State(one, "C1")["poll"].get(poll.Poll)
        assert final is not None
        assert final.tally() == {"Ramen": 30, "Sushi": 0}
    finally:
        await one.close()
        await two.close()


def _module() -> Any:
    cached_bot(f"{EXAMPLE}:bot")
    return sys.modules[EXAMPLE.stem]
