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
            changed = source.replace(
                "await ctx.reply(ctx.text)", 'await ctx.reply("v2: " + ctx.text)'
            )
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
