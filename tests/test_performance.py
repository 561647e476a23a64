"""What the framework does to be fast stays correct: lazy fields, lazy imports, bounded caches."""

from __future__ import annotations

import asyncio
import pickle
import subprocess
import sys
import uuid
from typing import Any

import attrs
import pytest

from linegroupbot import (
    Bot,
    Context,
    HandlerTimeoutError,
    InvalidWebhookBodyError,
    _deadlines,
    handler_timeout,
)
from linegroupbot import events as ev
from linegroupbot.convert import structure_body, structure_event, unstructure
from linegroupbot.stores import MemoryStore
from tests import payloads
from tests.helpers import SECRET, TOKEN, signed


def _slot(obj: object, name: str) -> object:
    """The raw slot value, past the lazy descriptor."""
    return type(obj).__dict__[name].slot.__get__(obj, type(obj))


def test_mentions_and_emojis_are_built_on_first_read() -> None:
    event = structure_event(payloads.event("message_text"))
    assert isinstance(event, ev.MessageEvent)
    message = event.message
    assert isinstance(message, ev.TextMessageContent)
    assert isinstance(_slot(message, "mention"), dict)  # not built yet
    assert isinstance(_slot(message, "emojis"), list)
    assert message.mentions_bot is True
    assert isinstance(_slot(message, "mention"), ev.Mention)  # built once, then kept
    assert message.mention is message.mention
    assert message.emojis == (ev.Emoji(6, 6, "5ac1bfd5", "001"),)


def test_lazy_fields_compare_hash_repr_and_unstructure_like_built_ones() -> None:
    raw = payloads.event("message_text")
    lazy = structure_event(raw).message
    built = structure_event(raw).message
    assert isinstance(built, ev.TextMessageContent)
    _ = (built.mention, built.emojis)
    assert lazy == built
    assert hash(lazy) == hash(structure_event(raw).message)
    fresh = structure_event(raw).message
    assert "mentionees=(UserMentionee(" in repr(fresh)
    assert unstructure(structure_event(raw).message) == raw["message"]
    again = structure_event(raw).message
    assert pickle.loads(pickle.dumps(again)) == built  # noqa: S301 (our own bytes)
    assert attrs.evolve(structure_event(raw).message, text="x").mention == built.mention


def test_a_model_made_by_hand_keeps_its_values() -> None:
    mention = ev.Mention((ev.AllMentionee(0, 4),))
    message = ev.TextMessageContent("1", "@All hi", mention=mention)
    assert message.mention is mention
    assert message.mentions_all is True
    assert message.emojis is None


def test_a_malformed_mention_still_fails_the_parse() -> None:
    raw = payloads.event("message_text")
    raw["message"]["mention"] = "not an object"
    with pytest.raises(InvalidWebhookBodyError, match=r"events\[0\]"):
        structure_body(payloads.body(raw))


def test_import_linegroupbot_loads_names_on_first_use() -> None:
    code = (
        "import sys, linegroupbot\n"
        "assert 'linegroupbot.bot' not in sys.modules, 'eager'\n"
        "assert 'aiohttp' not in sys.modules, 'eager aiohttp'\n"
        "from linegroupbot import Bot, events\n"
        "assert Bot.__module__ == 'linegroupbot.bot'\n"
        "assert 'linegroupbot.stores.sqlite' not in sys.modules, 'eager sqlite'\n"
        "assert 'linegroupbot.stores.redis' not in sys.modules, 'eager redis'\n"
        "from linegroupbot.stores import SqliteStore, RedisStore\n"
        "assert events.MessageEvent.__name__ == 'MessageEvent'\n"
        "assert set(linegroupbot.__all__) <= set(dir(linegroupbot))\n"
        "try:\n"
        "    linegroupbot.NoSuchName\n"
        "except AttributeError as error:\n"
        "    assert 'NoSuchName' in str(error)\n"
        "else:\n"
        "    raise SystemExit('no AttributeError')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr


def _run(code: str) -> None:
    """Run ``code`` in a fresh interpreter; it fails by raising (or ``SystemExit``)."""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr


def test_defining_a_bot_imports_no_server() -> None:
    # aiohttp.web (and the webhook receiver) come in when an application is made.
    _run(
        "import sys\n"
        "from linegroupbot import Bot, Context\n"
        "bot = Bot('secret', 'token')\n"
        "@bot.on_message(command='ping')\n"
        "async def ping(ctx: Context) -> None: ...\n"
        "eager = {'aiohttp.web', 'linegroupbot.server'} & set(sys.modules)\n"
        "assert not eager, eager\n"
        "from aiohttp import web\n"
        "from linegroupbot.bot import BOT_KEY\n"
        "app = bot.create_app()\n"
        "assert isinstance(app, web.Application) and app[BOT_KEY] is bot\n"
        "assert 'linegroupbot.server' in sys.modules\n"
    )


def test_defining_a_bot_leaves_structlog_until_something_logs() -> None:
    # structlog imports rich when it is installed: a module of handlers does not pay for it.
    _run(
        "import sys\n"
        "from linegroupbot import Bot, Context\n"
        "from linegroupbot.logging import get_logger\n"
        "bot = Bot('secret', 'token')\n"
        "@bot.on_message(command='ping')\n"
        "async def ping(ctx: Context) -> None: ...\n"
        "log = get_logger('linegroupbot.test')\n"
        "assert 'structlog' not in sys.modules, 'eager structlog'\n"
        "from structlog.testing import capture_logs\n"
        "with capture_logs() as logs:\n"
        "    log.info('first', n=1)\n"
        "with capture_logs() as again:\n"
        "    log.warning('second')\n"
        "assert logs == [{'event': 'first', 'n': 1, 'log_level': 'info'}], logs\n"
        "assert again == [{'event': 'second', 'log_level': 'warning'}], again\n"
    )


def test_flex_is_imported_when_first_needed_and_converts_as_before() -> None:
    _run(
        "import sys, typing\n"
        "from linegroupbot import Bot, MessageValidationError, messages as msg\n"
        "from linegroupbot.convert import converter, unstructure\n"
        "assert 'linegroupbot.flex' not in sys.modules, 'eager flex'\n"
        "raw = {'type': 'bubble', 'body': {'type': 'box', 'layout': 'vertical',\n"
        "       'contents': [{'type': 'text', 'text': 'hi'}]}}\n"
        "as_json = msg.FlexMessage(alt_text='x', contents=raw)\n"
        "assert msg.normalize(as_json) == (as_json,)\n"
        "assert unstructure(as_json) == {'type': 'flex', 'altText': 'x', 'contents': raw}\n"
        "try:\n"
        "    msg.normalize(msg.FlexMessage(alt_text='x', contents={'type': 'bubble', 'bdy': {}}))\n"
        "except MessageValidationError as error:\n"
        "    assert 'bdy' in str(error), error\n"
        "else:\n"
        "    raise SystemExit('a typo passed')\n"
        "from linegroupbot import flex\n"
        "hints = typing.get_type_hints(msg.FlexMessage)\n"
        "assert hints['contents'] == flex.Container | dict[str, typing.Any], hints\n"
        "bubble = flex.from_json(raw)\n"
        "typed = msg.FlexMessage(alt_text='x', contents=bubble)\n"
        "assert unstructure(typed) == unstructure(as_json)\n"
        "assert unstructure(bubble.body) == raw['body']\n"
        "for cls in (flex.Bubble, flex.Carousel, flex.Box, flex.Text, flex.Video):\n"
        "    assert converter.get_unstructure_hook(cls) is flex.to_json, cls\n"
    )


def test_flex_hooks_are_per_class_as_any_model_s_are() -> None:
    # Registered per class when linegroupbot.flex is imported: a broad predicate hook added
    # later does not take flex values, and a hook a user set for one flex class stays when
    # another flex class is first written.
    _run(
        "import attrs\n"
        "from linegroupbot import flex, messages as msg\n"
        "from linegroupbot.convert import converter, unstructure\n"
        "converter.register_unstructure_hook_factory(attrs.has, lambda cls: lambda o: 'generic')\n"
        "converter.register_unstructure_hook(flex.Text, lambda o: 'mine')\n"
        "bubble = flex.Bubble(body=flex.Box(layout='vertical', contents=[flex.Text(text='hi')]))\n"
        "message = msg.FlexMessage(alt_text='x', contents=bubble)\n"
        "contents = unstructure(message)['contents']\n"
        "assert contents['type'] == 'bubble', contents\n"
        "assert converter.get_unstructure_hook(flex.Text)(flex.Text(text='a')) == 'mine'\n"
    )


def test_models_are_resolved_on_first_use_not_at_import() -> None:
    # Importing the converter leaves the models' annotations as written (strings); the
    # first parse or send resolves every model it touches, as registering at import did.
    _run(
        "import json, attrs\n"
        "from linegroupbot import actions, events as ev, messages as msg\n"
        "from linegroupbot.convert import structure_body, unstructure\n"
        "from tests import payloads\n"
        "unresolved = lambda cls: [f.name for f in attrs.fields(cls) if isinstance(f.type, str)]\n"
        "assert unresolved(ev.MessageEvent), 'resolved at import'\n"
        "assert unresolved(msg.TextMessage), 'resolved at import'\n"
        "body = structure_body(payloads.body(payloads.event('message_text')))\n"
        "event = body.events[0]\n"
        "assert type(event) is ev.MessageEvent\n"
        "for cls in (ev.MessageEvent, ev.GroupSource, ev.TextMessageContent):\n"
        "    assert not unresolved(cls), (cls, unresolved(cls))\n"
        "assert attrs.fields(ev.MessageEvent).timestamp.type is int\n"
        "_ = event.message.mention\n"
        "assert not unresolved(ev.Mention) and not unresolved(ev.UserMentionee)\n"
        "sent = msg.TextMessage(text='hi', quick_reply=msg.QuickReply((msg.QuickReplyItem(\n"
        "    actions.MessageAction('Yes', text='yes')),)))\n"
        "assert unstructure(sent)['quickReply']['items'][0]['action']['type'] == 'message'\n"
        "for cls in (msg.TextMessage, msg.QuickReply, msg.QuickReplyItem):\n"
        "    assert not unresolved(cls), (cls, unresolved(cls))\n"
    )


async def test_per_chat_structures_stay_bounded_over_many_chats(aiohttp_client: Any) -> None:
    # Counted, not timed: 600 events over 300 chats and 600 senders leave no per-chat
    # entry behind in the worker, and the dedupe records stop at their bound.
    bot = Bot(SECRET, TOKEN, api_base_url="http://127.0.0.1:9", track_rosters=False)
    handled: list[str] = []

    @bot.on_message
    async def record(ctx: Context) -> None:
        handled.append(ctx.chat_id or "")

    client = await aiohttp_client(bot.create_app())
    runtime = bot.runtime
    assert runtime is not None
    store = runtime.store
    assert isinstance(store, MemoryStore)
    store.dedupe.max_entries = 100
    for n in range(60):
        batch = []
        for i in range(10):
            seq = n * 10 + i
            source = {"type": "group", "groupId": f"C{seq % 300:032x}", "userId": f"U{seq:032x}"}
            batch.append(
                payloads.event("message_text", webhookEventId=f"01BOUND{seq:019d}", source=source)
            )
        data, headers = signed(*batch)
        response = await client.post("/callback", data=data, headers=headers)
        assert response.status == 200
    await runtime.wait_idle(timeout=30)
    assert len(handled) == 600
    assert len(set(handled)) == 300
    worker = runtime.worker
    assert worker is not None
    assert worker._chats == {}  # one queue per busy chat, dropped when drained
    assert worker._current == {}
    assert worker._since == {}
    assert len(worker._ids) == 0
    assert len(store.dedupe) <= 100
    assert store.depth == 0


@pytest.fixture
def quick_watch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Watch budgets longer than 0.1 s, looking every 0.05 s (instead of 2 s and 1 s)."""
    monkeypatch.setattr(_deadlines, "WATCH_AFTER", 0.1)
    monkeypatch.setattr(_deadlines, "PERIOD", 0.05)


def _text_event(text: str) -> ev.Event:
    raw = payloads.event("message_text")
    raw["message"] = {"type": "text", "id": "1", "text": text}
    return structure_event(raw)


@pytest.mark.usefixtures("quick_watch")
async def test_a_watched_budget_still_cancels_a_hung_handler() -> None:
    bot = Bot(SECRET, TOKEN, api_base_url="http://127.0.0.1:9", handler_timeout=0.3)
    cancelled = asyncio.Event()

    @bot.on_message(text="hang")
    async def hang(ctx: Context) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(HandlerTimeoutError, match=r"0\.3 s"):
        await asyncio.wait_for(bot.process(_text_event("hang")), 10)
    assert cancelled.is_set()
    assert len(_deadlines.deadlines()) == 0


@pytest.mark.usefixtures("quick_watch")
async def test_a_handlers_own_budget_replaces_a_watched_one() -> None:
    bot = Bot(SECRET, TOKEN, api_base_url="http://127.0.0.1:9", handler_timeout=0.2)
    finished: list[str] = []

    @bot.on_message(text="unlimited")
    @handler_timeout(None)
    async def unlimited(ctx: Context) -> None:
        await asyncio.sleep(0.5)  # past the bot's budget: not cancelled
        finished.append("unlimited")

    @bot.on_message(text="short")
    @handler_timeout(0.1)
    async def short(ctx: Context) -> None:
        await asyncio.sleep(5)
        finished.append("short")

    await asyncio.wait_for(bot.process(_text_event("unlimited")), 10)
    with pytest.raises(HandlerTimeoutError, match=r"0\.1 s"):
        await asyncio.wait_for(bot.process(_text_event("short")), 10)
    assert finished == ["unlimited"]


@pytest.mark.usefixtures("quick_watch")
async def test_a_handlers_own_watched_budget_counts_from_when_it_is_chosen() -> None:
    bot = Bot(SECRET, TOKEN, api_base_url="http://127.0.0.1:9", handler_timeout=0.2)
    finished: list[str] = []

    @bot.on_message(text="slow")
    @handler_timeout(5)
    async def slow(ctx: Context) -> None:
        await asyncio.sleep(0.5)  # past the bot's budget, well within its own
        finished.append("slow")

    await asyncio.wait_for(bot.process(_text_event("slow")), 10)
    assert finished == ["slow"]


@pytest.mark.usefixtures("quick_watch")
async def test_the_watcher_forgets_ended_budgets_and_stops_looking() -> None:
    bot = Bot(SECRET, TOKEN, api_base_url="http://127.0.0.1:9", handler_timeout=0.3)

    @bot.on_message
    async def quick(ctx: Context) -> None:
        pass

    for n in range(20):
        await bot.process(_text_event(f"m{n}"))
    watch = _deadlines.deadlines()
    assert len(watch) == 0
    for _ in range(200):  # a few looks: each forgets what ended; then the timer stops
        if watch._timer is None:
            break
        await asyncio.sleep(0.05)
    assert watch._timer is None
    assert watch._items == {}
    assert watch._new == []


async def test_default_budgets_leave_nothing_watched_after_the_events() -> None:
    bot = Bot(SECRET, TOKEN, api_base_url="http://127.0.0.1:9")  # 60 s: watched
    seen: list[str] = []

    @bot.on_message
    async def record(ctx: Context) -> None:
        seen.append(ctx.text or "")
        assert len(_deadlines.deadlines()) == 1  # this event's budget, while it runs

    for n in range(50):
        await bot.process(_text_event(f"m{n}"))
    assert len(seen) == 50
    assert len(_deadlines.deadlines()) == 0


def test_fresh_retry_keys_are_random_version_4_uuids() -> None:
    from linegroupbot.client import _random_uuid

    keys = {_random_uuid() for _ in range(2000)}
    assert len(keys) == 2000
    for key in keys:
        parsed = uuid.UUID(key)
        assert str(parsed) == key  # lower-case, hyphenated, as str(uuid.uuid4()) writes it
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


async def test_handled_events_are_freed_without_the_garbage_collector() -> None:
    # An event's context, model and handler objects must not form a reference cycle: each
    # would then stay alive until a collection, which then has all of them to walk.
    import gc
    import weakref

    bot = Bot(SECRET, TOKEN, api_base_url="http://127.0.0.1:9", track_rosters=False)
    handled: list[str | None] = []

    @bot.on_message
    async def record(ctx: Context) -> None:
        handled.append(ctx.chat_id)

    raws = [payloads.event("message_text") for _ in range(20)]
    freed: list[weakref.ref[ev.Event]] = []
    gc.collect()
    gc.disable()
    try:
        for raw in raws:
            event = structure_event(raw)
            freed.append(weakref.ref(event))
            await bot.process(event)
            del event
        assert len(handled) == 20
        assert [ref() for ref in freed] == [None] * 20  # freed by reference counting
    finally:
        gc.enable()


async def test_a_memory_backlog_is_bytes_the_garbage_collector_does_not_walk() -> None:
    # Queued events wait as their JSON bytes, as in the durable stores: a backlog of decoded
    # JSON would be several tracked containers per event, all walked by every full collection.
    import gc

    import orjson

    from linegroupbot.convert import structure_event as structure
    from tests.helpers import queued

    store = MemoryStore(shards=4)
    items = [queued("message_text", f"backlog-{n}", shards=4) for n in range(300)]
    expected = [structure(item.raw) for item in items[:3]]
    gc.collect()
    before = len(gc.get_objects())
    assert all(await store.enqueue(items))
    del items
    gc.collect()
    grown = len(gc.get_objects()) - before
    assert grown <= 300 + 10, grown  # one entry object per event, nothing inside it tracked
    entries = await store.read("w", range(4), exclude=(), count=300, block=0)
    assert len(entries) == 300
    assert all(entry.raw is None and isinstance(entry.payload, bytes) for entry in entries)
    by_id = {orjson.loads(entry.payload)["webhookEventId"]: entry for entry in entries}
    for event in expected:
        assert structure(orjson.loads(by_id[event.webhook_event_id].payload)) == event


def test_a_serving_runtime_freezes_its_startup_objects_and_still_handles_events() -> None:
    # Runtime.serve (``linegroupbot run``) moves what start-up made out of the collector's
    # view; events made afterwards are still collected and handled.
    _run(
        "import asyncio, gc, urllib.request\n"
        "from linegroupbot import Bot, Context\n"
        "from linegroupbot.runtime import Runtime\n"
        "from tests.helpers import SECRET, signed\n"
        "from tests import payloads\n"
        "bot = Bot(SECRET, 'token', api_base_url='http://127.0.0.1:9', track_rosters=False)\n"
        "seen = []\n"
        "@bot.on_message\n"
        "async def record(ctx: Context) -> None: seen.append(ctx.event.webhook_event_id)\n"
        "async def main() -> None:\n"
        "    before = gc.get_freeze_count()  # not 0 on every Python\n"
        "    runtime = Runtime(bot)\n"
        "    task = asyncio.create_task(runtime.serve('127.0.0.1', 0))\n"
        "    for _ in range(1000):\n"
        "        await asyncio.sleep(0.01)\n"
        "        if gc.get_freeze_count() > before:\n"
        "            break\n"
        "    assert gc.get_freeze_count() > before + 1000, (before, gc.get_freeze_count())\n"
        "    assert runtime.started\n"
        "    event = payloads.event('message_text', webhookEventId='after-freeze')\n"
        "    raw, headers = signed(event)\n"
        "    receiver = runtime.receiver\n"
        "    answer = await receiver.accept(raw, signatures=[headers['x-line-signature']])\n"
        "    assert answer.status == 200, answer\n"
        "    await runtime.wait_idle()\n"
        "    assert seen == ['after-freeze'], seen\n"
        "    task.cancel()\n"
        "    await asyncio.gather(task, return_exceptions=True)\n"
        "    assert not runtime.started\n"
        "asyncio.run(main())\n"
    )
