"""Context methods against the emulator: the endpoint and body each call sends, per scope.

Every misuse must fail before any request is made.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from linegroupbot import Bot, Context
from linegroupbot import events as ev
from linegroupbot.emulator import Emulator
from linegroupbot.errors import (
    ForbiddenError,
    NoReplyTokenError,
    NoUserIdError,
    ReplyTokenUsedError,
    UnsupportedInScopeError,
)
from linegroupbot.testing import connect

Action = Callable[[Context], Awaitable[Any]]


class Script:
    """A bot whose handler runs the action the test gives it and reports the outcome."""

    def __init__(self) -> None:
        self.bot = Bot()
        self.action: Action | None = None
        self.outcome: asyncio.Future[Any] | None = None

        @self.bot.on_event(ev.Event)
        async def run(ctx: Context) -> None:
            if self.action is None or self.outcome is None or self.outcome.done():
                return
            if isinstance(ctx.event, ev.JoinEvent):
                return
            try:
                self.outcome.set_result(await self.action(ctx))
            except Exception as error:
                self.outcome.set_exception(error)

    async def run(self, action: Action, trigger: Awaitable[Any]) -> Any:
        self.action = action
        self.outcome = asyncio.get_running_loop().create_future()
        await trigger
        return await asyncio.wait_for(self.outcome, 5)


async def _script(**settings: Any) -> AsyncIterator[tuple[Script, Emulator]]:
    script = Script()
    async with connect(script.bot, **settings) as emu:
        yield script, emu


@pytest.fixture
async def env() -> AsyncIterator[tuple[Script, Emulator]]:
    async for pair in _script():
        yield pair


@pytest.fixture
async def verified_env() -> AsyncIterator[tuple[Script, Emulator]]:
    async for pair in _script(verified=True, member_ids_page_size=2):
        yield pair


async def test_reply_sends_the_token_and_messages(env: tuple[Script, Emulator]) -> None:
    script, emu = env
    group = await emu.create_group("G", ["Alice"])
    sent_event: dict[str, Any] = {}

    async def action(ctx: Context) -> Any:
        sent_event["token"] = ctx.reply_token
        return await ctx.reply("one", "two")

    async def trigger() -> None:
        await emu.say(group, "Alice", "hi")

    result = await script.run(action, trigger())
    call = emu.calls_to("/v2/bot/message/reply")[-1]
    assert call.json == {
        "replyToken": sent_event["token"],
        "messages": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}],
        "notificationDisabled": False,
    }
    assert len(result.sent_messages) == 2


async def test_second_reply_raises_before_sending_unless_push_fallback(
    env: tuple[Script, Emulator],
) -> None:
    script, emu = env
    group = await emu.create_group("G", ["Alice"])

    async def twice(ctx: Context) -> Any:
        await ctx.reply("first")
        before = len(emu.world.calls)
        with pytest.raises(ReplyTokenUsedError, match="push_to_chat"):
            await ctx.reply("second")
        assert len(emu.world.calls) == before
        return await ctx.reply("third", fallback_to_push=True)

    await script.run(twice, emu.say(group, "Alice", "hi"))
    assert [c.path for c in emu.world.calls[-2:]] == [
        "/v2/bot/message/reply",
        "/v2/bot/message/push",
    ]
    assert emu.world.calls[-1].json["to"] == group.chat_id
    assert emu.bot_messages(group)[-2:] == [
        {"type": "text", "text": "first"},
        {"type": "text", "text": "third"},
    ]


async def test_reply_without_a_token(env: tuple[Script, Emulator]) -> None:
    script, emu = env
    group = await emu.create_group("G", ["Alice", "Bob"])
    before = len(emu.world.calls)

    async def no_token(ctx: Context) -> Any:
        assert isinstance(ctx.event, ev.MemberLeftEvent)
        with pytest.raises(NoReplyTokenError, match="memberLeft"):
            await ctx.reply("bye")
        assert len(emu.world.calls) == before
        return await ctx.reply("bye", fallback_to_push=True)

    await script.run(no_token, emu.remove_member(group, "Bob"))
    assert emu.world.calls[-1].path == "/v2/bot/message/push"


async def test_expired_reply_token() -> None:
    async for script, emu in _script(reply_token_ttl=0.0):
        group = await emu.create_group("G", ["Alice"])

        async def late(ctx: Context) -> Any:
            with pytest.raises(ReplyTokenUsedError, match="expired"):
                await ctx.reply("too late")
            return None

        await script.run(late, emu.say(group, "Alice", "hi"))

    async for script, emu in _script(reply_token_ttl=0.0):
        group = await emu.create_group("G", ["Alice"])

        async def late_but_pushing(ctx: Context) -> Any:
            return await ctx.reply("pushed instead", fallback_to_push=True)

        await script.run(late_but_pushing, emu.say(group, "Alice", "hi"))
        assert [c.status for c in emu.world.calls[-2:]] == [400, 200]
        assert emu.bot_messages(group)[-1] == {"type": "text", "text": "pushed instead"}


@pytest.mark.parametrize("kind", ["group", "room", "user"])
async def test_push_to_chat_targets_the_chat(env: tuple[Script, Emulator], kind: str) -> None:
    script, emu = env
    chat = await _chat(emu, kind)

    async def push(ctx: Context) -> Any:
        return await ctx.push_to_chat("pushed")

    await script.run(push, emu.say(chat, "Alice", "hi"))
    call = emu.calls_to("/v2/bot/message/push")[-1]
    assert call.json["to"] == chat.chat_id
    assert call.json["to"][0] == {"group": "C", "room": "R", "user": "U"}[kind]


async def _chat(emu: Emulator, kind: str) -> Any:
    if kind == "group":
        return await emu.create_group("G", ["Alice", "Bob"])
    if kind == "room":
        return await emu.create_room(["Alice", "Bob"])
    alice = emu.add_user("Alice")
    await emu.follow(alice)
    return emu.world.direct_chat(alice.user_id)


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("group", "/v2/bot/group/{chat}/member/{user}"),
        ("room", "/v2/bot/room/{chat}/member/{user}"),
        ("user", "/v2/bot/profile/{user}"),
    ],
)
async def test_member_profile_picks_the_endpoint(
    env: tuple[Script, Emulator], kind: str, path: str
) -> None:
    script, emu = env
    chat = await _chat(emu, kind)
    alice = emu.world.user("Alice")

    async def profile(ctx: Context) -> Any:
        return await ctx.member_profile()

    result = await script.run(profile, emu.say(chat, "Alice", "who am i"))
    assert result.display_name == "Alice"
    assert emu.world.calls[-1].path == path.format(chat=chat.chat_id, user=alice.user_id)


async def test_member_profile_without_user_id_says_why(env: tuple[Script, Emulator]) -> None:
    script, emu = env
    group = await emu.create_group("G", ["Alice"])
    carol = emu.add_user("Carol", consented=False)
    await emu.add_member(group, carol)
    before = len(emu.world.calls)

    async def profile(ctx: Context) -> Any:
        assert ctx.user_id is None
        return await ctx.member_profile()

    with pytest.raises(NoUserIdError, match="has not agreed"):
        await script.run(profile, emu.say(group, carol, "hi"))
    assert len(emu.world.calls) == before

    async def explicit(ctx: Context) -> Any:
        return await ctx.member_profile(carol.user_id)

    assert (await script.run(explicit, emu.say(group, carol, "hi"))).display_name == "Carol"


@pytest.mark.parametrize("kind", ["group", "room"])
async def test_leave_uses_the_chat_endpoint(env: tuple[Script, Emulator], kind: str) -> None:
    script, emu = env
    chat = await _chat(emu, kind)

    async def leave(ctx: Context) -> Any:
        await ctx.leave()

    await script.run(leave, emu.say(chat, "Alice", "/bye"))
    assert emu.world.calls[-1].path == f"/v2/bot/{kind}/{chat.chat_id}/leave"
    assert chat.bot_in is False


@pytest.mark.parametrize("method", ["leave", "member_count", "group_summary", "member_ids"])
async def test_group_operations_in_a_1to1_chat_fail_before_sending(
    env: tuple[Script, Emulator], method: str
) -> None:
    script, emu = env
    chat = await _chat(emu, "user")
    before = len(emu.world.calls)

    async def misuse(ctx: Context) -> Any:
        result = getattr(ctx, method)()
        if asyncio.iscoroutine(result):
            await result

    with pytest.raises(UnsupportedInScopeError):
        await script.run(misuse, emu.say(chat, "Alice", "hi"))
    assert len(emu.world.calls) == before


async def test_group_summary_in_a_room_fails_clearly(env: tuple[Script, Emulator]) -> None:
    script, emu = env
    room = await _chat(emu, "room")

    async def summary(ctx: Context) -> Any:
        return await ctx.group_summary()

    with pytest.raises(UnsupportedInScopeError, match="rooms have no name"):
        await script.run(summary, emu.say(room, "Alice", "hi"))


@pytest.mark.parametrize("kind", ["group", "room"])
async def test_member_count_and_ids(verified_env: tuple[Script, Emulator], kind: str) -> None:
    script, emu = verified_env
    chat = await _chat(emu, kind)
    await emu.add_member(chat, "Carol")

    async def members(ctx: Context) -> Any:
        return await ctx.member_count(), [i async for i in ctx.member_ids()]

    count, ids = await script.run(members, emu.say(chat, "Alice", "hi"))
    assert count == 3
    assert ids == chat.members
    assert emu.world.calls[-1].query == {"start": "page-2"}


async def test_member_ids_unverified_is_forbidden(env: tuple[Script, Emulator]) -> None:
    script, emu = env
    group = await _chat(emu, "group")

    async def ids(ctx: Context) -> Any:
        return [i async for i in ctx.member_ids()]

    with pytest.raises(ForbiddenError):
        await script.run(ids, emu.say(group, "Alice", "hi"))


async def test_group_summary_and_content(env: tuple[Script, Emulator]) -> None:
    script, emu = env
    group = await _chat(emu, "group")

    async def summary(ctx: Context) -> Any:
        return await ctx.group_summary()

    assert (await script.run(summary, emu.say(group, "Alice", "hi"))).group_name == "G"

    async def content(ctx: Context) -> Any:
        return await ctx.get_content()

    data = await script.run(content, emu.send_image(group, "Alice", b"picture"))
    assert data == b"picture"


async def test_context_helpers(env: tuple[Script, Emulator]) -> None:
    script, emu = env
    group = await _chat(emu, "group")
    alice = emu.world.user("Alice")

    async def look(ctx: Context) -> Any:
        return (ctx.scope, ctx.chat_id, ctx.user_id, ctx.text, ctx.mentioned_bot, len(ctx.mentions))

    seen = await script.run(look, emu.say(group, alice, "@Bot hello @Alice"))
    assert seen == ("group", group.chat_id, alice.user_id, "@Bot hello @Alice", True, 2)


async def test_context_log_is_bound_to_the_event(env: tuple[Script, Emulator]) -> None:
    from structlog.testing import capture_logs

    script, emu = env
    group = await _chat(emu, "group")

    async def log(ctx: Context) -> Any:
        with capture_logs() as logs:
            ctx.log.info("something_happened", detail=1)
        return logs, ctx.event.webhook_event_id

    logs, event_id = await script.run(log, emu.say(group, "Alice", "hi"))
    [entry] = logs
    assert entry["webhook_event_id"] == event_id
    assert entry["chat_id"] == group.chat_id
    assert entry["scope"] == "group"
    assert entry["event_type"] == "message"
    assert entry["handler"].endswith("run")


async def test_reply_in_standby_mode_is_refused_before_sending(line_emulator: Emulator) -> None:
    from linegroupbot import LineClient, convert
    from tests.payloads import event

    standby = convert.structure_event(event("message_text", mode="standby"))
    async with LineClient("token", api_base_url=line_emulator.url) as client:
        ctx = Context(standby, client)
        with pytest.raises(UnsupportedInScopeError, match="standby"):
            await ctx.reply("hello")
    assert line_emulator.world.calls == []


async def test_a_reply_that_never_reached_line_keeps_the_token_usable() -> None:
    import socket

    from linegroupbot import LineClient, LineConnectionError, RetryPolicy, convert
    from tests.payloads import event

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    parsed = convert.structure_event(event("message_text"))
    async with LineClient(
        "token", api_base_url=f"http://127.0.0.1:{port}", retry=RetryPolicy.off()
    ) as client:
        ctx = Context(parsed, client)
        with pytest.raises(LineConnectionError):
            await ctx.reply("first try")
        assert ctx.reply_token == event("message_text")["replyToken"]
        with pytest.raises(LineConnectionError):  # tried again, not refused as "already used"
            await ctx.reply("second try")


async def test_a_reply_local_validation_refuses_keeps_the_token_usable() -> None:
    from linegroupbot import MessageValidationError

    bot = Bot()
    outcome: list[str] = []

    @bot.on_message
    async def handler(ctx: Context) -> None:
        try:
            await ctx.reply("")
        except MessageValidationError:
            outcome.append("refused")
        await ctx.reply("fixed")
        outcome.append("replied")

    async with connect(bot) as line:
        group = await line.create_group("G", ["Alice"])
        await line.say(group, "Alice", "hi")
        [reply] = await line.wait_for_bot_messages(group)
    assert outcome == ["refused", "replied"]
    assert reply["text"] == "fixed"


def test_context_does_not_import_filters() -> None:
    """Filters read the context; the context knows nothing of filters (no import circle)."""
    import ast
    from pathlib import Path

    import linegroupbot.context

    tree = ast.parse(Path(linegroupbot.context.__file__).read_text())
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert "filters" not in imported
    from linegroupbot.filters import CommandMatch as FromFilters

    assert FromFilters is linegroupbot.context.CommandMatch
