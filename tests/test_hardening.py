"""Hardening: what an unauthenticated sender, a hung handler or a failing LINE cannot do.

Each test stands for a numbered item of the hardening work: compressed and mislabelled
bodies, repeated signatures, deep nesting, slow senders, the unverified-body budget, hung
handlers, retry keys after failures, the monthly quota, and tokens read from files.
"""

from __future__ import annotations

import asyncio
import gzip
import uuid
import zlib
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson
import pytest
from structlog.testing import capture_logs

from linegroupbot import (
    Bot,
    ConfigurationError,
    Context,
    HandlerTimeoutError,
    LineClient,
    LineConnectionError,
    QuotaExceededError,
    RetryPolicy,
    ServerError,
    handler_timeout,
)
from linegroupbot.emulator import Emulator
from linegroupbot.testing import connect
from linegroupbot.testing.harness import running_bot
from linegroupbot.worker import is_retryable
from tests.helpers import SECRET, TOKEN, sign, signed
from tests.payloads import GROUP, event

ClientFactory = Callable[..., Any]


def make_bot(**options: Any) -> Bot:
    return Bot(SECRET, TOKEN, api_base_url="http://127.0.0.1:9", **options)


def text_event(n: int, chat: str = GROUP) -> dict[str, Any]:
    raw = event("message_text", webhookEventId=f"01HARD{chat[-6:]}{n:016d}")
    raw["source"] = {"type": "group", "groupId": chat, "userId": "U" + "a" * 32}
    raw["message"] = {"type": "text", "id": str(n), "text": f"m{n}", "quoteToken": "q"}
    return raw


def nested(depth: int) -> str:
    return "[" * depth + '"x"' + "]" * depth


def with_field(field: str, json_value: str) -> bytes:
    """A one-event body whose ``field`` (``text``, ``replyToken``, ...) is ``json_value``."""
    raw = text_event(7)
    raw[field if field != "text" else "message"] = "@@HERE@@"
    if field == "text":
        raw["message"] = {"type": "text", "id": "7", "text": "@@HERE@@"}
    encoded = orjson.dumps({"destination": "U" + "0" * 32, "events": [raw]}).decode()
    return encoded.replace('"@@HERE@@"', json_value).encode()


# --- 2. compressed bodies ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("gzip", lambda raw: raw),  # says gzip, is not: used to be a 500
        ("deflate", lambda raw: raw),
    ],
)
async def test_compressed_or_mislabelled_bodies_are_415_and_nothing_runs(
    aiohttp_client: ClientFactory, encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    bot = make_bot()
    calls: list[Context] = []

    @bot.on_message
    async def handler(ctx: Context) -> None:
        calls.append(ctx)

    client = await aiohttp_client(bot.create_app(), auto_decompress=False)
    raw, headers = signed(text_event(1))
    resp = await client.post(
        "/callback",
        data=compress(raw),
        headers={**headers, "Content-Encoding": encoding},
        skip_auto_headers={"Accept-Encoding"},
    )
    assert resp.status == 415
    assert "uncompressed" in (await resp.json())["error"]
    assert bot.runtime is not None
    assert (await bot.runtime.store.stats()).depth == 0
    # The server goes on serving.
    raw, headers = signed(text_event(2))
    assert (await client.post("/callback", data=raw, headers=headers)).status == 200


@pytest.mark.parametrize("encoding", ["deflate", "br", "zstd", "gzip", "x-unknown"])
async def test_any_encoding_is_415_from_the_app_and_logs_no_traceback(
    encoding: str, caplog: pytest.LogCaptureFixture
) -> None:
    bot = make_bot()
    junk = b"not compressed at all" * 20
    async with running_bot(bot) as url:
        reader, writer = await _open(
            _port(url),
            b"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Encoding: %s\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (encoding.encode(), len(junk), junk),
        )
        answer = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        assert bot.runtime is not None
        assert (await bot.runtime.store.stats()).depth == 0
    # aiohttp decodes nothing on the way in: the refusal is the app's JSON, and no
    # unauthenticated sender can make aiohttp log tracebacks.
    assert answer.startswith(b"HTTP/1.1 415"), answer[:60]
    assert b"uncompressed" in answer
    assert [r for r in caplog.records if r.name.startswith("aiohttp")] == []


async def test_an_empty_or_identity_encoding_is_no_encoding(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(make_bot().create_app())
    for encoding in ("", "identity", "Identity "):
        raw, headers = signed(text_event(len(encoding)))
        resp = await client.post(
            "/callback", data=raw, headers={**headers, "Content-Encoding": encoding}
        )
        assert resp.status == 200, encoding


# --- 9. repeated signatures ------------------------------------------------------------------


async def test_more_than_one_signature_header_is_400_and_nothing_is_queued() -> None:
    bot = make_bot()
    raw, _ = signed(text_event(1))
    async with running_bot(bot) as url:
        for first, second in ((sign(raw), "forged"), ("forged", sign(raw))):
            reader, writer = await _open(
                _port(url),
                b"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                b"x-line-signature: %s\r\nX-Line-Signature: %s\r\n\r\n%s"
                % (len(raw), first.encode(), second.encode(), raw),
            )
            answer = await asyncio.wait_for(reader.read(), 10)
            writer.close()
            assert answer.startswith(b"HTTP/1.1 400"), answer[:40]
            assert b"more than one x-line-signature" in answer
        assert bot.runtime is not None
        assert (await bot.runtime.store.stats()).depth == 0
        assert bot.runtime.worker is not None
        assert bot.runtime.worker.handled == 0


# --- 3. deep nesting ---------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["text", "replyToken", "webhookEventId", "type", "source"])
@pytest.mark.parametrize("depth", [300, 990])
async def test_deeply_nested_fields_are_dead_lettered_not_500(
    aiohttp_client: ClientFactory, field: str, depth: int
) -> None:
    bot = make_bot()
    seen: list[str | None] = []

    @bot.on_message
    async def handler(ctx: Context) -> None:
        seen.append(ctx.text)

    client = await aiohttp_client(bot.create_app())
    raw = with_field(field, nested(depth))
    resp = await client.post("/callback", data=raw, headers={"x-line-signature": sign(raw)})
    assert resp.status == 200
    assert (await resp.json())["rejected"] == 1
    assert bot.runtime is not None
    [letter] = await bot.runtime.store.dead_letters()
    assert letter.payload == raw  # too deep to keep alone: the whole signed body is kept
    assert "nested too deeply" in letter.error
    good, headers = signed(text_event(8))
    assert (await client.post("/callback", data=good, headers=headers)).status == 200
    await bot.runtime.wait_idle(10)
    assert seen == ["m8"]


@pytest.mark.parametrize("field", ["text", "type"])
async def test_nesting_past_the_json_limit_is_400(
    aiohttp_client: ClientFactory, field: str
) -> None:
    client = await aiohttp_client(make_bot().create_app())
    raw = with_field(field, nested(1100))
    resp = await client.post("/callback", data=raw, headers={"x-line-signature": sign(raw)})
    assert resp.status == 400
    assert "not valid JSON" in (await resp.json())["error"]


# --- 4. slow senders and the unverified-body budget ----------------------------------------------


async def _open(port: int, head: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)
    await writer.drain()
    return reader, writer


def _port(url: str) -> int:
    return int(url.split(":")[2].split("/")[0])


async def test_a_body_that_does_not_arrive_in_time_is_408_and_closed() -> None:
    bot = make_bot(body_timeout=0.3)
    async with running_bot(bot) as url:
        reader, writer = await _open(
            _port(url), b"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"
        )
        answer = await asyncio.wait_for(reader.read(), 10)  # read() returns at close
        writer.close()
    assert answer.startswith(b"HTTP/1.1 408")
    assert b"did not arrive within 0.3 s" in answer


async def test_connections_that_never_finish_their_headers_are_closed() -> None:
    bot = make_bot(idle_timeout=0.3)
    async with running_bot(bot) as url:
        conns = [
            await _open(_port(url), b"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Le")
            for _ in range(20)
        ]
        answers = await asyncio.wait_for(asyncio.gather(*(r.read() for r, _ in conns)), 10)
        for _, writer in conns:
            writer.close()
        # Still serving.
        raw, headers = signed(text_event(1))
        async with aiohttp.ClientSession() as http, http.post(url, data=raw, headers=headers) as r:
            assert r.status == 200
    assert answers == [b""] * 20  # closed, with nothing to say


async def test_unverified_bodies_past_the_budget_are_503_before_reading() -> None:
    bot = make_bot(max_body_size=100_000, max_pending_bytes=250_000, body_timeout=5.0)
    head = b"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
    async with running_bot(bot) as url:
        port = _port(url)
        holding = [await _open(port, head + b"x" * 10) for _ in range(2)]  # 200 kB held
        assert bot.runtime is not None
        assert bot.runtime.receiver is not None
        receiver = bot.runtime.receiver
        await asyncio.wait_for(_until(lambda: receiver.pending_bytes == 200_000), 10)
        reader, writer = await _open(port, head)
        answer = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 503")
        assert b"Retry-After: 1" in answer
        for _, held in holding:
            held.close()
        await asyncio.wait_for(_until(lambda: receiver.pending_bytes == 0), 10)
        raw, headers = signed(text_event(1))
        async with aiohttp.ClientSession() as http, http.post(url, data=raw, headers=headers) as r:
            assert r.status == 200


async def _until(predicate: Callable[[], bool]) -> None:
    while not predicate():  # noqa: ASYNC110 (counters with no event to await)
        await asyncio.sleep(0.01)


# --- 5. hung handlers ----------------------------------------------------------------------------


async def test_a_hung_handler_is_cancelled_and_its_chat_moves_on() -> None:
    bot = Bot(handler_timeout=0.3, retry_delay=0.01)
    ran: list[str] = []
    cancelled = asyncio.Event()

    @bot.on_message(text="hang")
    async def hang(ctx: Context) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    @bot.on_message
    async def echo(ctx: Context) -> None:
        ran.append(ctx.text or "")
        await ctx.reply(ctx.text or "")

    with capture_logs() as logs:
        async with connect(bot) as emulator:
            group = await emulator.create_group("G", ["Alice"])
            other = await emulator.create_group("H", ["Bob"])
            await emulator.say(group, "Alice", "hang")
            await emulator.say(other, "Bob", "meanwhile")  # another chat is not held up
            await emulator.wait_for_bot_messages(other)
            await emulator.say(group, "Alice", "after")
            await emulator.wait_for_bot_messages(group)
            assert bot.runtime is not None
            await bot.runtime.wait_idle(10)
            [letter] = await bot.runtime.store.dead_letters()
    assert cancelled.is_set()
    assert ran == ["meanwhile", "after"]
    assert "HandlerTimeoutError" in letter.error
    assert "hang" in letter.error
    [timed_out] = [e for e in logs if e["event"] == "handler_timed_out"]
    assert timed_out["handler"].endswith("hang")
    assert timed_out["timeout"] == 0.3
    assert not is_retryable(HandlerTimeoutError("h", 1.0))


async def test_many_hung_handlers_do_not_stop_the_bot() -> None:
    bot = Bot(handler_timeout=0.3, concurrency=4)

    @bot.on_message(text="hang")
    async def hang(ctx: Context) -> None:
        await asyncio.Event().wait()

    @bot.on_message
    async def echo(ctx: Context) -> None:
        await ctx.reply("alive")

    async with connect(bot) as emulator:
        groups = [await emulator.create_group(f"G{i}", ["Alice"]) for i in range(6)]
        for group in groups:  # more hung handlers than the concurrency limit
            await emulator.say(group, "Alice", "hang")
        last = await emulator.create_group("Last", ["Alice"])
        await emulator.say(last, "Alice", "hello")
        [reply] = await emulator.wait_for_bot_messages(last, timeout=15)
    assert reply["text"] == "alive"


async def test_a_handler_can_carry_its_own_budget() -> None:
    bot = Bot(handler_timeout=0.2)
    finished: list[str] = []

    @bot.on_message(text="slow")
    @handler_timeout(5)
    async def slow(ctx: Context) -> None:
        await asyncio.sleep(0.5)  # past the bot's budget, within its own
        finished.append("slow")
        await ctx.reply("done")

    @bot.on_message(text="quick")
    @handler_timeout(0.1)
    async def quick(ctx: Context) -> None:
        await asyncio.sleep(3)
        finished.append("quick")

    async with connect(bot) as emulator:
        group = await emulator.create_group("G", ["Alice"])
        await emulator.say(group, "Alice", "quick")
        await emulator.say(group, "Alice", "slow")
        await emulator.wait_for_bot_messages(group)
        assert bot.runtime is not None
        await bot.runtime.wait_idle(10)
        [letter] = await bot.runtime.store.dead_letters()
    assert finished == ["slow"]
    assert "0.1 s" in letter.error


def test_budgets_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        handler_timeout(0)
    with pytest.raises(ConfigurationError, match="handler_timeout"):
        Bot(handler_timeout=-1)


async def test_health_is_degraded_while_a_handler_ignores_its_cancellation() -> None:
    bot = Bot(handler_timeout=0.2)
    release = asyncio.Event()

    @bot.on_message
    async def stubborn(ctx: Context) -> None:
        while not release.is_set():
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                continue  # swallows the cancellation: nothing can stop it

    async with connect(bot) as emulator:
        assert bot.runtime is not None
        assert bot.runtime.worker is not None
        bot.runtime.worker.stuck_after = 0.5
        group = await emulator.create_group("G", ["Alice"])
        await emulator.say(group, "Alice", "hi")
        await asyncio.wait_for(_until(lambda: bot.runtime.worker.stuck == 1), 10)  # type: ignore[union-attr]
        report = await bot.runtime.health()
        release.set()
    assert report["status"] == "degraded"
    assert report["worker"]["stuck_handlers"] == 1
    assert report["worker"]["longest_running_s"] >= 0.5


# --- 6. retry keys after failures --------------------------------------------------------------


async def test_a_push_that_failed_after_delivery_can_be_repeated_with_its_retry_key(
    line_emulator: Emulator,
) -> None:
    group = await line_emulator.create_group("G", ["Alice"])
    push = "/v2/bot/message/push"
    line_emulator.fail_next(push, status=500, after=True)  # delivered, then a 500
    async with LineClient(
        line_emulator.settings.access_token,
        api_base_url=line_emulator.url,
        retry=RetryPolicy.off(),
    ) as client:
        with pytest.raises(ServerError) as info:
            await client.push(group.chat_id, "once")
        key = info.value.retry_key
        assert key is not None
        assert str(uuid.UUID(key)) == key
        assert line_emulator.calls_to(push)[-1].headers["X-Line-Retry-Key"] == key
        result = await client.push(group.chat_id, "once", retry_key=key)
    assert result.deduplicated
    assert result.retry_key == key
    assert [m["text"] for m in line_emulator.bot_messages(group)] == ["once"]


async def test_a_dropped_connection_error_carries_the_retry_key(line_emulator: Emulator) -> None:
    group = await line_emulator.create_group("G", ["Alice"])
    push = "/v2/bot/message/push"
    line_emulator.fail_next(push, drop=True, after=True)
    async with LineClient(
        line_emulator.settings.access_token,
        api_base_url=line_emulator.url,
        retry=RetryPolicy.off(),
    ) as client:
        with pytest.raises(LineConnectionError) as info:
            await client.push(group.chat_id, "once")
        assert info.value.retry_key is not None
        again = await client.push(group.chat_id, "once", retry_key=info.value.retry_key)
        fresh = await client.push(group.chat_id, "twice")
    assert again.deduplicated
    assert not fresh.deduplicated
    assert [m["text"] for m in line_emulator.bot_messages(group)] == ["once", "twice"]


async def test_a_retry_key_must_be_a_uuid(client: LineClient) -> None:
    with pytest.raises(ValueError, match="not a UUID"):
        await client.push("C" + "0" * 32, "hi", retry_key="attempt-2")


# --- 7. the monthly quota ------------------------------------------------------------------------


async def test_the_monthly_limit_fails_at_once_with_a_quota_error() -> None:
    emulator = Emulator(monthly_quota=1)
    async with emulator:
        group = await emulator.create_group("G", ["Alice"])
        async with LineClient(
            emulator.settings.access_token,
            api_base_url=emulator.url,
            retry=RetryPolicy(attempts=4, base_delay=0.01, total_timeout=5),
        ) as client:
            await client.push(group.chat_id, "one")
            with pytest.raises(QuotaExceededError) as info:
                await client.push(group.chat_id, "two")
        calls = emulator.calls_to("/v2/bot/message/push")
    assert [c.status for c in calls] == [200, 429]  # not retried
    assert info.value.status == 429
    assert "quota is used up" in str(info.value)
    assert not is_retryable(info.value)


# --- 8. tokens read from files --------------------------------------------------------------------


async def test_a_token_and_secret_with_trailing_newlines_are_cleaned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with Emulator() as emulator:
        # As read from files: the values with a line break after them.
        monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", emulator.settings.access_token + "\n")
        monkeypatch.setenv("LINE_CHANNEL_SECRET", emulator.settings.channel_secret + "\r\n")
        monkeypatch.setenv("LINE_API_BASE_URL", emulator.url)
        bot = Bot()

        @bot.on_message
        async def echo(ctx: Context) -> None:
            await ctx.push_to_chat("pushed")

        async with running_bot(bot) as url:
            emulator.set_webhook_url(url)
            group = await emulator.create_group("G", ["Alice"])
            await emulator.say(group, "Alice", "hi")
            [message] = await emulator.wait_for_bot_messages(group)
    assert message["text"] == "pushed"
    assert bot.access_token == emulator.settings.access_token


@pytest.mark.parametrize("token", ["abc\ndef", "abc def", "abc\x00def"])
def test_a_token_with_inner_whitespace_is_refused_without_showing_it(token: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        _ = Bot(SECRET, token).access_token
    assert "LINE_CHANNEL_ACCESS_TOKEN" in str(info.value)
    assert "abc" not in str(info.value)
    with pytest.raises(ConfigurationError):
        LineClient(token)
