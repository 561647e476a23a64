"""Rosters from a scripted group conversation, on every store."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from linegroupbot import Bot, Context
from linegroupbot.roster import Roster
from linegroupbot.testing import connect


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "redis":
        return f"{request.getfixturevalue('redis_url')}?prefix=roster-{uuid.uuid4().hex[:8]}:"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/bot.db"
    return "memory://"


def roster_bot(store_url: str) -> tuple[Bot, dict[str, Any]]:
    bot = Bot(store=store_url)
    seen: dict[str, Any] = {}

    @bot.on_message(command="who")
    async def who(ctx: Context) -> None:
        members = await ctx.roster.members()
        seen["members"] = members
        seen["headcount"] = await ctx.roster.headcount()
        await ctx.reply(", ".join(m.display_name or m.user_id[:5] for m in members))

    @bot.on_message(command="refresh")
    async def refresh(ctx: Context) -> None:
        seen["refresh"] = await ctx.roster.refresh()
        seen["filled"] = await ctx.roster.fill_names()
        await ctx.reply("refreshed")

    @bot.on_message(command="me")
    async def me(ctx: Context) -> None:
        profile = await ctx.member_profile()
        await ctx.reply(profile.display_name)

    @bot.on_message
    async def other(ctx: Context) -> None:
        pass

    return bot, seen


def ids(line: Any, *names: str) -> set[str]:
    return {line.world.user(name).user_id for name in names}


async def test_the_roster_follows_joins_leaves_and_senders(store_url: str) -> None:
    bot, seen = roster_bot(store_url)
    async with connect(bot) as line:
        group = await line.create_group("Team", ["Alice", "Bob", "Dave"])
        line.set_consent("Bob", False)
        await line.say(group, "Alice", "hello")
        await line.say(group, "Bob", "hi (no userId)")
        line.add_user("Carol")
        await line.add_member(group, "Carol")
        await line.say(group, "Alice", "/who")
        await line.wait_for_bot_messages(group)
        assert {m.user_id for m in seen["members"]} == ids(line, "Alice", "Carol")
        assert all(m.display_name is None for m in seen["members"])
        count = seen["headcount"]
        assert (count.total, count.known, count.anonymous) == (4, 2, 2)  # Bob and Dave: unseen

        await line.say(group, "Carol", "/me")  # a profile lookup names Carol
        await line.wait_for_bot_messages(group)
        await line.remove_member(group, "Alice")
        await line.say(group, "Carol", "/who")
        [reply] = await line.wait_for_bot_messages(group)
        assert reply["text"] == "Carol"
        assert {m.user_id for m in seen["members"]} == ids(line, "Carol")

        # An unverified account may not list member IDs: the roster says so, keeps its members.
        await line.say(group, "Carol", "/refresh")
        await line.wait_for_bot_messages(group)
        assert seen["refresh"].complete is False
        assert "verified or premium" in seen["refresh"].reason

        await line.remove_bot(group)
        assert bot.runtime is not None
        await bot.runtime.wait_idle()
        assert await Roster(bot.runtime.store, bot.client, group.chat_id, "group").members() == []


async def test_a_verified_account_refreshes_the_roster_from_line(store_url: str) -> None:
    bot, seen = roster_bot(store_url)
    async with connect(bot, verified=True) as line:
        group = await line.create_group("Team", ["Alice", "Bob", "Dave"])
        line.set_consent("Bob", False)
        await line.say(group, "Alice", "/refresh")
        await line.wait_for_bot_messages(group)
        assert seen["refresh"].complete is True
        assert seen["refresh"].added == 2  # Bob and Dave; Alice was seen speaking
        assert seen["filled"] == 3
        await line.say(group, "Alice", "/who")
        [reply] = await line.wait_for_bot_messages(group)
    assert reply["text"] == "Alice, Bob, Dave"
    assert seen["headcount"].anonymous == 0
