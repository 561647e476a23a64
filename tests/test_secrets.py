"""No secret in any log: the failure paths, under each log format, with and without rich.

Each case runs a real process (a bot against the emulator, or ``linegroupbot run``),
collects every byte it wrote, and looks for the channel secret, the access token and
every 8-character piece of them.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SECRET = secrets.token_hex(16)
TOKEN = secrets.token_urlsafe(129)  # about as long as a LINE long-lived token (172 chars)

# Imported before anything else in the process: rich is then "not installed".
NO_RICH = "import sys; sys.modules['rich'] = None\n"

SCENARIO = textwrap.dedent(
    """
    import asyncio, logging, os, sys
    import structlog
    from linegroupbot import Bot, Context, RetryPolicy, configure_logging
    from linegroupbot.emulator import Emulator
    from linegroupbot.testing import connect

    SECRET, TOKEN = os.environ["SECRET"], os.environ["TOKEN"]
    configure_logging(sys.argv[1], "DEBUG")
    bot = Bot(retry=RetryPolicy(attempts=2, base_delay=0.01, total_timeout=5))

    @bot.on_message(text="client")
    async def client_error(ctx: Context) -> None:
        headers = {"Authorization": f"Bearer {TOKEN}"}  # a local a traceback could show
        await ctx.client.push(ctx.chat_id or "", "x")  # 500 until the retries run out

    @bot.on_message(text="quote")
    async def quoting(ctx: Context) -> None:
        raise RuntimeError(f"token was {TOKEN} and secret {SECRET}")

    async def main() -> None:
        async with connect(bot, channel_secret=SECRET, access_token=TOKEN) as line:
            assert bot.client._token == TOKEN  # the bot really uses the token
            line.fail_next("/v2/bot/message/push", status=500, count=10)
            group = await line.create_group("G", ["Alice"])
            for text in ("client", "quote"):
                await line.say(group, "Alice", text)
            assert bot.runtime is not None
            await bot.runtime.wait_idle(10)
            letters = await bot.runtime.store.dead_letters()
            assert len(letters) == 2, letters
            # The standard library's loggers (aiohttp's, asyncio's) with a traceback.
            try:
                secret_local = SECRET
                raise ValueError(f"stdlib {secret_local}")
            except ValueError:
                logging.getLogger("aiohttp.server").exception("Error handling request")
            logging.getLogger("other").warning("token %s", TOKEN)
            structlog.get_logger().info("bound", headers={"Authorization": "Bearer " + TOKEN})
        print("scenario-done", flush=True)

    asyncio.run(main())
    raise RuntimeError("uncaught " + TOKEN)  # an uncaught exception is scrubbed too
    """
)

FAILED_START = textwrap.dedent(
    """
    import os
    from linegroupbot import Bot

    bot = Bot()

    @bot.on_startup
    async def boom() -> None:
        token = os.environ["LINE_CHANNEL_ACCESS_TOKEN"]
        raise RuntimeError("cannot start with " + token)
    """
)


def fragments(value: str) -> set[str]:
    return {value[i : i + 8] for i in range(len(value) - 7)}


def assert_clean(output: str) -> None:
    for name, value in (("secret", SECRET), ("token", TOKEN)):
        assert value not in output, f"the {name} is in the output"
        found = [piece for piece in fragments(value) if piece in output]
        assert not found, f"pieces of the {name} are in the output: {found[:3]}"


def run(args: list[str], cwd: Path, *, rich: bool, **env: str) -> str:
    # With rich, it must be importable here: the test extra installs it.
    prelude = "import rich\n" if rich else NO_RICH
    script = cwd / "entry.py"
    script.write_text(
        prelude + "import runpy, sys\nsys.argv = sys.argv[1:]\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n"
    )
    proc = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=cwd,
        env={**os.environ, "SECRET": SECRET, "TOKEN": TOKEN, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.stdout + proc.stderr


@pytest.mark.parametrize("rich", [True, False], ids=["rich", "no-rich"])
@pytest.mark.parametrize("log_format", ["console", "json"])
def test_failure_paths_never_print_a_secret(tmp_path: Path, log_format: str, rich: bool) -> None:
    (tmp_path / "scenario.py").write_text(SCENARIO)
    output = run(["scenario.py", log_format], tmp_path, rich=rich)
    assert "scenario-done" in output, output[-3000:]
    # The failures were really logged, with their tracebacks.
    assert "handler_failed" in output
    assert "ServerError" in output
    assert "Traceback" in output
    assert "Error handling request" in output
    assert "ValueError: stdlib [redacted]" in output
    assert "[redacted]" in output
    assert "uncaught" in output
    assert_clean(output)


@pytest.mark.parametrize("rich", [True, False], ids=["rich", "no-rich"])
@pytest.mark.parametrize("log_format", ["console", "json"])
def test_a_failed_startup_never_prints_a_secret(
    tmp_path: Path, log_format: str, rich: bool
) -> None:
    (tmp_path / "bot.py").write_text(FAILED_START)
    cli = Path(sys.executable).with_name("linegroupbot")
    output = run(
        [
            str(cli),
            "run",
            "bot.py:bot",
            "--port",
            "0",
            "--store",
            "memory://",
            "--log-format",
            log_format,
        ],
        tmp_path,
        rich=rich,
        LINE_CHANNEL_SECRET=SECRET,
        LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
    )
    assert "cannot start with [redacted]" in output, output[-3000:]
    assert_clean(output)
