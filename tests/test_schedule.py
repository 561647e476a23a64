"""Scheduled pushes: sent once when due, across restarts and workers; cancelled; late ones."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from linegroupbot import Bot, ConfigurationError, Context, LineClient
from linegroupbot.client import begin_retry_keys, end_retry_keys
from linegroupbot.emulator import Emulator
from linegroupbot.schedule import Scheduler, due_time, pending, schedule
from linegroupbot.stores import open_store
from linegroupbot.testing import attach, connect
from tests.conftest import FAST_RETRY


def texts(emulator: Emulator, chat: Any) -> list[str]:
    return [m["text"] for m in emulator.bot_messages(chat)]


async def make_group(emulator: Emulator) -> Any:
    group = emulator.world.add_group("G", [emulator.add_user("Alice").user_id])
    group.bot_in = True
    return group


def test_when_can_be_seconds_a_timedelta_or_an_aware_datetime() -> None:
    assert due_time(30, now=100.0) == 130.0
    assert due_time(dt.timedelta(minutes=1), now=100.0) == 160.0
    moment = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert due_time(moment) == moment.timestamp()
    with pytest.raises(ConfigurationError, match="time zone"):
        due_time(dt.datetime(2030, 1, 1))
    with pytest.raises(ConfigurationError, match="seconds"):
        due_time("soon")  # type: ignore[arg-type]


def durable_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "redis":
        return f"{request.getfixturevalue('redis_url')}?prefix=sched-{uuid.uuid4().hex[:8]}:"
    return f"sqlite:///{tmp_path}/bot.db"


DURABLE = ["sqlite", pytest.param("redis", marks=pytest.mark.redis)]


@pytest.mark.parametrize("backend", DURABLE)
async def test_two_workers_send_a_due_push_once(
    line_emulator: Emulator,
    client: LineClient,
    tmp_path: Path,
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    group = await make_group(line_emulator)
    url = durable_url(backend, tmp_path, request)
    stores = [open_store(url), open_store(url)]
    for store in stores:
        await store.open()
    try:
        for n in range(5):
            await schedule(stores[0], group.chat_id, -1, [f"due {n}"])
        schedulers = [Scheduler(store, client, batch=2) for store in stores]
        await asyncio.gather(*(s.run_due() for s in schedulers), *(s.run_due() for s in schedulers))
        await asyncio.gather(*(s.run_due() for s in schedulers))
        assert await pending(stores[0], group.chat_id) == []
    finally:
        for store in stores:
            await store.close()
    assert sorted(texts(line_emulator, group)) == [f"due {n}" for n in range(5)]
    assert sum(s.sent for s in schedulers) == 5


async def test_a_push_sent_by_a_worker_that_died_is_not_sent_again(
    line_emulator: Emulator, client: LineClient
) -> None:
    from linegroupbot.stores import MemoryStore

    group = await make_group(line_emulator)
    store = MemoryStore()
    push = await schedule(store, group.chat_id, -1, ["only once"])
    # A worker claims it, sends it, and dies before it could mark it done.
    [claimed] = await store.schedule_claim(time.time(), 0.05, 10)
    assert claimed.id == push.id
    token = begin_retry_keys(f"schedule:{push.id}")
    try:
        await client.push_raw(group.chat_id, push.messages)
    finally:
        end_retry_keys(token)
    await asyncio.sleep(0.1)  # its lease runs out
    survivor = Scheduler(store, client, lease=0.05)
    assert await survivor.run_due() == 1
    assert texts(line_emulator, group) == ["only once"]
    statuses = [c.status for c in line_emulator.calls_to("/v2/bot/message/push")]
    assert statuses == [200, 409]
    assert await pending(store, group.chat_id) == []


@pytest.mark.parametrize("backend", ["memory", *DURABLE])
async def test_late_pushes_are_sent_unless_past_their_limit(
    line_emulator: Emulator,
    client: LineClient,
    tmp_path: Path,
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    group = await make_group(line_emulator)
    url = "memory://" if backend == "memory" else durable_url(backend, tmp_path, request)
    store = open_store(url)
    await store.open()
    await schedule(store, group.chat_id, -3600, ["an hour late, no limit"])
    await schedule(store, group.chat_id, -3600, ["an hour late, limit 60 s"], max_lateness=60)
    await schedule(store, group.chat_id, -30, ["30 s late, limit 60 s"], max_lateness=60)
    scheduler = Scheduler(store, client)
    try:
        assert await scheduler.run_due() == 3
        assert await pending(store, group.chat_id) == []
    finally:
        await store.close()
    assert sorted(texts(line_emulator, group)) == [
        "30 s late, limit 60 s",
        "an hour late, no limit",
    ]
    assert scheduler.dropped == 1


async def test_handlers_schedule_list_and_cancel(tmp_path: Path) -> None:
    bot = Bot(store=f"sqlite:///{tmp_path}/bot.db", retry=FAST_RETRY)

    @bot.on_message(command="later")
    async def later(ctx: Context) -> None:
        seconds = float(ctx.command.args) if ctx.command and ctx.command.args else 0.2
        push = await ctx.push_later(seconds, f"after {seconds:g} s")
        await ctx.reply(f"scheduled {push.id}")

    @bot.on_message(command="list")
    async def listing(ctx: Context) -> None:
        found = await ctx.scheduled()
        await ctx.reply(f"{len(found)} pending: " + ", ".join(p.messages[0]["text"] for p in found))

    @bot.on_message(command="cancel")
    async def cancelling(ctx: Context) -> None:
        assert ctx.command is not None
        await ctx.reply(f"cancelled: {await ctx.cancel_scheduled(ctx.command.args)}")

    async with connect(bot) as line:
        group = await line.create_group("G", ["Alice"])
        await line.say(group, "Alice", "/later 0.2")
        await line.wait_for_bot_messages(group)
        await line.say(group, "Alice", "/later 3600")
        [reply] = await line.wait_for_bot_messages(group)
        hour_id = reply["text"].removeprefix("scheduled ")
        await line.wait_until(lambda: "after 0.2 s" in texts(line, group), timeout=10)
        await line.say(group, "Alice", "/list")
        assert (await line.wait_for_bot_messages(group))[0]["text"] == ("1 pending: after 3600 s")
        await line.say(group, "Alice", f"/cancel {hour_id}")
        assert (await line.wait_for_bot_messages(group))[0]["text"] == "cancelled: True"
        await line.say(group, "Alice", f"/cancel {hour_id}")
        assert (await line.wait_for_bot_messages(group))[0]["text"] == "cancelled: False"
        assert bot.runtime is not None
        assert await bot.scheduled(group.chat_id) == []


async def test_a_push_scheduled_before_a_restart_is_sent_after_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/bot.db"
    emulator = Emulator()
    await emulator.start()
    try:
        group = await make_group(emulator)
        first = Bot(store=url)
        async with attach(first, emulator):
            await first.push_later(group.chat_id, 0.5, "see you after the restart")
        assert texts(emulator, group) == []  # the first process stopped before it was due
        second = Bot(store=url)
        async with attach(second, emulator):
            await emulator.wait_until(lambda: texts(emulator, group), timeout=10)
        assert texts(emulator, group) == ["see you after the restart"]
    finally:
        await emulator.stop()
