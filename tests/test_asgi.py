"""One receiver, two front ends: what ``run`` (aiohttp) refuses, the ASGI app refuses alike.

Every test runs twice: the bot served by aiohttp (``running_bot``, as ``linegroupbot run``
serves it) and the bot's ``WebhookApp`` routed in a Starlette application on a real uvicorn
server. Both hand the request to ``WebhookServer.accept``.
"""

from __future__ import annotations

import asyncio
import gzip
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from linegroupbot import Bot, Context
from linegroupbot.asgi import WebhookApp
from linegroupbot.stores import SqliteStore
from linegroupbot.testing.harness import running_bot
from tests.helpers import SECRET, TOKEN, sign, signed, uvicorn_server
from tests.payloads import GROUP, event

Serve = Callable[[Bot], AbstractAsyncContextManager[str]]
"""Serves a bot until the block ends; yields its webhook URL (``.../callback``)."""


@asynccontextmanager
async def _asgi(bot: Bot) -> AsyncIterator[str]:
    webhook = WebhookApp(bot)
    app = Starlette(
        routes=[Route("/callback", webhook, methods=["POST"])], lifespan=webhook.lifespan
    )
    async with uvicorn_server(app) as site:
        yield f"{site}/callback"


@pytest.fixture(params=["aiohttp", "asgi"])
def serve(request: pytest.FixtureRequest) -> Serve:
    """Each front end in turn."""
    return running_bot if request.param == "aiohttp" else _asgi


def make_bot(**options: Any) -> tuple[Bot, list[str | None]]:
    """A bot on its own memory store whose one handler records the texts it saw."""
    options.setdefault("store", "memory://")
    bot = Bot(SECRET, TOKEN, api_base_url="http://127.0.0.1:9", **options)
    seen: list[str | None] = []

    @bot.on_message
    async def record(ctx: Context) -> None:
        seen.append(ctx.text)

    return bot, seen


def text_event(n: int) -> dict[str, Any]:
    raw = event("message_text", webhookEventId=f"01ASGI{n:020d}")
    raw["source"] = {"type": "group", "groupId": GROUP, "userId": "U" + "a" * 32}
    raw["message"] = {"type": "text", "id": str(n), "text": f"m{n}", "quoteToken": "q"}
    return raw


async def _post(url: str, raw: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.post(url, data=raw, headers=headers) as r:
        return r.status, await r.json(content_type=None)


async def _raw(url: str, request: bytes) -> bytes:
    """Send ``request`` as it is on a new connection; everything the server says until it closes."""
    port = int(url.split(":")[2].split("/")[0])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 10)  # read() returns at close
    finally:
        writer.close()


async def _depth(bot: Bot) -> int:
    assert bot.runtime is not None
    return (await bot.runtime.store.stats()).depth


async def test_a_signed_body_is_200_and_its_handler_runs(serve: Serve) -> None:
    bot, seen = make_bot()
    async with serve(bot) as url:
        raw, headers = signed(text_event(1))
        assert await _post(url, raw, headers) == (
            200,
            {"status": "ok", "events": 1, "queued": 1, "rejected": 0},
        )
        assert bot.runtime is not None
        await bot.runtime.wait_idle(10)
    assert seen == ["m1"]


async def test_a_forged_signature_is_401_and_nothing_runs(serve: Serve) -> None:
    bot, seen = make_bot()
    async with serve(bot) as url:
        raw, headers = signed(text_event(1), secret="not-the-channel-secret")
        status, answer = await _post(url, raw, headers)
        assert status == 401
        assert "x-line-signature does not match" in answer["error"]
        raw, _ = signed(text_event(2))
        assert (await _post(url, raw, {}))[0] == 401  # no signature at all
        assert await _depth(bot) == 0
        assert bot.runtime is not None
        assert bot.runtime.receiver is not None
        assert bot.runtime.receiver.received == 0
    assert seen == []


async def test_a_repeated_signature_is_400_and_nothing_is_queued(serve: Serve) -> None:
    bot, _ = make_bot()
    raw, _ = signed(text_event(1))
    async with serve(bot) as url:
        answer = await _raw(
            url,
            b"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
            b"x-line-signature: %s\r\nX-Line-Signature: forged\r\n\r\n%s"
            % (len(raw), sign(raw).encode(), raw),
        )
        assert answer.startswith(b"HTTP/1.1 400"), answer[:40]
        assert b"more than one x-line-signature" in answer
        assert await _depth(bot) == 0


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'{"destination": "U1"}', "must have an 'events' array"),
    ],
)
async def test_a_malformed_body_is_400(serve: Serve, raw: bytes, error: str) -> None:
    bot, _ = make_bot()
    async with serve(bot) as url:
        status, answer = await _post(url, raw, {"x-line-signature": sign(raw)})
    assert status == 400
    assert error in answer["error"]


async def test_a_compressed_body_is_415_and_nothing_runs(serve: Serve) -> None:
    bot, seen = make_bot()
    raw, headers = signed(text_event(1))
    packed = gzip.compress(raw)
    async with serve(bot) as url:
        answer = await _raw(
            url,
            b"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\n"
            b"x-line-signature: %s\r\nContent-Length: %d\r\n\r\n%s"
            % (sign(raw).encode(), len(packed), packed),
        )
        assert answer.startswith(b"HTTP/1.1 415"), answer[:40]
        assert b"uncompressed" in answer
        assert await _depth(bot) == 0
        status, _ = await _post(url, raw, {**headers, "Content-Encoding": "identity"})
        assert status == 200
    assert seen == ["m1"]


async def test_a_body_that_does_not_arrive_in_time_is_408_and_closed(serve: Serve) -> None:
    bot, _ = make_bot(body_timeout=0.3)
    async with serve(bot) as url:
        answer = await _raw(
            url, b"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"
        )
    assert answer.startswith(b"HTTP/1.1 408"), answer[:40]
    assert b"did not arrive within 0.3 s" in answer


async def test_a_body_over_the_limit_is_413(serve: Serve) -> None:
    bot, _ = make_bot(max_body_size=1000)
    async with serve(bot) as url:
        answer = await _raw(
            url, b"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{"
        )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:40]


async def _until(predicate: Callable[[], bool]) -> None:
    for _ in range(1000):  # bounded; the caller's wait_for bounds it in time too
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


async def test_unverified_bodies_past_the_budget_are_503_with_retry_after(serve: Serve) -> None:
    bot, _ = make_bot(max_body_size=100_000, max_pending_bytes=250_000, body_timeout=5.0)
    head = b"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
    async with serve(bot) as url:
        port = int(url.split(":")[2].split("/")[0])
        holding = []
        for _ in range(2):  # 200 kB reserved by bodies that are still arriving
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(head + b"x" * 10)
            await writer.drain()
            holding.append(writer)
        assert bot.runtime is not None
        assert bot.runtime.receiver is not None
        receiver = bot.runtime.receiver
        await asyncio.wait_for(_until(lambda: receiver.pending_bytes == 200_000), 10)
        answer = await _raw(url, head)
        assert answer.startswith(b"HTTP/1.1 503"), answer[:40]
        assert b"retry-after: 1" in answer.lower()
        for writer in holding:
            writer.close()
        await asyncio.wait_for(_until(lambda: receiver.pending_bytes == 0), 10)
        raw, headers = signed(text_event(1))
        assert (await _post(url, raw, headers))[0] == 200


async def test_an_event_too_deep_to_queue_is_dead_lettered_and_the_rest_run(serve: Serve) -> None:
    bot, seen = make_bot()
    deep = text_event(1)
    deep["message"]["text"] = "@@DEEP@@"
    body = {"destination": "U" + "0" * 32, "events": [deep, text_event(2)]}
    raw = orjson.dumps(body).replace(b'"@@DEEP@@"', b"[" * 990 + b"1" + b"]" * 990)
    async with serve(bot) as url:
        status, answer = await _post(url, raw, {"x-line-signature": sign(raw)})
        assert (status, answer["queued"], answer["rejected"]) == (200, 1, 1)
        assert bot.runtime is not None
        [letter] = await bot.runtime.store.dead_letters()
        assert letter.payload == raw  # the whole signed body
        assert "events[0] is nested too deeply" in letter.error
        await bot.runtime.wait_idle(10)
    assert seen == ["m2"]


async def test_a_redelivered_event_is_queued_once(serve: Serve) -> None:
    bot, seen = make_bot()
    raw, headers = signed(text_event(1))
    async with serve(bot) as url:
        assert (await _post(url, raw, headers))[1]["queued"] == 1
        assert (await _post(url, raw, headers))[1]["queued"] == 0
        assert bot.runtime is not None
        await bot.runtime.wait_idle(10)
    assert seen == ["m1"]


async def test_a_failing_store_is_503_and_the_event_is_taken_once_it_is_back(
    serve: Serve, tmp_path: Path
) -> None:
    path = tmp_path / "bot.db"
    bot, seen = make_bot(store=SqliteStore(path, busy_timeout=0.2))
    raw, headers = signed(text_event(1))
    async with serve(bot) as url:
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN EXCLUSIVE")  # another process holds the database
            status, answer = await _post(url, raw, headers)
            assert (status, answer) == (503, {"error": "the event store is unavailable"})
        finally:
            other.close()  # lets go of it
        assert await _post(url, raw, headers) == (  # LINE's redelivery
            200,
            {"status": "ok", "events": 1, "queued": 1, "rejected": 0},
        )
        assert bot.runtime is not None
        await bot.runtime.wait_idle(10)
    assert seen == ["m1"]
