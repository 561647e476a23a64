"""``linegroupbot webhook show|set|test`` and ``linegroupbot quota`` against the emulator, run
as the real command in a subprocess: their exact output and exit codes."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from linegroupbot import Bot, LineClient
from linegroupbot.channel import LINE_TIMEZONE
from linegroupbot.emulator import Emulator
from linegroupbot.emulator.channel import channel_of
from linegroupbot.testing import attach
from linegroupbot.testing.harness import running_bot

ROOT = Path(__file__).resolve().parents[1]


async def _cli(emu: Emulator | None, *args: str, **env: str) -> tuple[int, str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LINE_CHANNEL_ACCESS_TOKEN", "LINE_CHANNEL_ID", "LINE_CHANNEL_SECRET")
    }
    if emu is not None:
        base["LINE_API_BASE_URL"] = emu.url
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "linegroupbot",
        *args,
        cwd=ROOT,
        env={**base, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(monthly_quota=500) as emulator:
        yield emulator


def _token(emu: Emulator) -> dict[str, str]:
    return {"LINE_CHANNEL_ACCESS_TOKEN": emu.settings.access_token}


async def test_webhook_show_set_show(emu: Emulator) -> None:
    assert await _cli(emu, "webhook", "show", **_token(emu)) == (
        1,
        "No webhook URL is set: linegroupbot webhook set https://<host>/callback\n",
        "",
    )
    code, out, _ = await _cli(
        emu, "webhook", "set", "https://bot.example.com/callback", **_token(emu)
    )
    assert (code, out) == (
        0,
        "Webhook URL set to https://bot.example.com/callback\n"
        "Check that LINE reaches it: linegroupbot webhook test\n",
    )
    assert emu.calls_to("/v2/bot/channel/webhook/endpoint")[-1].json == {
        "endpoint": "https://bot.example.com/callback"
    }
    code, out, _ = await _cli(emu, "webhook", "show", **_token(emu))
    assert (code, out) == (
        0,
        "Webhook URL: https://bot.example.com/callback\n"
        "In use: LINE sends this channel's events there.\n",
    )
    channel_of(emu).webhook_active = False
    code, out, _ = await _cli(emu, "webhook", "show", "--json", **_token(emu))
    assert (code, json.loads(out)) == (
        0,
        {"endpoint": "https://bot.example.com/callback", "active": False},
    )


async def test_webhook_set_refuses_plain_http_before_calling_line(emu: Emulator) -> None:
    code, out, err = await _cli(emu, "webhook", "set", "http://bot.example.com/cb", **_token(emu))
    assert (code, out) == (2, "")
    assert "https://" in err
    assert emu.calls_to("/v2/bot/channel/webhook/endpoint") == []


async def test_webhook_test_against_a_running_bot(emu: Emulator) -> None:
    async with attach(Bot(), emu):
        code, out, _ = await _cli(emu, "webhook", "test", **_token(emu))
    assert (code, out) == (0, "OK: LINE reached the webhook URL and got 200 (OK).\n")
    assert emu.calls_to("/v2/bot/channel/webhook/test")[-1].json == {}


async def test_webhook_test_of_a_url_nobody_answers(emu: Emulator) -> None:
    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/callback"
    code, out, _ = await _cli(emu, "webhook", "test", url, **_token(emu))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"FAILED: LINE could not deliver to {url}."
    assert lines[1:3] == ["  status code: 0", "  reason:      COULD_NOT_CONNECT"]
    assert lines[-1] == "  The bot did not answer: is it running, public, and served over HTTPS?"


async def test_quota(emu: Emulator) -> None:
    group = await emu.create_group("Team", ["Alice"])
    channel_of(emu).statistics_delay = 0
    channel_of(emu).privacy_threshold = 2
    async with LineClient(emu.settings.access_token, api_base_url=emu.url) as client:
        for n in range(3):
            await client.push(group.chat_id, f"news {n}")
    today = dt.datetime.now(LINE_TIMEZONE).date().isoformat()
    code, out, _ = await _cli(emu, "quota", "--date", today, **_token(emu))
    assert (code, out) == (
        0,
        "Messages this month: 3 of 500 sent (497 left)\n"
        "  (push, multicast and broadcast count; replies are free)\n"
        f"Delivered on {today} (Japan time):\n"
        "  reply      fewer than 20 (LINE does not say)\n"
        "  push       3\n"
        "  multicast  fewer than 20 (LINE does not say)\n"
        "  broadcast  fewer than 20 (LINE does not say)\n",
    )
    code, out, _ = await _cli(emu, "quota", "--json", **_token(emu))
    figures = json.loads(out)
    assert figures["quota"] == {"type": "limited", "value": 500}
    assert figures["used"] == 3
    yesterday = dt.datetime.now(LINE_TIMEZONE).date() - dt.timedelta(days=1)
    assert figures["date"] == yesterday.isoformat()  # the default: the last day LINE counted
    assert figures["delivered"]["push"] == {"status": "unavailable_for_privacy"}


async def test_commands_issue_a_token_from_the_channel_id_and_secret(emu: Emulator) -> None:
    code, out, _ = await _cli(
        emu,
        "webhook",
        "show",
        "--json",
        LINE_CHANNEL_ID=channel_of(emu).channel_id,
        LINE_CHANNEL_SECRET=emu.settings.channel_secret,
    )
    assert (code, json.loads(out)) == (1, {"endpoint": None, "active": False})
    assert channel_of(emu).issued == 1
    assert emu.calls_to("/v2/bot/channel/webhook/endpoint")[-1].status == 404


async def test_without_credentials_or_with_a_bad_token(emu: Emulator) -> None:
    code, out, err = await _cli(emu, "quota")
    assert (code, out) == (2, "")
    assert "LINE_CHANNEL_ACCESS_TOKEN" in err
    code, out, err = await _cli(emu, "quota", LINE_CHANNEL_ACCESS_TOKEN="not-the-token")
    assert (code, out) == (1, "")
    assert "failed with 401" in err
    assert "not-the-token" not in err


async def test_webhook_test_of_a_bot_with_another_channels_secret(emu: Emulator) -> None:
    stranger = Bot(channel_secret="another-channel-secret", access_token="another-token")
    async with running_bot(stranger) as url:
        code, out, _ = await _cli(emu, "webhook", "set", url, **_token(emu))
        assert code == 0
        code, out, _ = await _cli(emu, "webhook", "test", **_token(emu))
    assert code == 1
    lines = out.splitlines()
    assert lines[:3] == [
        "FAILED: LINE could not deliver to the webhook URL.",
        "  status code: 401",
        "  reason:      ERROR_STATUS_CODE",
    ]
    assert lines[-1] == "  The bot refused the signature: is LINE_CHANNEL_SECRET this channel's?"
