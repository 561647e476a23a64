"""Plugins: explicit and entry-point loading, failures named, extension points, typed ext."""

from __future__ import annotations

import types
from importlib.metadata import entry_points
from typing import ClassVar

import attrs
import linegroupbot_shout
import pytest

from linegroupbot import Bot, ConfigurationError, Context, ExtKey, convert
from linegroupbot.ext import Event
from linegroupbot.testing import connect
from tests.payloads import event


@attrs.frozen(kw_only=True)
class HighFive(Event):
    """A made-up event type a plugin teaches the parser."""

    strength: int
    type: ClassVar[str] = "highFive"


@attrs.frozen(kw_only=True)
class MyMessage(Event):
    """A plugin's event that claims a type linegroupbot has."""

    type: ClassVar[str] = "message"


def make_bot(**options: object) -> Bot:
    return Bot("secret", "token", api_base_url="http://127.0.0.1:9", **options)  # type: ignore[arg-type]


def test_the_example_plugin_is_installed_under_the_entry_point_group() -> None:
    names = {e.name for e in entry_points(group="linegroupbot.plugins")}
    assert "shout" in names


def test_entry_point_plugins_load_only_when_asked() -> None:
    assert make_bot().plugins == []
    bot = make_bot(load_entry_point_plugins=True)
    assert "shout" in bot.plugins
    assert linegroupbot_shout.SHOUT in bot.extensions


def test_explicit_plugins_load_in_order_before_later_handlers() -> None:
    order: list[str] = []

    def plugin(name: str) -> types.SimpleNamespace:
        return types.SimpleNamespace(__name__=name, setup=lambda bot: order.append(name))

    bot = make_bot(plugins=[plugin("first"), plugin("second")])
    assert order == ["first", "second"]
    assert bot.plugins == ["first", "second"]


def test_failing_plugin_is_reported_by_name() -> None:
    def broken(bot: Bot) -> None:
        raise RuntimeError("missing setting")

    with pytest.raises(
        ConfigurationError, match=r"plugin 'broken_plugin' failed to load: .*missing setting"
    ):
        make_bot(plugins=[types.SimpleNamespace(__name__="broken_plugin", setup=broken)])
    with pytest.raises(ConfigurationError, match="no setup"):
        make_bot(plugins=[types.SimpleNamespace(__name__="empty")])


def test_context_extensions_are_typed_and_lazy() -> None:
    calls: list[str] = []
    key: ExtKey[list[str]] = ExtKey("notes")
    bot = make_bot()
    bot.add_context_extension(key, lambda ctx: calls.append("made") or ["note"])  # type: ignore[func-returns-value]
    ctx = bot.make_context(convert.structure_event(event("message_text")))
    assert calls == []
    assert ctx.ext[key] is ctx.ext[key]
    assert calls == ["made"]
    assert key in ctx.ext
    with pytest.raises(KeyError, match="is the plugin that provides it loaded"):
        ctx.ext[ExtKey[int]("absent")]
    with pytest.raises(ConfigurationError, match="already registered"):
        bot.add_context_extension(key, lambda ctx: [])


def test_context_extensions_can_be_set_by_hand() -> None:
    # A test (or a Context subclass) may give a context its own Extensions.
    from linegroupbot.context import Extensions

    key: ExtKey[str] = ExtKey("given")
    ctx = make_bot().make_context(convert.structure_event(event("message_text")))
    ctx.ext = Extensions(ctx, {key: lambda ctx: "by hand"})
    assert ctx.ext[key] == "by hand"


async def test_the_plugin_works_end_to_end() -> None:
    bot = Bot(plugins=[linegroupbot_shout])
    seen: list[int] = []

    @bot.on_message(command="seen")
    async def seen_count(ctx: Context) -> None:
        seen.append(ctx.ext[linegroupbot_shout.SHOUT].messages_seen)
        await ctx.reply("ok")

    async with connect(bot) as line:
        group = await line.create_group("G", ["Alice"])
        await line.say(group, "Alice", "/shout hello")
        [shout] = await line.wait_for_bot_messages(group)
        assert shout["text"] == "HELLO!"
        await line.say(group, "Alice", "STOP SHOUTING")
        [calm] = await line.wait_for_bot_messages(group)
        assert calm["text"] == "No need to shout :)"
        await line.say(group, "Alice", "/seen")
        await line.wait_for_bot_messages(group)
    assert seen == [3]


def test_the_example_plugin_imports_only_from_the_plugin_api() -> None:
    import ast
    from pathlib import Path

    source = Path(__file__).parents[1] / "examples/plugin_shout/linegroupbot_shout/__init__.py"
    imported = {
        node.module
        for node in ast.walk(ast.parse(source.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
    }
    assert {name for name in imported if name.startswith("linegroupbot")} == {"linegroupbot.ext"}


def test_a_plugin_event_type_is_parsed_as_its_class_and_clashes_fail() -> None:
    from linegroupbot import events as ev
    from linegroupbot.ext import register_event

    raw = {"type": "highFive", "timestamp": 1, "webhookEventId": "01X", "strength": 3}
    assert isinstance(convert.structure_event(raw), ev.UnknownEvent)  # not known yet
    register_event(HighFive)
    parsed = convert.structure_event(raw)
    assert isinstance(parsed, HighFive)
    assert parsed.strength == 3
    assert convert.unstructure(parsed)["strength"] == 3

    with pytest.raises(ValueError, match=r"is already linegroupbot\.events\.MessageEvent"):
        register_event(MyMessage)
    with pytest.raises(TypeError, match="not an attrs subclass"):
        register_event(dict)  # type: ignore[arg-type]


async def test_class_based_middleware_from_the_plugin_api() -> None:
    from linegroupbot.ext import BaseMiddleware, CallNext
    from tests.test_routing import make_bot, run, text_event

    class Tag(BaseMiddleware):
        def __init__(self) -> None:
            self.seen = 0

        async def __call__(self, ctx: Context, call_next: CallNext) -> bool | None:
            self.seen += 1
            ctx.data["tag"] = "tagged"
            return await call_next(ctx)

    bot = make_bot()
    tag = Tag()
    bot.add_middleware(tag)

    @bot.on_message
    async def handle(ctx: Context) -> None:
        ctx.data["saw"] = ctx.data.get("tag")

    ctx = await run(bot, text_event("hi"))
    assert (tag.seen, ctx.data["saw"]) == (1, "tagged")
