"""Poll example: buttons, postback votes per group, results pushed to the group."""

from __future__ import annotations

from pathlib import Path

from linegroupbot.emulator import Emulator
from linegroupbot.testing import bot_fixture

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
