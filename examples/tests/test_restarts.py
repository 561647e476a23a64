"""The poll and reminders examples as real ``linegroupbot run`` processes on one SQLite file,
stopped in the middle (SIGTERM or ``kill -9``) and started again: nothing is lost or repeated.

The emulator plays LINE in the test's event loop; the bot processes call its API, and it
posts webhooks to whichever process is running. Waits on processes run off the loop, so
the emulator keeps answering meanwhile. Everything listens on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from linegroupbot.emulator import Chat, Emulator
from linegroupbot.schedule import pending
from linegroupbot.stores import open_store

EXAMPLES = Path(__file__).resolve().parents[1]
STOPS = [
    pytest.param(signal.SIGTERM, id="sigterm"),
    pytest.param(signal.SIGKILL, id="kill-9"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class BotProcesses:
    """Runs one example at a time as ``python -m linegroupbot run``, on one SQLite store."""

    def __init__(self, emulator: Emulator, folder: Path, target: str) -> None:
        self.emulator = emulator
        self.folder = folder
        self.target = target
        self.store = f"sqlite:///{folder}/bot.db"
        self.env = {
            **os.environ,
            "LINE_CHANNEL_SECRET": emulator.settings.channel_secret,
            "LINE_CHANNEL_ACCESS_TOKEN": emulator.settings.access_token,
            "LINE_API_BASE_URL": emulator.url,
            "LINE_DATA_API_BASE_URL": emulator.url,
            "PYTHONUNBUFFERED": "1",
        }
        self.started: list[subprocess.Popen[bytes]] = []
        self.url = ""

    @property
    def current(self) -> subprocess.Popen[bytes]:
        return self.started[-1]

    def log(self) -> str:
        return "".join(
            (self.folder / f"bot{n}.log").read_text(errors="replace")[-3000:]
            for n in range(1, len(self.started) + 1)
        )

    async def start(self) -> None:
        """Start a process, wait for its /healthz, point the emulator's webhooks at it."""
        port = free_port()
        with (self.folder / f"bot{len(self.started) + 1}.log").open("wb") as log:
            process = subprocess.Popen(  # noqa: ASYNC220, S603 (our own argv; returns at once)
                [
                    *(sys.executable, "-m", "linegroupbot", "run", self.target),
                    *("--store", self.store, "--host", "127.0.0.1", "--port", str(port)),
                ],
                cwd=EXAMPLES.parent,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        async with aiohttp.ClientSession() as session:
            while True:
                if process.poll() is not None:
                    raise AssertionError(f"the bot exited at startup:\n{self.log()}")
                try:
                    async with session.get(url + "/healthz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"the bot did not become healthy:\n{self.log()}")
                await asyncio.sleep(0.1)  # polling /healthz: there is nothing to await
        self.url = url
        self.emulator.set_webhook_url(url + "/callback")

    async def stop(self, signum: int) -> None:
        """Send ``signum`` to the running process and wait (off the loop) until it is gone."""
        process = self.current
        os.kill(process.pid, signum)
        code = await asyncio.to_thread(process.wait, 30)
        self.emulator.set_webhook_url(None)
        if signum == signal.SIGTERM:
            assert code == 0, f"exit code {code} after SIGTERM:\n{self.log()}"
        else:
            assert code == -signal.SIGKILL

    async def wait_idle(self) -> None:
        """Wait until the running process has handled every event it accepted."""
        deadline = time.monotonic() + 15
        async with aiohttp.ClientSession() as session:
            while True:
                async with session.get(self.url + "/healthz") as resp:
                    health = await resp.json()
                if health["queue"]["depth"] == 0 and health["in_flight"] == 0:
                    return
                assert time.monotonic() < deadline, f"never idle: {health}"
                await asyncio.sleep(0.05)  # polling /healthz: there is nothing to await

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(redelivery=False) as emu:
        yield emu


@pytest.fixture
def processes(
    request: pytest.FixtureRequest, emulator: Emulator, tmp_path: Path
) -> Iterator[BotProcesses]:
    bots = BotProcesses(emulator, tmp_path, request.param)
    try:
        yield bots
    finally:
        bots.stop_all()


def texts(emulator: Emulator, chat: Chat) -> list[str]:
    return [m.get("text", "") for m in emulator.bot_messages(chat)]


@pytest.mark.parametrize("processes", ["examples/poll.py:bot"], indirect=True)
@pytest.mark.parametrize("stop", STOPS)
async def test_a_poll_goes_on_after_a_restart(
    emulator: Emulator, processes: BotProcesses, stop: int
) -> None:
    await processes.start()
    group = await emulator.create_group("Lunch", ["Alice", "Bob", "Carol"])
    await emulator.say(group, "Alice", "/poll Where to eat? Ramen, Sushi, Curry")
    [card] = await emulator.wait_for_bot_messages(group)
    assert card["type"] == "template"
    await emulator.tap_postback(group, "Alice", "vote:Ramen")
    await emulator.say(group, "Alice", "/results")  # handled after the vote (chat order)
    [tally] = await emulator.wait_for_bot_messages(group)
    assert tally["text"] == "Where to eat?\nRamen: 1\nSushi: 0\nCurry: 0"
    # Bob's vote is accepted (in the store), then the process stops, maybe before handling it.
    await emulator.tap_postback(group, "Bob", "vote:Sushi")
    await processes.stop(stop)

    await processes.start()  # a new process on the same SQLite file
    await emulator.tap_postback(group, "Carol", "vote:Curry")
    await emulator.say(group, "Carol", "/results")
    [tally] = await emulator.wait_for_bot_messages(group, timeout=15)
    assert tally["text"] == "Where to eat?\nRamen: 1\nSushi: 1\nCurry: 1"
    await emulator.say(group, "Alice", "/close")
    [closed] = await emulator.wait_for_bot_messages(group)
    assert closed == tally
    assert texts(emulator, group).count(tally["text"]) == 2  # nothing pushed twice


@pytest.mark.parametrize("processes", ["examples/reminders.py:bot"], indirect=True)
@pytest.mark.parametrize("stop", STOPS)
async def test_a_pending_reminder_is_sent_once_after_a_restart(
    emulator: Emulator, processes: BotProcesses, stop: int
) -> None:
    await processes.start()
    group = await emulator.create_group("Team", ["Alice"])
    asked_at = time.monotonic()
    await emulator.say(group, "Alice", "/remind 2s stand up")
    [ok] = await emulator.wait_for_bot_messages(group)
    assert ok["text"] == "OK, I'll remind this chat in 2s."
    if stop == signal.SIGKILL:
        await processes.wait_idle()  # /remind finished: only the scheduled push is left
    await processes.stop(stop)  # SIGTERM lets /remind finish by itself
    stopped_after = time.monotonic() - asked_at
    assert stopped_after < 1.5, f"stopping took {stopped_after:.1f} s: the test needs it faster"
    assert texts(emulator, group) == [ok["text"]]  # stopped before it was due

    await processes.start()
    await emulator.wait_until(lambda: "Reminder: stand up" in texts(emulator, group), timeout=15)
    await assert_nothing_pending(emulator, group)
    assert texts(emulator, group) == [ok["text"], "Reminder: stand up", NONE_PENDING]


@pytest.mark.parametrize("processes", ["examples/reminders.py:bot"], indirect=True)
async def test_a_reminder_whose_handler_was_killed_midway_is_scheduled_once(
    emulator: Emulator, processes: BotProcesses
) -> None:
    """kill -9 after /remind stored its push but before the event was done: the next
    process runs /remind again, which finds that push rather than adding a second."""
    await processes.start()
    group = await emulator.create_group("Team", ["Alice"])
    emulator.fail_next("/v2/bot/message/reply", delay=5)  # the handler hangs in its reply
    await emulator.say(group, "Alice", "/remind 5s stand up")
    observer = open_store(processes.store)  # reads the bot's SQLite file, as a second process
    await observer.open()
    try:
        deadline = time.monotonic() + 10
        while not await pending(observer, group.chat_id):
            assert time.monotonic() < deadline, "/remind never stored its push"
            await asyncio.sleep(0.05)  # polling the file: there is nothing to await
    finally:
        await observer.close()
    await processes.stop(signal.SIGKILL)
    assert texts(emulator, group) == []  # its reply never took effect

    await processes.start()  # runs /remind again (its reply now goes through)
    await emulator.wait_until(lambda: "Reminder: stand up" in texts(emulator, group), timeout=15)
    await assert_nothing_pending(emulator, group)
    assert texts(emulator, group) == [
        "OK, I'll remind this chat in 5s.",
        "Reminder: stand up",
        NONE_PENDING,
    ]


NONE_PENDING = "No reminders pending here."


async def assert_nothing_pending(emulator: Emulator, group: Chat) -> None:
    """Once the chat has no pending reminder, nothing more can be sent to it."""
    await emulator.say(group, "Alice", "/reminders")
    [none] = await emulator.wait_for_bot_messages(group)
    assert none["text"] == NONE_PENDING
