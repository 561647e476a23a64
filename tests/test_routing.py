"""Dispatch order, filters, routers, middleware, skipping and error handlers."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linegroupbot import Bot, ConfigurationError, Context, Router, SkipHandler, convert, where
from linegroupbot import events as ev
from linegroupbot.client import LineClient
from linegroupbot.middleware import CallNext
from tests.payloads import ALICE, BOB, BOT_ID, GROUP, ROOM, event


def make_bot(**options: Any) -> Bot:
    return Bot("secret", "token", api_base_url="http://127.0.0.1:9", **options)


def text_event(
    words: str, *, source: dict[str, Any] | None = None, mention_bot: bool = False
) -> ev.Event:
    raw = event("message_text")
    raw["message"] = {"type": "text", "id": "1", "text": words, "quoteToken": "q"}
    if mention_bot:
        raw["message"]["mention"] = {
            "mentionees": [
                {"index": 0, "length": 4, "type": "user", "userId": BOT_ID, "isSelf": True}
            ]
        }
    if source is not None:
        raw["source"] = source
    return convert.structure_event(raw)


async def run(bot: Bot, parsed: ev.Event) -> Context:
    ctx = bot.make_context(parsed)
    ctx.data["handled"] = await bot.dispatch(ctx)
    return ctx


async def test_first_matching_handler_wins_in_registration_order() -> None:
    bot = make_bot()
    calls: list[str] = []

    @bot.on_message(startswith="/")
    async def first(ctx: Context) -> None:
        calls.append("first")

    @bot.on_message
    async def second(ctx: Context) -> None:
        calls.append("second")

    await run(bot, text_event("/x"))
    await run(bot, text_event("plain"))
    assert calls == ["first", "second"]


async def test_included_routers_are_searched_depth_first_in_place() -> None:
    bot = make_bot()
    calls: list[str] = []
    outer = Router(name="outer")
    inner = Router(name="inner")

    @bot.on_message(text="a")
    async def bot_a(ctx: Context) -> None:
        calls.append("bot_a")

    bot.include(outer)

    @outer.on_message(text="b")
    async def outer_b(ctx: Context) -> None:
        calls.append("outer_b")

    outer.include(inner)

    @inner.on_message
    async def inner_any(ctx: Context) -> None:
        calls.append("inner_any")

    @bot.on_message
    async def bot_fallback(ctx: Context) -> None:
        calls.append("bot_fallback")

    for words in ("a", "b", "c"):
        await run(bot, text_event(words))
    assert calls == ["bot_a", "outer_b", "inner_any"]


async def test_router_filters_gate_the_whole_router() -> None:
    bot = make_bot()
    groups_only = Router(filters=where.scope("group"))
    calls: list[str] = []

    @groups_only.on_message
    async def in_group(ctx: Context) -> None:
        calls.append("group")

    bot.include(groups_only)

    @bot.on_message
    async def elsewhere(ctx: Context) -> None:
        calls.append("other")

    await run(bot, text_event("x"))
    await run(bot, text_event("x", source={"type": "room", "roomId": ROOM}))
    assert calls == ["group", "other"]


async def test_skip_passes_the_event_on() -> None:
    bot = make_bot()
    calls: list[str] = []

    @bot.on_message
    async def maybe(ctx: Context) -> None:
        calls.append("maybe")
        ctx.skip()

    @bot.on_message
    async def raising(ctx: Context) -> None:
        calls.append("raising")
        raise SkipHandler

    @bot.on_message
    async def final(ctx: Context) -> None:
        calls.append("final")

    ctx = await run(bot, text_event("x"))
    assert calls == ["maybe", "raising", "final"]
    assert ctx.handler_name is not None
    assert ctx.handler_name.endswith("final")


async def test_unmatched_event_is_not_handled() -> None:
    bot = make_bot()

    @bot.on_join
    async def join(ctx: Context) -> None:
        raise AssertionError("not a join")

    ctx = await run(bot, text_event("x"))
    assert ctx.data["handled"] is False


async def test_event_types_select_handlers() -> None:
    bot = make_bot()
    calls: list[str] = []

    @bot.on_join(scope="group")
    async def joined_group(ctx: Context) -> None:
        calls.append("join-group")

    @bot.on_join(scope="room")
    async def joined_room(ctx: Context) -> None:
        calls.append("join-room")

    @bot.on_leave
    async def left(ctx: Context) -> None:
        calls.append("leave")

    @bot.on_member_joined
    async def member_joined(ctx: Context) -> None:
        calls.append("memberJoined")

    @bot.on_member_left
    async def member_left(ctx: Context) -> None:
        calls.append("memberLeft")

    @bot.on_postback(data_prefix="action=")
    async def postback(ctx: Context) -> None:
        calls.append("postback:" + ctx.postback.data)  # type: ignore[union-attr]

    @bot.on_follow
    async def follow(ctx: Context) -> None:
        calls.append("follow")

    @bot.on_unfollow
    async def unfollow(ctx: Context) -> None:
        calls.append("unfollow")

    @bot.on_unsend
    async def unsend(ctx: Context) -> None:
        calls.append("unsend")

    @bot.on_event(ev.BeaconEvent, ev.ThingsEvent)
    async def other(ctx: Context) -> None:
        calls.append("other:" + ctx.event.type)

    for name in (
        "join",
        "leave",
        "memberJoined",
        "memberLeft",
        "postback",
        "follow",
        "unfollow",
        "unsend",
        "beacon",
        "things",
    ):
        await run(bot, convert.structure_event(event(name)))
    await run(bot, convert.structure_event(event("join", source={"type": "room", "roomId": ROOM})))
    assert calls == [
        "join-group",
        "leave",
        "memberJoined",
        "memberLeft",
        "postback:action=pick",
        "follow",
        "unfollow",
        "unsend",
        "other:beacon",
        "other:things",
        "join-room",
    ]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("/who", ("who", "")),
        ("!who", ("who", "")),
        ("/WHO are you", ("who", "are you")),
        ("/who@Bot  x", ("who", "x")),
        ("  /who", ("who", "")),
        ("/who\nare you", ("who", "are you")),
        ("/who\tx", ("who", "x")),
        ("/ who", None),
        ("who", None),
        ("/whoami", None),
        ("#who", None),
    ],
)
async def test_command_matching(words: str, expected: tuple[str, str] | None) -> None:
    bot = make_bot()
    got: list[tuple[str, str]] = []

    @bot.on_message(command="who")
    async def who(ctx: Context) -> None:
        assert ctx.command is not None
        got.append((ctx.command.name, ctx.command.args))

    await run(bot, text_event(words))
    assert got == ([expected] if expected else [])


async def test_command_prefixes_are_configurable() -> None:
    bot = make_bot(command_prefixes=("#",))
    got: list[str] = []

    @bot.on_message(command="who")
    async def who(ctx: Context) -> None:
        got.append(ctx.text or "")

    for words in ("/who", "#who"):
        await run(bot, text_event(words))
    assert got == ["#who"]
    with pytest.raises(ConfigurationError):
        make_bot(command_prefixes=())


async def test_message_filters() -> None:
    bot = make_bot()
    got: list[str] = []

    @bot.on_message(regex=r"remind (\d+)m")
    async def remind(ctx: Context) -> None:
        assert ctx.match is not None
        got.append("remind " + ctx.match.group(1))

    @bot.on_message(mentions_bot=True)
    async def mentioned(ctx: Context) -> None:
        got.append("mentioned")

    @bot.on_message(user_id=BOB)
    async def bob(ctx: Context) -> None:
        got.append("bob")

    @bot.on_message(chat_id=ROOM, scope="room")
    async def that_room(ctx: Context) -> None:
        got.append("room")

    @bot.on_message(text=("yes", "no"))
    async def answer(ctx: Context) -> None:
        got.append("answer")

    @bot.on_message(message_type="sticker")
    async def sticker(ctx: Context) -> None:
        got.append("sticker")

    await run(bot, text_event("please remind 10m"))
    await run(bot, text_event("@Bot hi", mention_bot=True))
    await run(bot, text_event("hi", source={"type": "group", "groupId": GROUP, "userId": BOB}))
    await run(bot, text_event("hi", source={"type": "room", "roomId": ROOM}))
    await run(bot, text_event("no"))
    await run(bot, convert.structure_event(event("message_sticker")))
    await run(bot, text_event("nothing"))
    assert got == ["remind 10", "mentioned", "bob", "room", "answer", "sticker"]


async def test_filters_compose_and_callables_are_filters() -> None:
    bot = make_bot()
    got: list[str] = []

    async def is_alice(ctx: Context) -> bool:
        return ctx.user_id == ALICE

    @bot.on_message(
        filters=(where.text("hi") | where.text("hello")) & ~where.scope("room") & is_alice
    )
    async def greet(ctx: Context) -> None:
        got.append(ctx.text or "")

    @bot.on_message(filters=lambda ctx: ctx.text == "sync")
    async def sync_filter(ctx: Context) -> None:
        got.append("sync")

    await run(bot, text_event("hi"))
    await run(bot, text_event("hello"))
    await run(bot, text_event("hi", source={"type": "room", "roomId": ROOM, "userId": ALICE}))
    await run(bot, text_event("hi", source={"type": "group", "groupId": GROUP, "userId": BOB}))
    await run(bot, text_event("sync"))
    assert got == ["hi", "hello", "sync"]


@given(st.booleans(), st.booleans())
def test_filter_algebra_matches_boolean_logic(a: bool, b: bool) -> None:
    import asyncio

    fa = where.text("x") if a else ~where.text("x")
    fb = where.scope("group") if b else ~where.scope("group")
    ctx = make_bot().make_context(text_event("x"))

    async def check() -> tuple[bool, bool, bool]:
        return (await (fa & fb).check(ctx), await (fa | fb).check(ctx), await (~fa).check(ctx))

    assert asyncio.run(check()) == (a and b, a or b, not a)


def test_bad_scope_and_sync_handler_are_refused_at_registration() -> None:
    bot = make_bot()
    with pytest.raises(ValueError, match="unknown scope"):
        bot.on_message(scope="guild")
    with pytest.raises(TypeError, match="async"):

        @bot.on_message
        def not_async(ctx: Context) -> None: ...


async def test_middleware_order_and_short_circuit() -> None:
    bot = make_bot()
    router = Router()
    trail: list[str] = []

    @bot.add_middleware
    async def outer(ctx: Context, call_next: CallNext) -> bool:
        trail.append("outer in")
        result = await call_next(ctx)
        trail.append("outer out")
        return result

    @bot.add_middleware
    async def inner(ctx: Context, call_next: CallNext) -> bool:
        trail.append("inner in")
        if ctx.text == "blocked":
            return True
        return await call_next(ctx)

    @router.add_middleware
    async def router_mw(ctx: Context, call_next: CallNext) -> bool:
        trail.append("router")
        ctx.data["seen_by_router"] = True
        return await call_next(ctx)

    @router.on_message
    async def handler(ctx: Context) -> None:
        trail.append("handler:" + str(ctx.data.get("seen_by_router")))

    bot.include(router)
    await run(bot, text_event("x"))
    assert trail == ["outer in", "inner in", "router", "handler:True", "outer out"]
    trail.clear()
    ctx = await run(bot, text_event("blocked"))
    assert trail == ["outer in", "inner in", "outer out"]
    assert ctx.data["handled"] is True


async def test_error_handlers_nearest_router_first() -> None:
    bot = make_bot()
    router = Router()
    caught: list[str] = []

    @router.on_message(text="value")
    async def value(ctx: Context) -> None:
        raise ValueError("v")

    @router.on_message(text="key")
    async def key(ctx: Context) -> None:
        raise KeyError("k")

    @router.on_error(ValueError)
    async def router_values(ctx: Context, error: BaseException) -> None:
        caught.append("router:" + type(error).__name__)

    @bot.on_error()
    async def everything(ctx: Context, error: BaseException) -> None:
        caught.append(
            "bot:" + type(error).__name__ + ":" + (ctx.handler_name or "").rsplit(".", 1)[-1]
        )

    bot.include(router)
    await bot.handle_event(text_event("value"))
    await bot.handle_event(text_event("key"))
    assert caught == ["router:ValueError", "bot:KeyError:key"]


async def test_middleware_sees_handler_exceptions() -> None:
    bot = make_bot()
    seen: list[str] = []

    @bot.add_middleware
    async def guard(ctx: Context, call_next: CallNext) -> bool:
        try:
            return await call_next(ctx)
        except RuntimeError as error:
            seen.append(str(error))
            return True

    @bot.on_message
    async def boom(ctx: Context) -> None:
        raise RuntimeError("boom")

    await bot.handle_event(text_event("x"))
    assert seen == ["boom"]


def test_including_twice_or_a_missing_module_fails_clearly() -> None:
    bot = make_bot()
    router = Router()
    bot.include(router)
    with pytest.raises(ConfigurationError, match="already included"):
        bot.include(router)
    with pytest.raises(ConfigurationError, match="no_such_module"):
        bot.include("no_such_module.handlers")
    with pytest.raises(ConfigurationError, match="no Router named 'router'"):
        bot.include("json")
    with pytest.raises(ValueError, match="itself"):
        router.include(router)
    with pytest.raises(ValueError, match="cycle"):
        router.include(bot)


async def test_include_by_dotted_path(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "mybot"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "handlers.py").write_text(
        "from linegroupbot import Router\n"
        "router = Router()\n"
        "@router.on_message(text='ping')\n"
        "async def ping(ctx):\n"
        "    ctx.data['pong'] = True\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    bot = make_bot()
    bot.include("mybot.handlers")
    ctx = await run(bot, text_event("ping"))
    assert ctx.data["pong"] is True


def test_decorators_keep_the_handler_type_for_type_checkers() -> None:
    bot = make_bot()

    async def handler(ctx: Context) -> None:
        return None

    assert bot.on_message(handler) is handler
    assert bot.on_message(text="x")(handler) is handler
    assert bot.on_join(handler) is handler
    assert bot.on_postback(data_prefix="a")(handler) is handler
    assert len(bot.entries) == 4


def test_on_event_without_event_classes_fails_early() -> None:
    from linegroupbot import Bot

    bot = Bot("s", "t")
    with pytest.raises(TypeError, match="takes event classes"):
        bot.on_event(lambda ctx: None)  # type: ignore[arg-type]


async def test_what_a_failed_filter_chain_found_does_not_reach_later_handlers() -> None:
    bot = make_bot()
    seen: list[tuple[str, object, object]] = []

    @bot.on_message(command="poll", mentions_bot=True)  # the command passes, the mention fails
    async def poll_for_me(ctx: Context) -> None:
        seen.append(("poll", ctx.command, ctx.match))

    @bot.on_message(regex=r"^/poll (?P<q>.+)$", mentions_bot=True)
    async def regex_for_me(ctx: Context) -> None:
        seen.append(("regex", ctx.command, ctx.match))

    @bot.on_message
    async def anything(ctx: Context) -> None:
        seen.append(("anything", ctx.command, ctx.match))

    await run(bot, text_event("/poll Lunch?"))
    assert seen == [("anything", None, None)]


def test_include_and_load_bot_follow_one_set_of_rules(tmp_path: Any) -> None:
    from linegroupbot.loading import load_bot

    (tmp_path / "extra.py").write_text(
        "from linegroupbot import Router\nrouter = Router(name='extra')\nother = 3\n"
    )
    bot = make_bot()
    included = bot.include(f"{tmp_path / 'extra.py'}")  # a file, as load_bot takes
    assert included.name == "extra"
    with pytest.raises(
        ConfigurationError, match=r"no Router named 'other' \('other' is of type int\)"
    ):
        make_bot().include(f"{tmp_path / 'extra.py'}:other")
    with pytest.raises(ConfigurationError, match="no such file"):
        make_bot().include(f"{tmp_path / 'missing.py'}:router")
    with pytest.raises(ConfigurationError, match="json has no Bot: make one"):
        load_bot("json")  # a module without ":ATTR", as include takes


def test_where_builds_every_filter_with_a_call() -> None:
    from linegroupbot.filters import Filter, Where

    samples: dict[str, tuple[Any, ...]] = {
        "text": ("hi",),
        "startswith": ("/",),
        "regex": ("x",),
        "command": ("who",),
        "scope": ("group",),
        "message_type": ("text",),
        "user_id": (ALICE,),
        "chat_id": (GROUP,),
        "postback": ("vote",),
        "step": ("name",),
        "event": (ev.JoinEvent,),
        "mentions_bot": (),
        "standby": (),
        "redelivery": (),
    }
    members = {name for name in dir(Where) if not name.startswith("_")}
    assert members == set(samples)  # a new member gets a sample here
    for name, args in samples.items():
        assert isinstance(getattr(where, name)(*args), Filter), name


async def test_where_filters_match_like_the_decorator_arguments() -> None:
    bot = make_bot()
    seen: list[str] = []

    @bot.on_message(filters=where.mentions_bot() & where.command("who"))
    async def who(ctx: Context) -> None:
        seen.append("who")

    @bot.on_message(filters=~where.mentions_bot())
    async def other(ctx: Context) -> None:
        seen.append("other")

    await run(bot, text_event("/who", mention_bot=True))
    await run(bot, text_event("/who"))
    assert seen == ["who", "other"]


async def test_handlers_added_after_events_were_dispatched_still_take_events() -> None:
    bot = make_bot()
    calls: list[str] = []

    @bot.on_postback
    async def postback(ctx: Context) -> None:
        calls.append("postback")

    await run(bot, text_event("hi"))  # builds the router's per-type index
    router = Router()

    @router.on_message(text="hi")
    async def late(ctx: Context) -> None:
        calls.append("late")

    bot.include(router)

    @bot.on_message
    async def later(ctx: Context) -> None:
        calls.append("later")

    await run(bot, text_event("hi"))
    await run(bot, text_event("other"))
    assert calls == ["late", "later"]


async def test_a_filter_subclass_that_overrides_check_is_awaited() -> None:
    from linegroupbot.filters import StartsWith

    seen: list[str | None] = []

    class Logged(StartsWith):
        async def check(self, ctx: Context) -> bool:
            seen.append(ctx.text)
            return False

    bot = make_bot()
    calls: list[str] = []

    @bot.on_message(filters=Logged("/"))
    async def never(ctx: Context) -> None:
        calls.append("never")

    @bot.on_message(filters=~Logged("/") & where.startswith("/"))
    async def negated(ctx: Context) -> None:
        calls.append("negated")

    await run(bot, text_event("/x"))
    assert (calls, seen) == (["negated"], ["/x", "/x"])


async def test_commands_with_their_own_prefixes_parse_the_text_for_those_prefixes() -> None:
    bot = make_bot()
    calls: list[tuple[str, str]] = []

    @bot.on_message(command="go")
    async def slash(ctx: Context) -> None:
        assert ctx.command is not None
        calls.append(("slash", ctx.command.args))

    @bot.on_message(filters=where.command("go", prefixes=["."]))
    async def dot(ctx: Context) -> None:
        assert ctx.command is not None
        calls.append(("dot", ctx.command.args))

    await run(bot, text_event(".go far"))
    await run(bot, text_event("/go near"))
    assert calls == [("dot", "far"), ("slash", "near")]


async def test_handlers_of_other_commands_are_skipped_in_registration_order() -> None:
    from linegroupbot.filters import as_filter

    bot = make_bot()
    calls: list[str] = []
    looked: list[str] = []

    def spy(name: str) -> Any:
        def check(ctx: Context) -> bool:
            looked.append(name)
            return False

        return as_filter(check)

    def handler(name: str) -> Any:
        async def command(ctx: Context) -> None:
            calls.append(name)

        return command

    for name in ("a", "b", "c"):
        bot.on_message(command=name)(handler(name))
        # A user filter before the command filter runs whatever the command is; one after
        # it runs only when the command matches (never here: it fails, or another wins).
        bot.on_message(filters=spy(f"before-{name}") & where.command(name))(handler(name))
        bot.on_message(filters=where.command(name) & spy(f"after-{name}"))(handler(name))

    @bot.on_message
    async def anything(ctx: Context) -> None:
        calls.append("anything")

    for words in ("/c now", "/B", "/zzz", "plain text"):
        ctx = await run(bot, text_event(words))
        assert ctx.data["handled"]
    assert calls == ["c", "b", "anything", "anything"]
    every = ["before-a", "before-b", "before-c"]
    assert looked == ["before-a", "before-b", "before-a", *every, *every]


def test_required_commands_only_where_skipping_runs_nothing_else() -> None:
    from linegroupbot.filters import as_filter, required_commands

    def user(ctx: Context) -> bool:
        return True

    cmd = where.command
    assert required_commands(cmd(["a", "B"])) == {"a", "b"}
    assert required_commands(cmd("a", prefixes=["."])) is None  # other prefixes: not indexed
    assert required_commands(where.scope("group") & cmd("a")) == {"a"}
    assert required_commands(cmd("a") & as_filter(user)) == {"a"}
    assert required_commands(as_filter(user) & cmd("a")) is None  # the user filter runs first
    assert required_commands(cmd("a") | cmd("b")) == {"a", "b"}
    assert required_commands(cmd("a") | where.scope("group")) is None
    assert required_commands(~cmd("a")) is None


async def test_contexts_get_the_client_of_a_bot_subclass_that_has_its_own() -> None:
    own = LineClient("other-token", api_base_url="http://127.0.0.1:9")

    class OwnClientBot(Bot):
        @property
        def client(self) -> LineClient:
            assert super().client is not own  # the bot's own is made too
            return own

    bot = OwnClientBot("secret", "token", api_base_url="http://127.0.0.1:9")
    seen: list[LineClient] = []

    @bot.on_message
    async def record(ctx: Context) -> None:
        seen.append(ctx.client)

    for _ in range(2):  # the second time, the bot's own client exists already
        await bot.process(text_event("hi"))
    assert seen == [own, own]
    plain = make_bot()
    assert plain.make_context(text_event("hi")).client is plain.client
    await own.close()
    await bot.shutdown()
    await plain.shutdown()
