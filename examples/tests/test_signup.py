"""Signup example: a two-question conversation per member in a group, with /cancel and a
timeout; what other members say is never taken as an answer."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from linegroupbot import Bot
from linegroupbot.emulator import Chat, Emulator, User
from linegroupbot.state import State
from linegroupbot.testing import bot_fixture, cached_bot

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "signup.py"  # template-path

bot = bot_fixture(EXAMPLE)


def _module() -> Any:
    cached_bot(f"{EXAMPLE}:bot")
    return sys.modules[EXAMPLE.stem]


async def say(line: Emulator, chat: Chat, who: str | User, text: str) -> dict[str, Any]:
    """``who`` says ``text``; the bot's one answer."""
    await line.say(chat, who, text)
    [answer] = await line.wait_for_bot_messages(chat)
    return answer


def mark(line: Emulator) -> int:
    """A point in the emulator's timeline: ``bot_messages(chat, since=mark)`` is what came after."""
    return line.world.timeline[-1].seq


async def test_a_member_signs_up_in_two_steps(line: Emulator) -> None:
    group = await line.create_group("Club", ["Alice", "Bob"])
    alice = line.world.user("Alice").user_id
    question = await say(line, group, "Alice", "/signup")
    assert question["type"] == "textV2"  # it mentions who is asked
    assert question["text"] == "{you}: what's your name? (/cancel to stop)"
    assert question["substitution"]["you"]["mentionee"] == {"type": "user", "userId": alice}

    before = mark(line)
    await line.say(group, "Bob", "Bob talks about lunch")  # not an answer: Bob is not asked
    thanks = await say(line, group, "Alice", "Alice Smith")
    assert thanks["text"] == "Thanks, Alice Smith. Which team are you in?"
    assert line.bot_messages(group, since=before) == [thanks]  # nothing for Bob's message

    done = await say(line, group, "Alice", "Red")
    assert done["text"] == "Signed up: Alice Smith, team Red. See everyone with /signups"
    roster = await say(line, group, "Bob", "/signups")
    assert roster["text"] == "1 signed up:\nAlice Smith (Red)"

    before = mark(line)
    await line.say(group, "Alice", "Blue")  # the conversation is over: not an answer
    again = await say(line, group, "Alice", "/signups")
    assert again == roster
    assert line.bot_messages(group, since=before) == [again]


async def test_members_sign_up_side_by_side(line: Emulator) -> None:
    group = await line.create_group("Club", ["Alice", "Bob"])
    await say(line, group, "Alice", "/signup")
    await say(line, group, "Bob", "/signup")
    assert (await say(line, group, "Bob", "Bobby"))["text"].startswith("Thanks, Bobby.")
    assert (await say(line, group, "Alice", "Ali"))["text"].startswith("Thanks, Ali.")
    assert (await say(line, group, "Bob", "Blue"))["text"].startswith("Signed up: Bobby, team Blue")
    assert (await say(line, group, "Alice", "Red"))["text"].startswith("Signed up: Ali, team Red")
    roster = await say(line, group, "Alice", "/signups")
    assert roster["text"] == "2 signed up:\nAli (Red)\nBobby (Blue)"
    elsewhere = await line.create_group("Other club", ["Alice"])
    empty = await say(line, elsewhere, "Alice", "/signups")  # rosters are per group
    assert empty["text"] == "Nobody signed up yet: /signup"


async def test_cancel_leaves_only_ones_own_conversation(line: Emulator) -> None:
    group = await line.create_group("Club", ["Alice", "Bob"])
    await say(line, group, "Alice", "/signup")
    await say(line, group, "Bob", "/signup")
    cancelled = await say(line, group, "Alice", "/cancel")
    assert cancelled["text"] == "{you}: signup cancelled."
    nothing = await say(line, group, "Alice", "/cancel")
    assert nothing["text"] == "You're not signing up: nothing to cancel."
    before = mark(line)
    await line.say(group, "Alice", "Alice")  # no longer asked: ignored
    thanks = await say(line, group, "Bob", "Bob")  # Bob's conversation goes on
    assert thanks["text"] == "Thanks, Bob. Which team are you in?"
    assert line.bot_messages(group, since=before) == [thanks]
    await say(line, group, "Bob", "/cancel")  # leaving at the second question too
    roster = await say(line, group, "Bob", "/signups")
    assert roster["text"] == "Nobody signed up yet: /signup"


async def test_answers_must_be_one_line_of_text(line: Emulator) -> None:
    group = await line.create_group("Club", ["Alice"])
    await say(line, group, "Alice", "/signup")
    await line.send_sticker(group, "Alice")
    [again] = await line.wait_for_bot_messages(group)
    assert again["text"] == "{you}: please type your name (one line, up to 40 characters)."
    too_long = await say(line, group, "Alice", "x" * 41)
    assert too_long["text"] == again["text"]
    # Still at the first question: a good answer moves on.
    assert (await say(line, group, "Alice", "Alice"))["text"].startswith("Thanks, Alice.")


async def test_an_unanswered_question_times_out(
    line: Emulator, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_module(), "TIMEOUT", 0.3)
    group = await line.create_group("Club", ["Alice"])
    alice = line.world.user("Alice").user_id
    await say(line, group, "Alice", "/signup")
    assert bot.runtime is not None
    state = State(bot.runtime.store, group.chat_id, alice)
    assert await state.step() == "name"
    deadline = time.monotonic() + 10
    while await state.step() is not None:  # wait for the store to drop the step
        assert time.monotonic() < deadline, "the step did not time out"
        await asyncio.sleep(0.05)
    before = mark(line)
    await line.say(group, "Alice", "Alice")  # too late: not an answer any more
    roster = await say(line, group, "Alice", "/signups")
    assert roster["text"] == "Nobody signed up yet: /signup"
    assert line.bot_messages(group, since=before) == [roster]
    assert await state["signup"].get() is None  # the draft went with it


async def test_members_without_consent_cannot_sign_up(line: Emulator) -> None:
    group = await line.create_group("Club", ["Alice"])
    anon = line.add_user("Anon", consented=False)
    await line.add_member(group, anon)
    refused = await say(line, group, anon, "/signup")
    assert refused["text"].startswith("I can't tell who you are")
