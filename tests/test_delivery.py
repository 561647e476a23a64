"""Durable delivery in one process: retries, dead letters, retry keys, stop and restart.

Every test runs the real webhook server and worker against the emulator; the stores are
real (SQLite on a file in tmp_path, Redis on the session's redis-server).
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
import structlog
from structlog.testing import LogCapture, capture_logs

from linegroupbot import Bot, Context, NoUserIdError
from linegroupbot import events as ev
from linegroupbot.emulator import Emulator
from linegroupbot.runtime import Runtime
from linegroupbot.stores import MemoryStore, open_store
from linegroupbot.testing import connect
from linegroupbot.worker import is_retryable
from tests.helpers import SECRET, TOKEN, queued, sign

FAST = {"retry_delay": 0.01, "lease_ttl": 1.5}


def make_bot(**options: Any) -> Bot:
    return Bot(**{**FAST, **options})


async def group_with(emulator: Emulator, *names: str) -> Any:
    return await emulator.create_group("Test group", list(names) or ["Alice"])


async def idle(bot: Bot) -> None:
    assert bot.runtime is not None
    await bot.runtime.wait_idle(timeout=10)


async def test_a_failing_handler_is_retried_with_the_attempt_number() -> None:
    bot = make_bot()
    attempts: list[int] = []

    @bot.on_message
    async def flaky(ctx: Context) -> None:
        attempts.append(ctx.attempt)
        if ctx.attempt < 3:
            raise ConnectionResetError("database went away")
        await ctx.reply("finally")

    async with connect(bot) as emulator:
        group = await group_with(emulator)
        await emulator.say(group, "Alice", "hi")
        [message] = await emulator.wait_for_bot_messages(group)
        await idle(bot)
    assert attempts == [1, 2, 3]
    assert message["text"] == "finally"


async def test_a_poison_event_is_dead_lettered_and_its_chat_goes_on() -> None:
    bot = make_bot(max_attempts=2)
    broken = True
    runs: list[str | None] = []

    @bot.on_message
    async def handler(ctx: Context) -> None:
        runs.append(ctx.text)
        if ctx.text == "poison" and broken:
            raise RuntimeError("cannot digest this")
        await ctx.push_to_chat(f"ok {ctx.text}")

    async with connect(bot) as emulator:
        group = await group_with(emulator)
        with capture_logs() as logs:
            await emulator.say(group, "Alice", "poison")
            await emulator.say(group, "Alice", "after")
            await emulator.wait_for_bot_messages(group, since=0)
            await idle(bot)
        assert runs == ["poison", "poison", "after"]
        assert [m["text"] for m in emulator.bot_messages(group)] == ["ok after"]
        [dead] = [e for e in logs if e["event"] == "event_dead_lettered"]
        assert dead["attempts"] == 2
        assert "cannot digest this" in dead["error"]
        assert bot.runtime is not None
        store = bot.runtime.store
        [letter] = await store.dead_letters()
        assert orjson.loads(letter.payload)["message"]["text"] == "poison"
        assert letter.event_id == dead["webhook_event_id"]
        assert "cannot digest this" in letter.error
        # Fixed: replay it, and it runs again.
        broken = False
        assert await store.replay(letter.id)
        await emulator.wait_until(lambda: len(emulator.bot_messages(group)) == 2)
        await idle(bot)
        assert await store.dead_letters() == []
    assert [m["text"] for m in emulator.bot_messages(group)] == ["ok after", "ok poison"]


async def test_misuse_is_not_retried() -> None:
    bot = make_bot()
    runs = 0

    @bot.on_message
    async def handler(ctx: Context) -> None:
        nonlocal runs
        runs += 1
        raise NoUserIdError("no user")

    async with connect(bot) as emulator:
        group = await group_with(emulator)
        await emulator.say(group, "Alice", "hi")
        assert bot.runtime is not None
        await emulator.wait_until(lambda: bot.runtime and bot.runtime.worker.dead_lettered)
        await idle(bot)
    assert runs == 1
    assert is_retryable(ConnectionResetError())
    assert not is_retryable(NoUserIdError("x"))


async def test_a_rerun_sends_nothing_twice_retry_keys_come_from_the_event() -> None:
    bot = make_bot()
    seen: list[Any] = []

    @bot.on_message
    async def handler(ctx: Context) -> None:
        first = await ctx.push_to_chat("one")
        second = await ctx.push_to_chat("two")
        seen.append((ctx.attempt, first.deduplicated, second.deduplicated))

    async with connect(bot) as emulator:
        group = await group_with(emulator)
        event = await emulator.say(group, "Alice", "hi")
        await emulator.wait_for_bot_messages(group, 2)
        await idle(bot)
        # A worker died after sending: the same event is handled again.
        from linegroupbot.convert import structure_event

        await bot.process(structure_event(event), attempt=2)
        pushes = emulator.calls_to("/v2/bot/message/push")
    assert [m["text"] for m in emulator.bot_messages(group)] == ["one", "two"]
    assert seen == [(1, False, False), (2, True, True)]
    keys = [c.headers["X-Line-Retry-Key"] for c in pushes]
    assert [c.status for c in pushes] == [200, 200, 409, 409]
    assert keys[0] == keys[2]
    assert keys[1] == keys[3]
    assert keys[0] != keys[1]
    uuid.UUID(keys[0])


async def test_a_rerun_skips_a_reply_whose_token_was_used() -> None:
    bot = make_bot()

    @bot.on_message
    async def handler(ctx: Context) -> None:
        await ctx.reply("answer")

    async with connect(bot) as emulator:
        group = await group_with(emulator)
        event = await emulator.say(group, "Alice", "hi")
        await emulator.wait_for_bot_messages(group)
        await idle(bot)
        from linegroupbot.convert import structure_event

        with capture_logs() as logs:
            await bot.process(structure_event(event), attempt=2)
    assert [m["text"] for m in emulator.bot_messages(group)] == ["answer"]
    assert any(e["event"] == "reply_skipped_on_rerun" for e in logs)


async def test_api_calls_are_logged_with_the_event_and_chat() -> None:
    bot = make_bot()

    @bot.on_message
    async def handler(ctx: Context) -> None:
        await ctx.push_to_chat("hello")

    capture = LogCapture()
    old = structlog.get_config()
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, capture],
        wrapper_class=structlog.make_filtering_bound_logger(0),  # api_call is a debug line
    )
    try:
        async with connect(bot) as emulator:
            group = await group_with(emulator)
            event = await emulator.say(group, "Alice", "hi")
            await emulator.wait_for_bot_messages(group)
            await idle(bot)
    finally:
        structlog.configure(**old)
    [call] = [
        e
        for e in capture.entries
        if e["event"] == "api_call" and e.get("path", "").endswith("push")
    ]
    assert call["webhook_event_id"] == event["webhookEventId"]
    assert call["chat_id"] == group.chat_id


async def test_one_malformed_event_does_not_cost_the_rest_of_its_body() -> None:
    bot = make_bot()
    got: list[str | None] = []

    @bot.on_message
    async def handler(ctx: Context) -> None:
        got.append(ctx.text)

    async with connect(bot) as emulator:
        group = await group_with(emulator)
        good = emulator.world.event(
            "message", group, group.members[0], message={"type": "text", "id": "1", "text": "ok"}
        )
        bad = {**good, "webhookEventId": "01BAD", "message": {"type": "text", "id": 5}}
        del bad["timestamp"]
        raw = orjson.dumps({"destination": "U1", "events": [bad, 3, good]})
        assert bot.runtime is not None
        url = emulator.sender.webhook_url
        assert url is not None
        secret = emulator.settings.channel_secret
        with capture_logs() as logs:
            async with aiohttp.ClientSession() as session:
                headers = {"x-line-signature": sign(raw, secret)}
                async with session.post(url, data=raw, headers=headers) as resp:
                    assert resp.status == 200
                    answer = await resp.json()
            await idle(bot)
        letters = await bot.runtime.store.dead_letters()
    assert got == ["ok"]
    # The receiver turns away what is not an event at all; the worker what it cannot parse.
    assert answer == {"status": "ok", "events": 3, "queued": 2, "rejected": 1}
    [not_an_event, unparsable] = letters
    assert orjson.loads(not_an_event.payload) == 3
    assert "events[1] is not a JSON object" in not_an_event.error
    assert orjson.loads(unparsable.payload) == bad
    assert unparsable.key == group.chat_id
    assert unparsable.event_id == "01BAD"
    assert "cannot parse the event" in unparsable.error
    assert {"event_rejected", "event_dead_lettered"} <= {e["event"] for e in logs}


async def test_healthz_reports_the_queue_and_the_worker(tmp_path: Path) -> None:
    bot = make_bot(store=f"sqlite:///{tmp_path}/bot.db")
    release = asyncio.Event()

    @bot.on_message
    async def handler(ctx: Context) -> None:
        await release.wait()

    async with connect(bot) as emulator:
        group = await group_with(emulator)
        await emulator.say(group, "Alice", "one")
        await emulator.say(group, "Alice", "two")
        assert bot.runtime is not None
        assert bot.runtime.worker is not None
        await emulator.wait_until(lambda: bot.runtime.worker.running == 1)  # type: ignore[union-attr]
        for _ in range(200):  # bounded: the join's acknowledgement lands within milliseconds
            if (await bot.runtime.store.stats()).depth == 2:
                break
            await asyncio.sleep(0.01)
        url = (emulator.sender.webhook_url or "").replace("/callback", "/healthz")
        async with aiohttp.ClientSession() as session, session.get(url) as resp:
            report = await resp.json()
        release.set()
        await idle(bot)
    assert resp.status == 200
    assert report["role"] == "all"
    assert report["store"].startswith("sqlite:///")
    assert report["queue"]["depth"] == 2
    assert report["queue"]["oldest_age"] >= 0
    assert report["queue"]["dead_letters"] == 0
    assert report["worker"]["running_handlers"] == 1
    assert report["in_flight"] == 2
    assert len(report["worker"]["shards"]) == 16


async def test_stopping_finishes_started_handlers_and_leaves_the_rest_queued(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/bot.db"
    bot = make_bot(store=url, concurrency=1)
    started = asyncio.Event()
    release = asyncio.Event()
    handled: list[str | None] = []

    @bot.on_message
    async def slow(ctx: Context) -> None:
        started.set()
        await release.wait()
        handled.append(ctx.text)

    async with connect(bot) as emulator:
        group = await group_with(emulator)
        other = await emulator.create_group("Other", ["Bob"])
        await emulator.say(group, "Alice", "first")
        await emulator.say(group, "Alice", "second")
        await emulator.say(other, "Bob", "elsewhere")
        await started.wait()
        assert bot.runtime is not None
        stopping = asyncio.create_task(bot.runtime.stop())
        await asyncio.sleep(0.05)
        assert not stopping.done()  # waits for the started handler
        release.set()
        await stopping
    assert handled == ["first"]
    # The rest is still in the store, and the next process handles it.
    store = open_store(url)
    await store.open()
    assert (await store.stats()).depth == 2
    await store.close()
    later = make_bot(store=url)
    again: list[str | None] = []

    @later.on_message
    async def fast(ctx: Context) -> None:
        again.append(ctx.text)

    async with connect(later):
        assert later.runtime is not None
        await later.runtime.wait_idle(timeout=10)
    assert sorted(again, key=str) == ["elsewhere", "second"]


@pytest.mark.redis
async def test_workers_share_the_shards_and_keep_each_chats_order(redis_url: str) -> None:
    store_url = f"{redis_url}?prefix=share-{uuid.uuid4().hex[:8]}:"
    order: dict[str, list[int]] = {}
    handled_by: dict[str, set[str]] = {}

    def make(name: str) -> Bot:
        bot = make_bot(store=store_url, lease_ttl=0.6)

        @bot.on_message
        async def record(ctx: Context) -> None:
            await asyncio.sleep(0.002)
            order.setdefault(ctx.chat_id or "", []).append(int(ctx.text or 0))
            handled_by.setdefault(name, set()).add(ctx.chat_id or "")

        return bot

    receiver_bot = make("receiver")
    workers = [make("w1"), make("w2")]
    async with connect(receiver_bot) as emulator:
        runtimes = []
        for bot in workers:
            bot.configure(
                channel_secret=emulator.settings.channel_secret,
                access_token=emulator.settings.access_token,
                api_base_url=emulator.url,
            )
            runtime = Runtime(bot, role="worker")
            await runtime.start()
            runtimes.append(runtime)
        try:
            # Three workers (the receiver's process handles too): wait for the share-out.
            assert receiver_bot.runtime is not None
            assert receiver_bot.runtime.worker is not None
            everyone = [receiver_bot.runtime.worker, *(r.worker for r in runtimes)]

            def balanced() -> bool:
                owned = [w.owned for w in everyone if w is not None]
                return sum(len(o) for o in owned) == 16 and all(o for o in owned)

            for _ in range(100):
                if balanced():
                    break
                await asyncio.sleep(0.1)
            assert balanced()
            groups = [await emulator.create_group(f"G{i}", ["Alice"]) for i in range(12)]
            for n in range(1, 9):
                for group in groups:
                    await emulator.say(group, "Alice", str(n))
            for _ in range(300):
                if sum(len(v) for v in order.values()) >= 12 * 8:
                    break
                await asyncio.sleep(0.05)
        finally:
            for runtime in runtimes:
                await runtime.stop()
    for group in groups:
        assert order[group.chat_id] == list(range(1, 9)), group.chat_id
    assert len([name for name, chats in handled_by.items() if chats]) >= 2


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def test_graceful_restarts_do_not_use_up_deliveries(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/bot.db"
    else:
        url = f"{request.getfixturevalue('redis_url')}?prefix=giveback-{uuid.uuid4().hex[:8]}:"
    handled: list[int] = []
    for restart in range(4):
        bot = Bot(SECRET, TOKEN, store=url, concurrency=1, max_deliveries=2, **FAST)

        @bot.on_event(ev.Event)
        async def slow(ctx: Context) -> None:
            await asyncio.sleep(0.02)
            handled.append(int(ctx.event.webhook_event_id[4:]))

        runtime = Runtime(bot)
        await runtime.start()
        if restart == 0:
            items = [queued("follow", f"01EV{n:04d}") for n in range(12)]
            await runtime.store.enqueue(items)
        before = len(handled)
        for _ in range(200):  # bounded: until this process handled one more
            if len(handled) > before:
                break
            await asyncio.sleep(0.01)
        await runtime.stop()  # with most of the backlog read ahead and not started
    bot = Bot(SECRET, TOKEN, store=url, max_deliveries=2, **FAST)

    @bot.on_event(ev.Event)
    async def fast(ctx: Context) -> None:
        handled.append(int(ctx.event.webhook_event_id[4:]))

    runtime = Runtime(bot)
    await runtime.start()
    try:
        await runtime.wait_idle(timeout=10)
        assert await runtime.store.dead_letters() == []
    finally:
        await runtime.stop()
    assert handled == list(range(12))


async def test_a_process_wrapped_after_the_runtime_is_made_is_the_one_called() -> None:
    bot = Bot(SECRET, TOKEN, store="memory://", **FAST)
    handled: list[str] = []

    @bot.on_event(ev.Event)
    async def note(ctx: Context) -> None:
        handled.append(ctx.event.webhook_event_id)

    runtime = Runtime(bot)
    wrapped: list[str] = []
    original = bot.process

    async def process(event: ev.Event, attempt: int = 1) -> None:
        wrapped.append(event.webhook_event_id)
        await original(event, attempt)

    bot.process = process  # type: ignore[method-assign]
    await runtime.start()
    try:
        await runtime.store.enqueue([queued("follow", "01WRAP")])
        await runtime.wait_idle(timeout=10)
    finally:
        await runtime.stop()
    assert wrapped == handled == ["01WRAP"]


async def test_a_dedupe_store_s_own_record_sees_every_queued_event() -> None:
    from linegroupbot.stores import MemoryDedupeStore

    class Counting(MemoryDedupeStore):
        def __init__(self) -> None:
            super().__init__()
            self.asked: list[str] = []

        def record(self, event_id: str) -> bool:
            self.asked.append(event_id)
            return super().record(event_id)

    store = MemoryStore()
    store.dedupe = counting = Counting()
    items = [queued("follow", "01A"), queued("follow", "01B"), queued("follow", "01A")]
    assert await store.enqueue(items) == [True, True, False]
    assert counting.asked == ["01A", "01B", "01A"]


async def test_an_event_whose_workers_keep_dying_is_dead_lettered() -> None:
    store = MemoryStore()
    await store.enqueue([queued("unfollow", "01CRASH")])
    all_shards = list(range(16))
    assert await store.claim_shards("ghost", all_shards, 0.05) == all_shards
    assert len(await store.read("ghost", all_shards, exclude=(), count=10, block=0)) == 1
    await asyncio.sleep(0.1)  # the ghost died holding it; its leases run out
    bot = Bot(SECRET, TOKEN, store=store, max_deliveries=1, **FAST)
    ran = False

    @bot.on_event(ev.Event)
    async def never(ctx: Context) -> None:
        nonlocal ran
        ran = True

    runtime = Runtime(bot)
    await runtime.start()
    try:
        await runtime.wait_idle(timeout=5)
        [letter] = await store.dead_letters()
    finally:
        await runtime.stop()
    assert not ran
    assert letter.event_id == "01CRASH"
    assert "never finished" in letter.error


@pytest.mark.redis
async def test_workers_recover_when_redis_lost_its_consumer_groups(redis_url: str) -> None:
    prefix = f"flushed-{uuid.uuid4().hex[:8]}:"
    bot = Bot(SECRET, TOKEN, store=f"{redis_url}?prefix={prefix}", **FAST)
    seen: list[str | None] = []

    @bot.on_event(ev.Event)
    async def record(ctx: Context) -> None:
        seen.append(ctx.event.webhook_event_id)

    runtime = Runtime(bot)
    await runtime.start()
    try:
        from redis.asyncio import Redis

        redis = Redis.from_url(redis_url)
        try:  # as if Redis restarted empty: every stream (and its group) is gone
            await redis.delete(*[f"{prefix}q:{n}" for n in range(16)])
        finally:
            await redis.aclose()
        await runtime.store.enqueue([queued("follow", "01AFTER")])
        for _ in range(300):  # bounded: about 6 s
            if seen:
                break
            await asyncio.sleep(0.02)
        report = await runtime.health()
    finally:
        await runtime.stop()
    assert seen == ["01AFTER"]
    assert report["status"] == "ok"


def test_settings_that_cannot_work_fail_early() -> None:
    from linegroupbot import ConfigurationError

    for bad in ({"concurrency": 0}, {"max_attempts": 0}, {"lease_ttl": 0}, {"max_deliveries": 0}):
        with pytest.raises(ConfigurationError, match="must be"):
            Bot("s", "t", **bad).create_app()  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="needs a store other processes share"):
        Runtime(Bot("s", "t"), role="worker")


async def test_a_draining_worker_keeps_its_leases_until_its_handlers_finish(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/bot.db"
    bot = Bot(SECRET, TOKEN, store=url, lease_ttl=0.3, drain_timeout=10, retry_delay=0.01)
    started = asyncio.Event()
    release = asyncio.Event()

    @bot.on_event(ev.Event)
    async def slow(ctx: Context) -> None:
        started.set()
        await release.wait()

    runtime = Runtime(bot)
    await runtime.start()
    await runtime.store.enqueue([queued("follow", "01SLOW")])
    await asyncio.wait_for(started.wait(), 10)
    stopping = asyncio.create_task(runtime.stop())
    other = open_store(url)
    await other.open()
    try:
        await asyncio.sleep(1.0)  # over three lease lifetimes pass while the handler runs
        assert await other.claim_shards("intruder", list(range(16)), 5.0) == []
        release.set()
        await stopping
        # Drained: the shards are handed back at once.
        assert await other.claim_shards("intruder", list(range(16)), 5.0) == list(range(16))
    finally:
        release.set()
        await other.close()
