"""Stateless channel access tokens: issued from the channel ID and secret, renewed before they
expire (emulator tokens with lifetimes of a second or two), never logged."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from structlog.testing import capture_logs

from linegroupbot import Bot, Context, LineClient
from linegroupbot.emulator import Emulator
from linegroupbot.emulator.channel import channel_of
from linegroupbot.errors import ConfigurationError, UnauthorizedError
from linegroupbot.testing.harness import running_bot
from linegroupbot.tokens import ChannelTokens, TokenIssueError

from .spec_schema import check


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator() as emulator:
        yield emulator


def _client(emu: Emulator, **options: Any) -> LineClient:
    return LineClient.from_channel(
        channel_of(emu).channel_id,
        emu.settings.channel_secret,
        api_base_url=emu.url,
        **options,
    )


async def _until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_the_token_request_is_lines_and_its_answer_fits_the_spec(emu: Emulator) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": channel_of(emu).channel_id,
        "client_secret": emu.settings.channel_secret,
    }
    check(form, "IssueStatelessChannelTokenByClientSecretRequest", spec="channel-access-token.yml")
    async with aiohttp.ClientSession() as session:
        async with session.post(emu.url + "/oauth2/v3/token", data=form) as resp:
            body = await resp.json()
        check(body, "IssueStatelessChannelAccessTokenResponse", spec="channel-access-token.yml")
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 900
        verify = emu.url + "/oauth2/v2.1/verify"
        async with session.get(verify, params={"access_token": body["access_token"]}) as resp:
            verified = await resp.json()
        check(verified, "VerifyChannelAccessTokenResponse", spec="channel-access-token.yml")
        assert verified["client_id"] == channel_of(emu).channel_id


async def test_calls_use_an_issued_token_and_a_new_one_before_expiry(emu: Emulator) -> None:
    channel_of(emu).token_lifetime = 2.0  # renewed after about a second (half its life)
    group = await emu.create_group("Team", ["Alice"])
    async with _client(emu) as client:
        await client.push(group.chat_id, "first")
        assert channel_of(emu).issued == 1
        first = next(iter(channel_of(emu).tokens))
        await client.push(group.chat_id, "second")
        assert channel_of(emu).issued == 1  # still fresh: reused
        # Wait until the client considers its token due for renewal (before it expires).
        tokens = client._issuer
        assert tokens is not None
        await _until(lambda: tokens._fresh() is None)
        assert channel_of(emu).live(first)  # renewed *before* LINE would refuse it
        await client.push(group.chat_id, "third")
        assert channel_of(emu).issued == 2
        # The old token does expire, and LINE then refuses it.
        await _until(lambda: not channel_of(emu).live(first))
        async with LineClient(first, api_base_url=emu.url) as stale:
            with pytest.raises(UnauthorizedError):
                await stale.bot_info()
        await client.push(group.chat_id, "fourth")
    assert [m["text"] for m in emu.bot_messages(group)] == ["first", "second", "third", "fourth"]


async def test_concurrent_calls_share_one_issuance(emu: Emulator) -> None:
    async with _client(emu) as client:
        await asyncio.gather(*(client.bot_info() for _ in range(8)))
    assert channel_of(emu).issued == 1


async def test_a_wrong_secret_is_a_clear_error_that_shows_no_secret(emu: Emulator) -> None:
    with capture_logs() as logs:
        async with LineClient.from_channel(
            channel_of(emu).channel_id, "wrong-secret-value", api_base_url=emu.url
        ) as client:
            with pytest.raises(TokenIssueError) as caught:
                await client.bot_info()
    assert caught.value.status == 400
    assert "LINE_CHANNEL_SECRET" in str(caught.value)
    assert "invalid client_secret" in str(caught.value)
    assert "wrong-secret-value" not in str(caught.value) + repr(caught.value)
    assert "wrong-secret-value" not in repr(logs)
    assert emu.calls_to("/v2/bot/info") == []


async def test_tokens_and_secret_are_never_logged(emu: Emulator) -> None:
    channel_of(emu).token_lifetime = 1.0
    with capture_logs() as logs:
        async with _client(emu) as client:
            await client.bot_info()
            tokens = client._issuer
            assert tokens is not None
            await _until(lambda: tokens._fresh() is None)
            await client.bot_info()
            assert repr(tokens) == f"ChannelTokens(channel_id={channel_of(emu).channel_id!r})"
    issued = list(channel_of(emu).tokens)
    assert len(issued) == 2
    text = repr(logs)
    assert "channel_token_issued" in text
    for secret in (*issued, emu.settings.channel_secret):
        assert secret not in text


def test_missing_channel_settings_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINE_CHANNEL_ID", raising=False)
    monkeypatch.delenv("LINE_CHANNEL_SECRET", raising=False)
    with pytest.raises(ConfigurationError, match="LINE_CHANNEL_ID"):
        ChannelTokens(channel_secret="s")
    with pytest.raises(ConfigurationError, match="LINE_CHANNEL_SECRET"):
        ChannelTokens("1660000000")


async def test_a_bot_with_channel_id_and_secret_replies_with_issued_tokens(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN", raising=False)
    bot = Bot(
        channel_id=channel_of(emu).channel_id,
        channel_secret=emu.settings.channel_secret,
        api_base_url=emu.url,
    )

    @bot.on_message(command="hi")
    async def hi(ctx: Context) -> None:
        await ctx.reply("hello")

    assert bot.issues_tokens
    bot.check_settings()
    async with running_bot(bot) as url:
        emu.set_webhook_url(url)
        group = await emu.create_group("Team", ["Alice"])
        await emu.say(group, "Alice", "/hi")
        await emu.wait_for_call("/v2/bot/message/reply")
    assert emu.bot_messages(group)[-1] == {"type": "text", "text": "hello"}
    assert channel_of(emu).issued == 1


def test_a_pasted_token_wins_over_the_channel_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINE_CHANNEL_ID", "1660000000")
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "a-long-lived-token")
    assert not Bot(channel_secret="s").issues_tokens
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN")
    assert Bot(channel_secret="s").issues_tokens


async def test_a_refused_token_is_dropped_and_the_next_call_issues_another(emu: Emulator) -> None:
    async with _client(emu) as client:
        await client.bot_info()
        channel_of(emu).tokens.clear()  # LINE no longer takes it (revoked, clock skew...)
        with pytest.raises(UnauthorizedError):
            await client.bot_info()
        assert channel_of(emu).issued == 1
        await client.bot_info()
    assert channel_of(emu).issued == 2
