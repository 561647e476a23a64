"""The linegroupbot command: dev (bot + emulator), run, emulator; target loading errors."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from linegroupbot import ConfigurationError
from linegroupbot.cli import load_bot, main
from linegroupbot.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]


async def _start(*args: str, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "linegroupbot",
        *args,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def _read_until(
    process: asyncio.subprocess.Process, pattern: str, timeout: float = 30
) -> re.Match[str]:
    assert process.stdout is not None
    seen: list[str] = []

    async def scan() -> re.Match[str]:
        assert process.stdout is not None
        while True:
            line = (await process.stdout.readline()).decode()
            if not line:
                raise AssertionError(
                    "process ended before printing " + pattern + ":\n" + "".join(seen)
                )
            seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match

    return await asyncio.wait_for(scan(), timeout)


async def _stop(process: asyncio.subprocess.Process) -> int:
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
    try:
        return await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            process.kill()


@pytest.fixture
async def dev() -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    process = await _start("dev", "examples/echo.py:bot", "--port", "0")
    try:
        match = await _read_until(process, r"Chat with your bot at (http://127\.0\.0\.1:\d+)/")
        yield process, match.group(1)
    finally:
        await _stop(process)


async def _state(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url + "/_emulator/state") as resp:
        return await resp.json()


async def test_dev_runs_the_bot_against_a_seeded_emulator(
    dev: tuple[asyncio.subprocess.Process, str],
) -> None:
    process, url = dev
    async with aiohttp.ClientSession() as session:
        state = await _state(session, url)
        group = next(c for c in state["chats"] if c["kind"] == "group")
        assert group["bot_in"] is True
        assert {u["display_name"] for u in state["users"]} >= {"Alice", "Bob", "Carol"}
        async with session.post(
            f"{url}/_emulator/chats/{group['chat_id']}/say",
            json={"user": "Alice", "text": "ping from a test"},
        ) as resp:
            assert resp.status == 200
        for _ in range(100):
            state = await _state(session, url)
            bot_lines = [e["message"].get("text") for e in state["timeline"] if e["kind"] == "bot"]
            if "ping from a test" in bot_lines:
                break
            await asyncio.sleep(0.1)
        assert "ping from a test" in bot_lines
    assert await _stop(process) == 0


async def test_emulator_command_serves_and_seeds() -> None:
    process = await _start("emulator", "--port", "0", "--seed")
    try:
        match = await _read_until(process, r"LINE emulator on (http://127\.0\.0\.1:\d+)")
        async with aiohttp.ClientSession() as session:
            state = await _state(session, match.group(1))
        assert len(state["users"]) == 3
        assert any(c["kind"] == "room" for c in state["chats"])
    finally:
        assert await _stop(process) == 0


def test_run_without_a_secret_names_the_variable(capsys: pytest.CaptureFixture[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINE_")}
    result = subprocess.run(
        [sys.executable, "-m", "linegroupbot", "run", "examples/echo.py:bot", "--port", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "LINE_CHANNEL_SECRET" in result.stderr


def test_load_bot_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no such file"):
        load_bot(str(tmp_path / "missing.py") + ":bot")
    (tmp_path / "nobot.py").write_text("x = 1\n")
    with pytest.raises(ConfigurationError, match="no Bot named 'bot'"):
        load_bot(str(tmp_path / "nobot.py") + ":bot")
    with pytest.raises(ConfigurationError, match="cannot import"):
        load_bot("no_such_module_anywhere:bot")
    assert main(["run", str(tmp_path / "nobot.py") + ":bot"]) == 2


def test_load_bot_from_file_and_module() -> None:
    bot = load_bot(str(ROOT / "examples" / "echo.py") + ":bot")
    assert bot.entries


async def _say_and_wait(
    session: aiohttp.ClientSession, url: str, text: str, expect: str
) -> list[str]:
    state = await _state(session, url)
    group = next(c for c in state["chats"] if c["kind"] == "group")
    async with session.post(
        f"{url}/_emulator/chats/{group['chat_id']}/say", json={"user": "Alice", "text": text}
    ) as resp:
        assert resp.status == 200
    bot_lines: list[str] = []
    for _ in range(100):
        state = await _state(session, url)
        bot_lines = [e["message"].get("text") for e in state["timeline"] if e["kind"] == "bot"]
        if expect in bot_lines:
            break
        await asyncio.sleep(0.1)
    return bot_lines


async def test_dev_reloads_the_bot_when_its_file_changes(tmp_path: Path) -> None:
    source = (ROOT / "examples" / "echo.py").read_text()
    target = tmp_path / "mybot.py"
    target.write_text(source)
    process = await _start("dev", f"{target}:bot", "--port", "0")
    try:
        match = await _read_until(process, r"Chat with your bot at (http://127\.0\.0\.1:\d+)/")
        url = match.group(1)
        async with aiohttp.ClientSession() as session:
            assert "first" in await _say_and_wait(session, url, "first", "first")
            changed = source.replace("await ctx.reply(text)", 'await ctx.reply("v2: " + text)')
            assert changed != source
            target.write_text(changed)
            await _read_until(process, r"files changed: restarting the bot")
            await _read_until(process, r"serving")
            assert "v2: second" in await _say_and_wait(session, url, "second", "v2: second")
    finally:
        assert await _stop(process) == 0


async def test_run_serves_and_shuts_down_gracefully_on_sigterm(
    line_emulator: Emulator, tmp_path: Path
) -> None:
    from linegroupbot.cli import _free_port
    from tests.helpers import signed
    from tests.payloads import event

    port = _free_port()
    process = await _start(
        "run",
        "examples/echo.py:bot",
        "--port",
        str(port),
        "--store",
        f"sqlite:///{tmp_path}/bot.db",
        "--log-format",
        "json",
        env={
            "LINE_CHANNEL_SECRET": "test-channel-secret",
            "LINE_CHANNEL_ACCESS_TOKEN": line_emulator.settings.access_token,
            "LINE_API_BASE_URL": line_emulator.url,
        },
    )
    try:
        await _read_until(process, r'"event": ?"serving"')
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 200
            raw, headers = signed(event("message_text"))
            async with session.post(
                f"http://127.0.0.1:{port}/callback", data=raw, headers=headers
            ) as resp:
                assert resp.status == 200
            await line_emulator.wait_for_call("/v2/bot/message/reply")
        process.send_signal(signal.SIGTERM)
        await _read_until(process, r'"event": ?"bot_stopped"')
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        await _stop(process)


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "linegroupbot", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_dead_letters_command_lists_replays_and_purges(tmp_path: Path) -> None:
    import json

    from linegroupbot.stores import open_store

    url = f"sqlite:///{tmp_path}/bot.db"
    store = open_store(url)
    await store.open()
    event = {
        "type": "follow",
        "webhookEventId": "01DEAD",
        "source": {"type": "user", "userId": "U1"},
    }
    for error in ("RuntimeError: poll not found", "KeyError: 'x'"):
        await store.dead_letter(None, raw=json.dumps(event).encode(), key="U1", error=error)
    await store.close()

    listed = _cli("dead-letters", "list", "--store", url)
    assert listed.returncode == 0, listed.stderr
    assert "event 01DEAD" in listed.stdout
    assert "RuntimeError: poll not found" in listed.stdout
    as_json = _cli("dead-letters", "list", "--store", url, "--json")
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [r["event"]["webhookEventId"] for r in rows] == ["01DEAD", "01DEAD"]
    first, second = rows[0]["id"], rows[1]["id"]
    assert _cli("dead-letters", "replay", first, "--store", url).returncode == 0
    unknown = _cli("dead-letters", "replay", "999", "²", "--store", url)
    assert unknown.returncode == 1
    assert "no dead letter 999" in unknown.stdout
    assert _cli("dead-letters", "purge", "999", "--store", url).returncode == 1
    assert _cli("dead-letters", "list", "5", "--store", url).returncode == 2
    purged = _cli("dead-letters", "purge", "--all", "--store", url)
    assert "deleted 1 dead letter(s)" in purged.stdout
    assert "no dead letters" in _cli("dead-letters", "list", "--store", url).stdout
    assert second != first
    store = open_store(url)
    await store.open()
    try:
        assert (await store.stats()).depth == 1  # the replayed event waits in the queue
    finally:
        await store.close()


def test_dead_letters_without_a_store_says_where_it_looked(tmp_path: Path) -> None:
    result = _cli("dead-letters", "list", cwd=tmp_path)
    assert result.returncode == 2
    assert "no store at sqlite:///linegroupbot.db" in result.stderr
    assert not (tmp_path / "linegroupbot.db").exists()


def test_bad_store_settings_fail_with_one_clear_line(tmp_path: Path) -> None:
    env_run = ["run", str(ROOT / "examples/echo.py") + ":bot", "--port", "0"]
    cases = [
        (["--store", "redis://:hunter2@127.0.0.1:1/0"], "cannot reach the store"),
        (["--store", "postgres://db/x"], "unknown scheme"),
        (["--role", "receiver", "--store", "memory://"], "needs a store other processes share"),
        (["--concurrency", "0"], "concurrency must be at least 1"),
    ]
    env = {**os.environ, "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "tok-123456"}
    for extra, says in cases:
        result = subprocess.run(
            [sys.executable, "-m", "linegroupbot", *env_run, *extra],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 2, (extra, result.stderr)
        assert says in result.stderr, (extra, result.stderr)
        assert "Traceback" not in result.stderr
        assert "hunter2" not in result.stderr


def test_a_busy_port_is_one_clear_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {**os.environ, "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "tok-123456"}
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "linegroupbot",
                "run",
                str(ROOT / "examples/echo.py") + ":bot",
                "--port",
                str(port),
                "--store",
                "memory://",
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert "cannot listen there" in result.stderr
    assert "Traceback" not in result.stderr
