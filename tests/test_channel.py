"""The channel calls against the emulator: bot info, webhook endpoint and test, delivery counts.

Each checks the exact request, what the emulator answered (against LINE's response schema)
and what the client made of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from linegroupbot import Bot, LineClient
from linegroupbot.channel import LINE_TIMEZONE, BotInfo, DeliveryCount, WebhookEndpoint
from linegroupbot.emulator import Emulator
from linegroupbot.emulator.channel import channel_of
from linegroupbot.errors import BadRequestError, NotFoundError
from linegroupbot.testing import connect

from .spec_schema import check


async def test_bot_info(line_emulator: Emulator, client: LineClient) -> None:
    info = await client.bot_info()
    [call] = line_emulator.calls_to("/v2/bot/info")
    assert call.method == "GET"
    check(call.response, "BotInfoResponse")
    assert info == BotInfo(
        user_id=line_emulator.world.bot_user_id,
        basic_id="@123abcde",
        display_name="Bot",
        chat_mode="bot",
        mark_as_read_mode="auto",
    )


async def test_webhook_endpoint_set_then_show(line_emulator: Emulator, client: LineClient) -> None:
    with pytest.raises(NotFoundError):
        await client.webhook_endpoint()
    await client.set_webhook_endpoint("https://bot.example.com/callback")
    [put] = line_emulator.calls_to("/v2/bot/channel/webhook/endpoint")[-1:]
    assert put.method == "PUT"
    assert put.json == {"endpoint": "https://bot.example.com/callback"}
    check(put.json, "SetWebhookEndpointRequest")
    shown = await client.webhook_endpoint()
    get = line_emulator.calls_to("/v2/bot/channel/webhook/endpoint")[-1]
    check(get.response, "GetWebhookEndpointResponse")
    assert shown == WebhookEndpoint(endpoint="https://bot.example.com/callback", active=True)
    assert line_emulator.sender.webhook_url == "https://bot.example.com/callback"


async def test_set_webhook_endpoint_refuses_what_line_would_before_sending(
    line_emulator: Emulator, client: LineClient
) -> None:
    with pytest.raises(ValueError, match="https://"):
        await client.set_webhook_endpoint("http://bot.example.com/callback")
    assert line_emulator.calls_to("/v2/bot/channel/webhook/endpoint") == []
    # The emulator refuses it too, as LINE does, when it gets there.
    with pytest.raises(BadRequestError, match="endpoint"):
        await client._call(
            "PUT", "/v2/bot/channel/webhook/endpoint", json={"endpoint": "ftp://x.example"}
        )


async def test_webhook_test_reaches_a_real_bot_and_reports_its_answer() -> None:
    bot = Bot()
    async with (
        connect(bot) as emu,
        LineClient(emu.settings.access_token, api_base_url=emu.url) as client,
    ):
        result = await client.test_webhook_endpoint()
        call = emu.calls_to("/v2/bot/channel/webhook/test")[-1]
        assert call.json == {}
        check(call.response, "TestWebhookEndpointResponse")
        assert result.success is True
        assert result.status_code == 200
        assert result.reason == "OK"
        assert result.timestamp.endswith("Z")
        # The delivery was a signed, empty body the bot accepted.
        assert channel_of(emu).webhook_tests[-1]["endpoint"] == emu.sender.webhook_url


async def test_webhook_test_reports_a_failing_endpoint(
    line_emulator: Emulator, client: LineClient, aiohttp_server: object
) -> None:
    async def broken(_: web.Request) -> web.Response:
        return web.Response(status=500)

    app = web.Application()
    app.router.add_post("/callback", broken)
    server = await aiohttp_server(app)  # type: ignore[operator]
    url = f"http://127.0.0.1:{server.port}/callback"
    result = await client.test_webhook_endpoint(url)
    assert line_emulator.calls_to("/v2/bot/channel/webhook/test")[-1].json == {"endpoint": url}
    assert (result.success, result.status_code, result.reason) == (
        False,
        500,
        "ERROR_STATUS_CODE",
    )
    await server.close()  # type: ignore[attr-defined]
    refused = await client.test_webhook_endpoint(url)
    assert (refused.success, refused.status_code, refused.reason) == (
        False,
        0,
        "COULD_NOT_CONNECT",
    )


@pytest.fixture
async def busy_bot() -> AsyncIterator[tuple[Emulator, LineClient]]:
    async with (
        Emulator() as emu,
        LineClient(emu.settings.access_token, api_base_url=emu.url) as client,
    ):
        yield emu, client


async def test_delivery_counts(busy_bot: tuple[Emulator, LineClient]) -> None:
    emu, client = busy_bot
    group = await emu.create_group("Team", ["Alice"])
    today = dt.datetime.now(LINE_TIMEZONE).date()
    for n in range(3):
        await client.push(group.chat_id, f"news {n}")
    # Like LINE, the day's count is not ready until the next day ...
    assert await client.delivery_count("push", today) == DeliveryCount(status="unready")
    call = emu.calls_to("/v2/bot/message/delivery/push")[-1]
    assert call.query == {"date": today.strftime("%Y%m%d")}
    check(call.response, "NumberOfMessagesResponse")
    # ... and small counts are withheld for privacy.
    channel_of(emu).statistics_delay = 0
    assert await client.delivery_count("push", today) == DeliveryCount(
        status="unavailable_for_privacy"
    )
    channel_of(emu).privacy_threshold = 0
    assert await client.delivery_count("push", today) == DeliveryCount(status="ready", success=3)
    assert await client.delivery_count("reply", today) == DeliveryCount(status="ready", success=0)
    old = await client.delivery_count("broadcast", dt.date(2017, 1, 1))
    assert old.status == "out_of_service"
    with pytest.raises(ValueError, match="kind"):
        await client.delivery_count("narrowcast", today)  # type: ignore[arg-type]
