"""Logging setup and secret redaction."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import structlog

from linegroupbot import configure_logging
from linegroupbot.logging import redact


@pytest.fixture(autouse=True)
def _restore_structlog() -> object:
    yield
    structlog.reset_defaults()


def test_json_lines_with_secrets_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    secret = "very-secret-channel-value"
    redact(secret)
    configure_logging("json")
    structlog.get_logger("t").info(
        "something", url=f"https://x/?k={secret}", nested={"a": [secret]}, error=ValueError(secret)
    )
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["event"] == "something"
    assert record["level"] == "info"
    assert secret not in line
    assert record["nested"] == {"a": ["[redacted]"]}


def test_console_format_redacts_too(capsys: pytest.CaptureFixture[str]) -> None:
    secret = "another-secret-token"
    redact(secret)
    configure_logging("console")
    structlog.get_logger("t").warning("oops", token=secret)
    err = capsys.readouterr().err
    assert "oops" in err
    assert secret not in err
    assert "[redacted]" in err


def test_debug_is_filtered_at_info(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "INFO")
    log = structlog.get_logger("t")
    log.debug("hidden")
    log.info("shown")
    err = capsys.readouterr().err
    assert "shown" in err
    assert "hidden" not in err


JSON_RUN = """
import asyncio, logging
import aiohttp
from aiohttp import web
from linegroupbot import configure_logging
from linegroupbot.serving import start_site

configure_logging("json", "INFO")

async def broken(request: web.Request) -> web.Response:
    raise RuntimeError("the handler broke")

async def main() -> None:
    app = web.Application()
    app.router.add_get("/", broken)
    runner, port = await start_site(app, "127.0.0.1", 0)
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/") as resp:
        assert resp.status == 500
    logging.getLogger("some.library").warning("plain %s", "stdlib")
    await runner.cleanup()

asyncio.run(main())
"""


def test_json_format_is_one_object_per_line_for_aiohttp_errors_too(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(JSON_RUN)
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=True
    )
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    [error] = [r for r in records if r.get("logger") == "aiohttp.server"]
    assert error["level"] == "error"
    assert error["event"].startswith("Error handling request")
    assert "RuntimeError: the handler broke" in error["exception"]
    assert "Traceback" in error["exception"]
    [plain] = [r for r in records if r.get("logger") == "some.library"]
    assert plain["event"] == "plain stdlib"
    assert plain["level"] == "warning"
    assert "timestamp" in plain


def test_unknown_levels_and_formats_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown log level"):
        configure_logging("json", "LOUD")
    with pytest.raises(ValueError, match="'console' or 'json'"):
        configure_logging("xml", "INFO")  # type: ignore[arg-type]


def test_event_loggers_follow_every_new_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    from linegroupbot import Bot, convert
    from tests.payloads import event

    bot = Bot("secret", "token", api_base_url="http://127.0.0.1:9")
    parsed = convert.structure_event(event("message_text"))
    configure_logging("json")
    bot.make_context(parsed).log.info("first")
    record = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert (record["event"], record["chat_id"]) == ("first", parsed.chat_id)
    configure_logging("json", "WARNING")
    bot.make_context(parsed).log.info("hidden")
    assert "hidden" not in capsys.readouterr().err
    configure_logging("console")
    bot.make_context(parsed).log.info("second")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "second" in line
    assert not line.startswith("{")
    with structlog.testing.capture_logs() as logs:
        bot.make_context(parsed).log.info("captured")
    assert [entry["event"] for entry in logs] == ["captured"]


def test_a_late_logger_copies_pickles_and_answers_probes_like_a_logger() -> None:
    import copy
    import inspect
    import pickle
    import typing
    import weakref

    from linegroupbot.context import Context
    from linegroupbot.logging import get_logger

    log = get_logger("linegroupbot.probe")
    assert not hasattr(log, "__wrapped__")  # a probe of a special name is not forwarded
    assert inspect.unwrap(log) is log
    assert weakref.ref(log)() is log
    for twin in (copy.copy(log), copy.deepcopy(log), pickle.loads(pickle.dumps(log))):  # noqa: S301
        assert repr(twin) == "<logger 'linegroupbot.probe'>"
        with structlog.testing.capture_logs() as logs:
            twin.info("copied", n=2)
        assert logs == [{"event": "copied", "n": 2, "log_level": "info"}]
    # Context's hints resolve at runtime although structlog is imported only for type checkers.
    assert "log" in typing.get_type_hints(Context.__init__)
