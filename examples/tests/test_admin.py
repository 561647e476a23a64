"""Admin example: /members, /who, /ids (with LINE's verified-account rule) and /bye."""

from __future__ import annotations

from pathlib import Path

from linegroupbot.emulator import Emulator
from linegroupbot.testing import bot_fixture, cached_bot, connect

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "admin.py"  # template-path

bot = bot_fixture(EXAMPLE)


async def _ask(line: Emulator, chat: object, user: str, text: str) -> str:
    await line.say(chat, user, text)  # type: ignore[arg-type]
    [answer] = await line.wait_for_bot_messages(chat)  # type: ignore[arg-type]
    return str(answer["text"])


async def test_members_counts(line: Emulator) -> None:
    group = await line.create_group("Team", ["Alice", "Bob", "Carol"])
    assert await _ask(line, group, "Alice", "/members") == "This chat has 3 members (besides me)."


async def test_who_names_the_sender_or_explains_why_not(line: Emulator) -> None:
    group = await line.create_group("Team", ["Alice"])
    assert await _ask(line, group, "Alice", "/who") == "You are Alice."
    shy = line.add_user("Shy", consented=False)
    await line.add_member(group, shy)
    assert "agree to my terms" in await _ask(line, group, "Shy", "!who")


async def test_ids_explain_the_verified_account_rule(line: Emulator) -> None:
    group = await line.create_group("Team", ["Alice"])
    assert "verified or premium" in await _ask(line, group, "Alice", "/ids")


async def test_ids_list_members_for_a_verified_account() -> None:
    async with connect(cached_bot(f"{EXAMPLE}:bot"), verified=True) as line:
        group = await line.create_group("Team", ["Alice", "Bob"])
        answer = await _ask(line, group, "Alice", "/ids")
    assert answer.splitlines()[0] == "2 member IDs:"
    assert answer.splitlines()[1:] == group.members


async def test_bye_replies_then_leaves(line: Emulator) -> None:
    group = await line.create_group("Team", ["Alice"])
    assert await _ask(line, group, "Alice", "/bye") == "Bye, everyone!"
    await line.wait_for_delivery(lambda d: d.event_types == ["leave"])
    assert group.bot_in is False


async def test_group_commands_in_a_1to1_chat_explain(line: Emulator) -> None:
    await line.follow("Alice")
    chat = line.world.direct_chat(line.world.user("Alice").user_id)
    assert "groups and rooms" in await _ask(line, chat, "Alice", "/bye")
    assert not any(c.path.endswith("/leave") for c in line.world.calls)


async def test_roster_lists_who_the_bot_has_seen(line: Emulator) -> None:
    group = await line.create_group("Team", ["Alice", "Bob", "Carol"])
    line.set_consent("Carol", False)
    await line.say(group, "Bob", "hello")
    answer = await _ask(line, group, "Alice", "/roster")
    assert answer.splitlines() == [
        "3 member(s):",
        "Alice",
        "Bob",
        "+ 1 I can't name (they haven't agreed to my terms)",
        "(from what I've seen here: LINE lists members for verified accounts only)",
    ]
