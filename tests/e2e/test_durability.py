"""Crash tests: real ``linegroupbot`` processes, real stores, ``kill -9``, the emulator as LINE.

What is counted happens at the emulator: the messages each chat received (no event may
be lost or sent twice, and each chat's messages must arrive in the order LINE sent the
events). Webhooks are signed and posted by the test, as LINE would; a request that fails
because its process is down is posted again, as LINE redelivers.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from linegroupbot.emulator import Chat, Emulator
from tests.helpers import sign

ROOT = Path(__file__).resolve().parents[2]
BOT = "tests/e2e/durable_bot.py:bot"


class Fleet:
    """The bot processes of one test; every one is stopped by PID at the end."""

    def __init__(self, emulator: Emulator, logs: Path, **env: str) -> None:
        self.emulator = emulator
        self.logs = logs
        self.env = {
            **os.environ,
            "LINE_CHANNEL_SECRET": emulator.settings.channel_secret,
            "LINE_CHANNEL_ACCESS_TOKEN": emulator.settings.access_token,
            "LINE_API_BASE_URL": emulator.url,
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.processes: dict[str, tuple[subprocess.Popen[bytes], int]] = {}

    async def start(self, name: str, *args: str) -> str:
        """Start ``linegroupbot ARGS --port 0``; wait for /healthz; returns its base URL.

        The process picks its own free port and logs it (no race with other processes).
        """
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(  # noqa: ASYNC220 (returns at once; waits are off the loop)
            [sys.executable, "-m", "linegroupbot", *args, "--port", "0"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.processes[name] = (process, 0)
        async with aiohttp.ClientSession() as session:
            for _ in range(300):  # bounded: about 30 s
                if process.poll() is not None:
                    raise AssertionError(f"{name} exited:\n{self.log(name)}")
                found = re.search(r"http://127\.0\.0\.1:(\d+)/(?:callback|healthz)", self.log(name))
                if found:
                    port = int(found.group(1))
                    self.processes[name] = (process, port)
                    url = f"http://127.0.0.1:{port}"
                    try:
                        async with session.get(url + "/healthz") as resp:
                            if resp.status == 200:
                                return url
                    except aiohttp.ClientError:
                        pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"{name} did not become healthy:\n{self.log(name)}")

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-4000:]

    def kill(self, name: str, signum: int = signal.SIGKILL) -> subprocess.Popen[bytes]:
        process, _ = self.processes[name]
        os.kill(process.pid, signum)
        return process

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.processes[name][1]}"

    def stop_all(self) -> None:
        for process, _ in self.processes.values():
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)


def make_chats(emulator: Emulator, count: int) -> list[Chat]:
    alice = emulator.add_user("Alice")
    chats = []
    for n in range(count):
        chat = emulator.world.add_group(f"G{n}", [alice.user_id])
        chat.bot_in = True
        chats.append(chat)
    return chats


def text_event(chat: Chat, n: int) -> dict[str, Any]:
    return {
        "type": "message",
        "mode": "active",
        "timestamp": 1_700_000_000_000 + n,
        "webhookEventId": f"01{uuid.uuid4().hex.upper()[:24]}",
        "deliveryContext": {"isRedelivery": False},
        "source": {"type": "group", "groupId": chat.chat_id, "userId": chat.members[0]},
        "replyToken": uuid.uuid4().hex,
        "message": {"type": "text", "id": str(n), "quoteToken": "q", "text": str(n)},
    }


def bodies(chats: list[Chat], per_chat: int, size: int = 10) -> list[list[dict[str, Any]]]:
    """Events in the order LINE sends them: message 1 of every chat, then message 2, ..."""
    events = [text_event(chat, n) for n in range(1, per_chat + 1) for chat in chats]
    return [events[i : i + size] for i in range(0, len(events), size)]


async def post(
    session: aiohttp.ClientSession, urls: list[str], events: list[dict[str, Any]], secret: str
) -> int:
    """Post one body until a process accepts it (as LINE redelivers); tries per URL in turn."""
    raw = orjson.dumps({"destination": "Ubot", "events": events})
    headers = {"x-line-signature": sign(raw, secret), "Content-Type": "application/json"}
    for attempt in range(600):  # bounded: about 60 s of retrying
        url = urls[attempt % len(urls)]
        try:
            async with session.post(url + "/callback", data=raw, headers=headers) as resp:
                if resp.status == 200:
                    return attempt
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("no process accepted the body within a minute")


def received(emulator: Emulator, chats: list[Chat]) -> dict[str, list[int]]:
    return {chat.chat_id: [int(m["text"]) for m in emulator.bot_messages(chat)] for chat in chats}


async def wait_for_messages(emulator: Emulator, total: int, timeout: float) -> None:
    def enough() -> bool:
        return sum(1 for e in emulator.world.timeline if e.kind == "bot") >= total

    await emulator.wait_until(enough, timeout=timeout)


def assert_each_once_in_order(got: dict[str, list[int]], per_chat: int) -> None:
    for chat_id, numbers in got.items():
        assert numbers == list(range(1, per_chat + 1)), f"{chat_id}: {numbers}"


async def test_sqlite_kill_9_mid_load_then_restart_loses_and_repeats_nothing(
    emulator: Emulator, fleet: Fleet, tmp_path: Path
) -> None:
    chats = make_chats(emulator, 20)
    per_chat = 10
    store = f"sqlite:///{tmp_path}/bot.db"
    fleet.env["HANDLER_DELAY"] = "0.05"
    args = ["run", BOT, "--store", store, "--concurrency", "4", "--lease-ttl", "30"]
    url = await fleet.start("first", *args)
    secret = emulator.settings.channel_secret
    async with aiohttp.ClientSession() as session:
        for events in bodies(chats, per_chat):
            assert await post(session, [url], events, secret) == 0
    # Every event is accepted; let some be handled, then kill -9 with most still queued.
    await wait_for_messages(emulator, 30, timeout=30)
    await asyncio.to_thread(fleet.kill("first").wait, 10)
    before = sum(len(v) for v in received(emulator, chats).values())
    assert before < 20 * per_chat, "the load finished before the kill: make handlers slower"
    # The lease of a dead process on the same machine is free at once (not after 30 s).
    await fleet.start("second", *args)
    await wait_for_messages(emulator, 20 * per_chat, timeout=60)
    await asyncio.sleep(0.3)  # nothing more may arrive
    assert_each_once_in_order(received(emulator, chats), per_chat)
    rejected = [c for c in emulator.calls_to("/v2/bot/message/push") if c.status == 409]
    print(f"kill -9 after {before} of {20 * per_chat} messages; {len(rejected)} re-run push(es)")


@pytest.mark.redis
async def test_redis_two_receivers_three_workers_survive_kill_9_of_a_worker(
    emulator: Emulator, fleet: Fleet, redis_url: str
) -> None:
    chats = make_chats(emulator, 100)
    per_chat = 50
    store = f"{redis_url}?prefix=fleet-{uuid.uuid4().hex[:8]}:"
    fleet.env["HANDLER_DELAY"] = "0.02"
    common = ["--store", store, "--lease-ttl", "1.5", "--concurrency", "16"]
    receivers = [
        await fleet.start(f"receiver{i}", "run", BOT, "--role", "receiver", *common) for i in (1, 2)
    ]
    for i in (1, 2, 3):
        await fleet.start(f"worker{i}", "worker", BOT, *common)
    secret = emulator.settings.channel_secret
    rng = random.Random(7)
    redeliveries = 0
    killed_at: float | None = None
    recovered_after: float | None = None
    async with aiohttp.ClientSession() as session:
        all_bodies = bodies(chats, per_chat)
        for index, events in enumerate(all_bodies):
            await post(session, [receivers[index % 2]], events, secret)
            if rng.random() < 0.1:  # LINE sends this body again, to the other receiver
                again = [{**e, "deliveryContext": {"isRedelivery": True}} for e in events]
                await post(session, [receivers[(index + 1) % 2]], again, secret)
                redeliveries += 1
        await wait_for_messages(emulator, 1000, timeout=60)
        await asyncio.to_thread(fleet.kill("worker1").wait, 10)
        killed_at = time.monotonic()
        await fleet.start("worker4", "worker", BOT, *common)
        # Recovery: every shard has a live owner again.
        live = ["worker2", "worker3", "worker4"]
        for _ in range(300):  # bounded: about 30 s
            owned: set[int] = set()
            for name in live:
                async with session.get(fleet.url(name) + "/healthz") as resp:
                    owned |= set((await resp.json())["worker"]["shards"])
            if len(owned) == 16:
                recovered_after = time.monotonic() - killed_at
                break
            await asyncio.sleep(0.1)
        assert recovered_after is not None, "the dead worker's shards were never taken over"
        await wait_for_messages(emulator, 100 * per_chat, timeout=120)
        await asyncio.sleep(0.5)  # nothing more may arrive
        async with session.get(receivers[0] + "/healthz") as resp:
            health = await resp.json()
    assert_each_once_in_order(received(emulator, chats), per_chat)
    assert redeliveries > 0
    assert health["queue"]["depth"] == 0
    assert health["queue"]["dead_letters"] == 0
    rejected = [c for c in emulator.calls_to("/v2/bot/message/push") if c.status == 409]
    print(
        f"5,000 events, {redeliveries} redelivered bodies; worker1 killed; all shards owned "
        f"again after {recovered_after:.2f} s; {len(rejected)} re-run push(es) answered 409"
    )


@pytest.mark.redis
async def test_sigterm_on_a_worker_finishes_its_handlers_and_leaves_the_rest_to_others(
    emulator: Emulator, fleet: Fleet, redis_url: str
) -> None:
    chats = make_chats(emulator, 8)
    # Enough work per chat (about 12 s of handler time) that a second worker still starting on
    # a loaded machine finds the first one busy when it is told to stop.
    per_chat = 40
    store = f"{redis_url}?prefix=term-{uuid.uuid4().hex[:8]}:"
    fleet.env["HANDLER_DELAY"] = "0.3"
    common = ["--store", store, "--lease-ttl", "30"]
    receiver = await fleet.start("receiver", "run", BOT, "--role", "receiver", *common)
    await fleet.start("worker1", "worker", BOT, *common)
    secret = emulator.settings.channel_secret
    async with aiohttp.ClientSession() as session:
        for events in bodies(chats, per_chat):
            await post(session, [receiver], events, secret)
        await wait_for_messages(emulator, 8, timeout=30)
        # A second worker joins, then the first is asked to stop mid-load.
        await fleet.start("worker2", "worker", BOT, *common)
        sent = sum(1 for e in emulator.world.timeline if e.kind == "bot")
        assert sent < 8 * per_chat, "the load ended before the stop"
        first = fleet.kill("worker1", signal.SIGTERM)
        # Wait off the loop: the emulator in this loop must keep answering its pushes.
        assert await asyncio.to_thread(first.wait, 30) == 0
        await wait_for_messages(emulator, 8 * per_chat, timeout=60)
        await asyncio.sleep(0.5)
    log = fleet.log("worker1")
    assert "worker_stopped" in log
    assert "draining" in log  # it had handlers running when told to stop...
    assert "drain_cut_off" not in log  # ...and they finished
    # Its shards were released at once: the 30 s lease did not have to run out.
    assert_each_once_in_order(received(emulator, chats), per_chat)
