"""Logging setup and secret redaction."""

from __future__ import annotations

import json

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
