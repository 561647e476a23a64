"""The linegroupbot command: dev (bot + emulator), run, emulator; target loading errors."""

from __future__ import annotations

import asyncio
import json
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
    result = _cli_fresh("run", "examples/echo.py:bot", "--port", "0")
    assert result.returncode == 2
    assert "LINE_CHANNEL_SECRET" in result.stderr


def test_load_bot_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no such file"):
        load_bot(str(tmp_path / "missing.py") + ":bot")
    (tmp_path / "nobot.py").write_text("x = 1\n")
    with pytest.raises(ConfigurationError, match="no Bot named 'bot'"):
        load_bot(str(tmp_path / "nobot.py") + ":bot")
    with pytest.raises(ConfigurationError, match="no module named"):
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
            await _read_until(process, r"files changed \(mybot\.py\): restarting the bot")
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


# --- one clear line for each mistake a user makes ------------------------------------------


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def _cli_env(
    *args: str, cwd: Path, env: dict[str, str], inherit: bool = True
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "linegroupbot", *args],
        cwd=cwd,
        env={**os.environ, **env} if inherit else env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _cli_fresh(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    """The command with none of the caller's ``LINE_*`` settings, only ``env``'s."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("LINE_")}
    return _cli_env(*args, cwd=cwd, env={**base, **env}, inherit=False)


def test_an_unknown_log_level_lists_the_choices() -> None:
    line = _one_line_error(_cli("run", "examples/echo.py:bot", "--log-level", "loud"))
    assert "invalid choice: 'LOUD'" in line
    assert "'DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'" in line
    assert "--help" in line


def test_version() -> None:
    import linegroupbot

    result = _cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith(f"linegroupbot {linegroupbot.__version__} (Python 3.")


def test_a_file_without_attr_uses_its_one_bot_and_lists_several(tmp_path: Path) -> None:
    (tmp_path / "one.py").write_text("from linegroupbot import Bot\nmybot = Bot()\n")
    assert load_bot(str(tmp_path / "one.py")).name == "bot"
    (tmp_path / "two.py").write_text("from linegroupbot import Bot\nalpha = Bot()\nbeta = Bot()\n")
    line = _one_line_error(_cli("run", "two.py", cwd=tmp_path))
    assert line == "linegroupbot: two.py has several Bots: name one, two.py:alpha or two.py:beta"
    (tmp_path / "none.py").write_text("x = 1\n")
    assert "has no Bot" in _one_line_error(_cli("run", "none.py", cwd=tmp_path))
    wrong = _one_line_error(_cli("run", "two.py:gamma", cwd=tmp_path))
    assert "no Bot named 'gamma'; it has alpha, beta" in wrong


def test_run_accepts_a_file_without_attr(tmp_path: Path) -> None:
    """`run examples/echo.py` serves the file's one Bot (here: until its port is found busy)."""
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "tok-123456"}
        args = ("run", str(ROOT / "examples/echo.py"), "--port", str(port), "--store", "memory://")
        result = _cli_env(*args, cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "bot_started" in result.stderr  # the file's one Bot was loaded and started
    line = result.stderr.strip().splitlines()[-1]
    assert f"port {port} on 127.0.0.1 is already in use" in line
    assert f"--port {port + 1}" in line


def test_a_missing_module_and_a_missing_dependency_are_one_line(tmp_path: Path) -> None:
    line = _one_line_error(_cli("run", "no_such_bot_module:bot", cwd=tmp_path))
    assert "no module named 'no_such_bot_module'" in line
    assert "app.py:bot" in line
    (tmp_path / "needs.py").write_text("import no_such_dependency_here\n")
    line = _one_line_error(_cli("run", "needs.py:bot", cwd=tmp_path))
    assert "imports 'no_such_dependency_here', which is not installed" in line
    line = _one_line_error(_cli("dev", "needs.py:bot", "--port", "0", cwd=tmp_path))
    assert "imports 'no_such_dependency_here'" in line


def test_a_module_target_is_found_in_the_current_folder(tmp_path: Path) -> None:
    (tmp_path / "mybot.py").write_text("from linegroupbot import Bot\nbot = Bot()\n")
    result = _cli_env("check", "mybot:bot", cwd=tmp_path, env={"LINE_CHANNEL_SECRET": "s"})
    assert "mybot:bot: Bot(name='bot', entries=0)" in result.stdout, result.stderr


def test_check_lists_settings_plugins_routers_and_handlers_with_secrets_hidden(
    tmp_path: Path,
) -> None:
    env = {
        "LINE_CHANNEL_SECRET": "s3cr3t-value-123",
        "LINE_CHANNEL_ACCESS_TOKEN": "t0ken-value-456789",
        "LINEGROUPBOT_STORE": "redis://:hunter2@127.0.0.1:6379/0",
    }
    result = _cli_env(
        "check", str(ROOT / "examples/multimodule/app.py:bot"), "--offline", cwd=tmp_path, env=env
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for secret in ("s3cr3t-value-123", "t0ken-value-456789", "hunter2"):
        assert secret not in out + result.stderr
    assert "channel secret  set (16 characters)" in out
    assert "plugins: linegroupbot_shout" in out
    assert "middleware: setup.<locals>.count_messages, log_timing" in out
    assert "router 'admin'  when Scope(scopes=('group', 'room'))" in out
    assert "handlers.admin.members  on MessageEvent  when Command(names=('members',)" in out
    assert "handlers.greetings.joined  on JoinEvent" in out
    assert out.index("router 'shout'") < out.index("router 'greetings'")  # dispatch order


def test_check_says_what_is_missing() -> None:
    result = _cli_fresh("check", "examples/echo.py", "--no-env-file")
    assert result.returncode == 1
    assert "channel secret  NOT SET: set LINE_CHANNEL_SECRET" in result.stdout
    assert "problem: LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN not set" in result.stdout


def test_check_judges_secrets_as_run_does(tmp_path: Path) -> None:
    def check(secret: str, token: str) -> subprocess.CompletedProcess[str]:
        return _cli_fresh(
            "check",
            str(ROOT / "examples/echo.py"),
            "--offline",
            "--no-env-file",
            cwd=tmp_path,
            LINE_CHANNEL_SECRET=secret,
            LINE_CHANNEL_ACCESS_TOKEN=token,
        )

    result = check("  ", "tok en\n")
    assert result.returncode == 1
    assert "channel secret  NOT SET" in result.stdout  # only spaces: run says "not set" too
    assert "access token    INVALID: whitespace or control characters inside" in result.stdout
    assert "tok en" not in result.stdout + result.stderr
    result = check("s" * 8 + "\n", "t" * 9)
    assert result.returncode == 0, result.stdout
    assert "channel secret  set (8 characters)" in result.stdout  # the newline is not counted


def test_env_file_fills_in_what_the_environment_lacks(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "# settings\nLINE_CHANNEL_SECRET=from-dotenv-file\n"
        "export LINE_CHANNEL_ACCESS_TOKEN='tok-env'\n"
    )
    (tmp_path / "other.env").write_text("LINE_CHANNEL_SECRET=from-other-file-xx\n")
    bot = str(ROOT / "examples/echo.py")

    def check(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return _cli_fresh("check", bot, "--offline", *args, cwd=tmp_path, **env)

    default = check()
    assert default.returncode == 0, default.stdout
    assert "channel secret  set (16 characters)" in default.stdout  # from .env
    assert "access token    set (7 characters)" in default.stdout
    assert "then .env" in default.stdout
    wins = check(LINE_CHANNEL_SECRET="set-in-the-environment")
    assert "channel secret  set (22 characters)" in wins.stdout  # the environment wins
    other = check("--env-file", "other.env")
    assert "channel secret  set (18 characters)" in other.stdout
    assert "access token    NOT SET" in other.stdout  # only the named file is read
    assert check("--no-env-file").returncode == 1
    line = _one_line_error(check("--env-file", "missing.env"))
    assert "no env file missing.env" in line


async def test_dev_reloads_once_per_burst_for_sources_only_not_venv_vcs_or_build(
    tmp_path: Path,
) -> None:
    source = (ROOT / "examples" / "echo.py").read_text()
    target = tmp_path / "mybot.py"
    target.write_text(source)
    for ignored in (".venv/lib", "build", "__pycache__", ".git"):
        (tmp_path / ignored).mkdir(parents=True)
    process = await _start("dev", f"{target}:bot", "--port", "0")
    try:
        await _read_until(process, r"Chat with your bot at")
        for ignored in (".venv/lib", "build", "__pycache__", ".git"):
            (tmp_path / ignored / "noise.py").write_text("x = 1\n")
        (tmp_path / "notes.txt").write_text("not a source file")
        for n in range(3):  # a burst of saves
            target.write_text(source + f"\n# save {n}\n")
        restart = await _read_until(process, r"files changed \((.*)\): restarting the bot")
        assert restart.group(1) == "mybot.py"
        await _read_until(process, r"serving")
        (tmp_path / "helpers.py").write_text("x = 2\n")
        again = await _read_until(process, r"files changed \((.*)\): restarting the bot")
        # the next restart is for this file: the burst above restarted once, the noise never
        assert again.group(1) == "helpers.py"
    finally:
        assert await _stop(process) == 0


def test_dev_on_a_busy_emulator_port_says_which_and_what_to_pass(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _cli("dev", str(ROOT / "examples/echo.py:bot"), "--port", str(port), cwd=tmp_path)
    line = _one_line_error(result)
    assert f"port {port} on 127.0.0.1 is already in use" in line
    assert f"--port {port + 1}" in line


async def test_check_asks_line_who_the_bot_is(tmp_path: Path) -> None:
    async with Emulator(bot_name="Lunch Bot") as emulator:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LINE_")},
            "LINE_CHANNEL_SECRET": emulator.settings.channel_secret,
            "LINE_CHANNEL_ACCESS_TOKEN": emulator.settings.access_token,
            "LINE_API_BASE_URL": emulator.url,
        }

        async def check(**changes: str) -> tuple[int, str]:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "linegroupbot",
                "check",
                str(ROOT / "examples/echo.py"),
                "--no-env-file",
                cwd=tmp_path,
                env={**env, **changes},
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            out, _ = await asyncio.wait_for(process.communicate(), 60)
            assert process.returncode is not None
            return process.returncode, out.decode()

        code, out = await check()
        assert code == 0, out
        assert "token works     Lunch Bot (@" in out
        assert emulator.calls_to("/v2/bot/info")
        code, out = await check(LINE_CHANNEL_ACCESS_TOKEN="not-the-token")
    assert code == 1
    assert "problem: LINE refused the access token" in out
    assert "not-the-token" not in out


def test_a_fatal_error_is_one_json_line_under_the_json_format(tmp_path: Path) -> None:
    result = _cli_fresh(
        "run",
        str(ROOT / "examples/echo.py"),
        "--log-format",
        "json",
        "--store",
        "memory://",
        "--no-env-file",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    records = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert records[-1]["event"] == "command_failed"
    assert "LINE_CHANNEL_SECRET is not set" in records[-1]["error"]


def _installed_from(tmp_path: Path, direct_url: dict[str, Any]) -> Path:
    """A path entry whose linegroupbot metadata says it was installed as ``direct_url`` says.

    Put first on ``PYTHONPATH``, its ``dist-info`` is the one ``importlib.metadata`` finds
    (the code still comes from this checkout): the record pip leaves for ``pip install X``.
    """
    import linegroupbot

    entry = tmp_path / "site"
    info = entry / f"linegroupbot-{linegroupbot.__version__}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: linegroupbot\nVersion: {linegroupbot.__version__}\n"
    )
    (info / "direct_url.json").write_text(json.dumps(direct_url))
    return entry


def test_new_says_so_when_the_wheel_linegroupbot_came_from_is_gone(tmp_path: Path) -> None:
    gone = tmp_path / "dist" / "linegroupbot-0.1.0-py3-none-any.whl"
    site = _installed_from(tmp_path, {"url": gone.as_uri(), "archive_info": {}})
    result = _cli_fresh("new", "mybot", cwd=tmp_path, PYTHONPATH=str(site))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    [warning] = result.stderr.strip().splitlines()
    assert warning.startswith(f"linegroupbot: warning: this linegroupbot was installed from {gone}")
    assert "no longer there" in warning
    assert "from your package index instead" in warning
    assert "--wheel" in warning
    project = tmp_path / "mybot"
    readme = (project / "README.md").read_text()
    assert "pip install -e '.[test]'" in readme  # linegroupbot itself: from the index
    assert not (project / "wheels").exists()
    # The way out the warning names: point it at a wheel.
    wheel = tmp_path / "elsewhere" / gone.name
    wheel.parent.mkdir()
    wheel.write_bytes(b"a wheel")
    again = _cli_fresh(
        "new", "mybot", "--force", "--wheel", str(wheel), cwd=tmp_path, PYTHONPATH=str(site)
    )
    assert again.returncode == 0, again.stderr
    assert again.stderr == ""
    assert (project / "wheels" / wheel.name).read_bytes() == b"a wheel"
    assert f"pip install ./wheels/{wheel.name} -e '.[test]'" in (project / "README.md").read_text()


def test_new_refuses_a_wheel_that_is_not_there_or_not_one(tmp_path: Path) -> None:
    line = _one_line_error(_cli_fresh("new", "p", "--wheel", "nope.whl", cwd=tmp_path))
    assert "no file nope.whl (--wheel)" in line
    (tmp_path / "notes.txt").write_text("x")
    line = _one_line_error(_cli_fresh("new", "p", "--wheel", "notes.txt", cwd=tmp_path))
    assert "notes.txt is not a linegroupbot wheel or sdist (--wheel)" in line
    assert not (tmp_path / "p").exists()  # refused before writing anything


@pytest.mark.parametrize(
    "command",
    [
        ("run", "examples/echo.py:bot"),
        ("worker", "examples/echo.py:bot"),
        ("dev", "examples/echo.py:bot"),
        ("dead-letters", "list"),
    ],
)
@pytest.mark.parametrize("store", ["", "  "])
def test_an_empty_store_is_refused_not_taken_for_the_default(
    command: tuple[str, str], store: str
) -> None:
    line = _one_line_error(_cli_fresh(*command, "--store", store))
    assert f"linegroupbot {command[0]}: argument --store: is empty" in line
    assert "leave --store out for the default" in line


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("LINE_API_BASE_URL", "api.line.me", "is not an http:// or https:// URL"),
        ("LINE_API_BASE_URL", "http://", "has no host"),
        ("LINE_API_BASE_URL", "http://127.0.0.1:87870", "has a port that is not a number"),
        ("LINE_DATA_API_BASE_URL", "http://127.0.0.1:8787 /", "has spaces"),
        ("LINE_DATA_API_BASE_URL", "https://api-data.line.me/?x=1", "has a query"),
    ],
)
@pytest.mark.parametrize("command", ["run", "worker", "check"])
def test_a_bad_url_setting_is_one_line_naming_the_variable(
    tmp_path: Path, command: str, variable: str, value: str, problem: str
) -> None:
    result = _cli_fresh(
        command,
        str(ROOT / "examples/echo.py"),
        "--no-env-file",
        cwd=tmp_path,
        LINE_CHANNEL_SECRET="s" * 8,
        LINE_CHANNEL_ACCESS_TOKEN="t" * 9,
        **{variable: value},
    )
    line = _one_line_error(result)
    assert line.startswith(f"linegroupbot: {variable} {problem}"), line
    assert "https://api.line.me" in line  # what to write instead
    assert result.stdout == ""  # refused before starting


def test_a_bad_url_setting_is_refused_by_the_channel_commands_too(tmp_path: Path) -> None:
    line = _one_line_error(_cli_fresh("quota", cwd=tmp_path, LINE_API_BASE_URL="localhost:8787"))
    assert line.startswith("linegroupbot: LINE_API_BASE_URL is not an http:// or https:// URL")
    line = _one_line_error(_cli_fresh("quota", "--api-base-url", "x", cwd=tmp_path))
    assert line.startswith("linegroupbot: --api-base-url is not an http")
    assert line.endswith("or leave it out")


@pytest.mark.parametrize(
    ("source", "said"),
    [
        ("other = Router()", "('other' is of type Router)"),
        ("other = None", "('other' is None)"),
        ("other = Bot", "('other' is the class Bot itself, not an instance of it)"),
        ("def other() -> Bot:\n    return Bot()", "('other' is a function)"),
        ("import os as other", "('other' is a module)"),
    ],
)
def test_check_of_something_that_is_not_a_bot_says_what_it_is_and_what_to_write(
    tmp_path: Path, source: str, said: str
) -> None:
    (tmp_path / "two.py").write_text(
        f"from linegroupbot import Bot, Router\nalpha = Bot()\nbeta = Bot()\n{source}\n"
    )
    line = _one_line_error(_cli_fresh("check", "two.py:other", "--offline", cwd=tmp_path))
    assert line == (
        f"linegroupbot: two.py has no Bot named 'other' {said}; it has alpha, beta: "
        "write two.py:alpha or two.py:beta"
    )
    assert "object at 0x" not in line
    (tmp_path / "none.py").write_text(f"from linegroupbot import Bot, Router\n{source}\n")
    line = _one_line_error(_cli_fresh("check", "none.py:other", "--offline", cwd=tmp_path))
    assert line.endswith(f"{said}; it defines none: make one at module level (other = Bot())")
