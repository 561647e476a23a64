"""Typed handlers: typed contexts per event kind, and values injected by parameter name."""

from __future__ import annotations

import re
from typing import Any

import pytest

from linegroupbot import events as ev
from linegroupbot.context import (
    CommandMatch,
    Context,
    EventContext,
    MessageContext,
    PostbackContext,
)
from tests.payloads import GROUP, event
from tests.test_routing import make_bot, run, text_event

ANONYMOUS = {"type": "group", "groupId": GROUP}  # a member who has not agreed to the terms


async def test_each_event_kind_gets_its_context_class() -> None:
    bot = make_bot()
    assert type(bot.make_context(text_event("hi"))) is MessageContext
    postback = bot.make_context(convert_event("postback"))
    assert type(postback) is PostbackContext
    assert isinstance(postback, PostbackContext)
    assert postback.postback.data
    join = bot.make_context(convert_event("join"))
    assert type(join) is EventContext
    assert isinstance(join, Context)


def convert_event(kind: str) -> ev.Event:
    from linegroupbot import convert

    return convert.structure_event(event(kind))


async def test_a_command_handler_gets_the_command_it_was_registered_for() -> None:
    bot = make_bot()
    seen: list[object] = []

    @bot.on_message(command="remind")
    async def remind(ctx: MessageContext, command: CommandMatch, args: str) -> None:
        seen.extend([command.name, args])

    @bot.on_message(regex=r"^tea (?P<n>\d+)$")
    async def tea(ctx: MessageContext, match: re.Match[str], text: str) -> None:
        seen.extend([match["n"], text])

    await run(bot, text_event("/remind\n10m tea"))
    await run(bot, text_event("tea 3"))
    assert seen == ["remind", "10m tea", "3", "tea 3"]


async def test_a_required_value_the_event_lacks_passes_the_event_on() -> None:
    bot = make_bot()
    seen: list[str] = []

    @bot.on_message(text="who")
    async def named(ctx: MessageContext, user_id: str) -> None:
        seen.append(f"named {user_id}")

    @bot.on_message(text="who")
    async def anyone(ctx: MessageContext, user_id: str | None = None) -> None:
        seen.append(f"anyone {user_id}")

    await run(bot, text_event("who"))
    await run(bot, text_event("who", source=ANONYMOUS))
    assert seen[0].startswith("named U")
    assert seen[1] == "anyone None"


def test_asking_for_what_the_filters_cannot_give_fails_at_registration() -> None:
    bot = make_bot()

    with pytest.raises(TypeError, match=r"asks for 'command', which only command= finds"):

        @bot.on_message(text="poll")
        async def poll(ctx: MessageContext, command: CommandMatch) -> None: ...

    with pytest.raises(TypeError, match=r"asks for 'match', which only regex= finds"):

        @bot.on_message(command="x")
        async def rx(ctx: MessageContext, match: re.Match[str]) -> None: ...

    with pytest.raises(TypeError, match=r"asks for 'colour', which no event gives"):

        @bot.on_message
        async def colour(ctx: MessageContext, colour: str) -> None: ...

    with pytest.raises(TypeError, match="the context as its first parameter"):

        @bot.on_message
        async def nothing() -> None: ...

    assert bot.entries == []


async def test_a_router_filter_counts_for_its_handlers() -> None:
    from linegroupbot import Router, where

    bot = make_bot()
    admin = Router(filters=where.command("admin"))
    seen: list[str] = []

    @admin.on_message
    async def handle(ctx: MessageContext, args: str) -> None:
        seen.append(args)

    bot.include(admin)
    await run(bot, text_event("/admin kick"))
    assert seen == ["kick"]


def test_an_injected_value_with_the_wrong_annotation_is_refused_at_registration() -> None:
    bot = make_bot()

    @bot.on_message(command="ok")
    async def fine(
        ctx: MessageContext, command: CommandMatch, args: str, user_id: str | None = None
    ) -> None: ...

    @bot.on_message(regex=r"x")
    async def also_fine(ctx: MessageContext, match: re.Match[str], scope: Any) -> None: ...

    with pytest.raises(TypeError, match=r"command: str, but 'command' is a CommandMatch"):

        @bot.on_message(command="who")
        async def wrong(ctx: MessageContext, command: str) -> None: ...

    with pytest.raises(TypeError, match=r"args: int, but 'args' is a str"):

        @bot.on_message(command="roll")
        async def wrong_args(ctx: MessageContext, args: int) -> None: ...
