"""The webhook server: statuses, background dispatch, ordering, dedupe, draining."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from structlog.testing import capture_logs

from linegroupbot import Bot, Context
from linegroupbot import events as ev
from tests.helpers import SECRET, TOKEN, sign, signed
from tests.payloads import ALICE, GROUP, ROOM, event

ClientFactory = Callable[..., Any]


def make_bot(**options: Any) -> Bot:
    return Bot(SECRET, TOKEN, api_base_url="http://127.0.0.1:9", **options)


def text(n: int, chat: str = GROUP, words: str = "hi") -> dict[str, Any]:
    raw = event("message_text", webhookEventId=f"01EV{chat[:6]}{n:020d}")
    raw["source"] = (
        {"type": "group", "groupId": chat, "userId": ALICE}
        if chat.startswith("C")
        else {"type": "room", "roomId": chat, "userId": ALICE}
    )
    raw["message"] = {"type": "text", "id": str(n), "text": words, "quoteToken": "q"}
    return raw


async def test_valid_body_is_200_and_dispatched(aiohttp_client: ClientFactory) -> None:
    bot = make_bot()
    seen: list[str | None] = []
    done = asyncio.Event()

    @bot.on_message
    async def handler(ctx: Context) -> None:
        seen.append(ctx.text)
        done.set()

    client = await aiohttp_client(bot.create_app())
    raw, headers = signed(text(1))
    resp = await client.post("/callback", data=raw, headers=headers)
    assert resp.status == 200
    await asyncio.wait_for(done.wait(), 5)
    assert seen == ["hi"]


@pytest.mark.parametrize("signature", [None, "", "forged", sign(b"other body")])
async def test_bad_signature_is_401_and_nothing_runs(
    aiohttp_client: ClientFactory, signature: str | None
) -> None:
    bot = make_bot()
    calls: list[Context] = []

    @bot.on_message
    async def handler(ctx: Context) -> None:
        calls.append(ctx)

    client = await aiohttp_client(bot.create_app())
    raw, _ = signed(text(1))
    headers = {} if signature is None else {"x-line-signature": signature}
    with capture_logs() as logs:
        resp = await client.post("/callback", data=raw, headers=headers)
    assert resp.status == 401
    await asyncio.sleep(0)
    assert calls == []
    assert bot.runtime is not None
    assert bot.runtime.in_flight == 0
    assert (await bot.runtime.store.stats()).depth == 0
    assert any(e["event"] == "webhook_rejected" for e in logs)


@pytest.mark.parametrize(
    "raw", [b"not json", b"[]", b'{"destination": "U1"}', b'{"events": {}}', b'{"events": 1}']
)
async def test_malformed_body_is_400(aiohttp_client: ClientFactory, raw: bytes) -> None:
    client = await aiohttp_client(make_bot().create_app())
    resp = await client.post("/callback", data=raw, headers={"x-line-signature": sign(raw)})
    assert resp.status == 400
    assert "error" in await resp.json()


async def test_body_over_the_limit_is_413(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(make_bot(max_body_size=1000).create_app())
    raw, headers = signed(*(text(i) for i in range(10)))
    assert len(raw) > 1000
    resp = await client.post("/callback", data=raw, headers=headers)
    assert resp.status == 413


async def test_verify_request_with_no_events_is_200(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(make_bot().create_app())
    raw, headers = signed()
    resp = await client.post("/callback", data=raw, headers=headers)
    assert resp.status == 200
    assert (await resp.json())["events"] == 0


async def test_healthz(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(make_bot().create_app())
    resp = await client.get("/healthz")
    assert resp.status == 200
    assert (await resp.json())["status"] == "ok"


async def test_custom_path_and_mounting(aiohttp_client: ClientFactory) -> None:
    from aiohttp import web

    outer = web.Application()
    outer.add_subapp("/line", make_bot().create_app(path="/hook"))
    client = await aiohttp_client(outer)
    raw, headers = signed()
    assert (await client.post("/line/hook", data=raw, headers=headers)).status == 200
    assert (await client.post("/callback", data=raw, headers=headers)).status == 404


async def test_unknown_event_reaches_on_unknown_and_never_breaks(
    aiohttp_client: ClientFactory,
) -> None:
    bot = make_bot()
    got: list[ev.UnknownEvent] = []
    done = asyncio.Event()

    @bot.on_unknown
    async def future(ctx: Context) -> None:
        assert isinstance(ctx.event, ev.UnknownEvent)
        got.append(ctx.event)
        done.set()

    client = await aiohttp_client(bot.create_app())
    raw, headers = signed({**text(1), "type": "hologramCall", "hologram": {"depth": 3}})
    assert (await client.post("/callback", data=raw, headers=headers)).status == 200
    await asyncio.wait_for(done.wait(), 5)
    assert got[0].event_type == "hologramCall"
    assert got[0].raw["hologram"] == {"depth": 3}


async def test_a_failing_handler_is_logged_and_other_events_still_run(
    aiohttp_client: ClientFactory,
) -> None:
    bot = make_bot(max_attempts=1)
    handled: list[str] = []
    both = asyncio.Event()

    @bot.on_message(text="boom")
    async def explode(ctx: Context) -> None:
        raise RuntimeError("kaboom")

    @bot.on_message
    async def fine(ctx: Context) -> None:
        handled.append(ctx.chat_id or "")
        both.set()

    client = await aiohttp_client(bot.create_app())
    with capture_logs() as logs:
        raw, headers = signed(text(1, words="boom"), text(2, chat=ROOM))
        assert (await client.post("/callback", data=raw, headers=headers)).status == 200
        await asyncio.wait_for(both.wait(), 5)
        await _idle(bot)
    assert handled == [ROOM]
    [failure] = [e for e in logs if e["event"] == "handler_failed"]
    assert failure["handler"].endswith("explode")
    assert failure["chat_id"] == GROUP
    assert failure["webhook_event_id"] == text(1)["webhookEventId"]
    assert "kaboom" in failure["error"]
    assert failure["log_level"] == "error"


async def _idle(bot: Bot) -> None:
    assert bot.runtime is not None
    await bot.runtime.wait_idle(timeout=5)


async def test_redelivered_event_is_handled_once(aiohttp_client: ClientFactory) -> None:
    bot = make_bot()
    count = 0

    @bot.on_message
    async def handler(ctx: Context) -> None:
        nonlocal count
        count += 1

    client = await aiohttp_client(bot.create_app())
    first = text(1)
    again = {**first, "deliveryContext": {"isRedelivery": True}}
    with capture_logs() as logs:
        for payload in (first, again):
            raw, headers = signed(payload)
            assert (await client.post("/callback", data=raw, headers=headers)).status == 200
        await _idle(bot)
    assert count == 1
    [skipped] = [e for e in logs if e["event"] == "event_duplicate_skipped"]
    assert skipped["is_redelivery"] is True


async def test_events_of_one_chat_run_in_order_other_chats_concurrently(
    aiohttp_client: ClientFactory,
) -> None:
    bot = make_bot()
    gate = asyncio.Event()
    order: list[str] = []
    room_done = asyncio.Event()

    @bot.on_message
    async def handler(ctx: Context) -> None:
        label = f"{ctx.scope}:{ctx.message.id}"  # type: ignore[union-attr]
        order.append("start " + label)
        if label == "group:1":
            await gate.wait()  # the first group event is slow
        order.append("end " + label)
        if ctx.scope == "room":
            room_done.set()

    client = await aiohttp_client(bot.create_app())
    raw, headers = signed(text(1), text(2), text(3, chat=ROOM))
    assert (await client.post("/callback", data=raw, headers=headers)).status == 200
    await asyncio.wait_for(room_done.wait(), 5)
    # The room's event finished while group event 1 is still blocked, and group event 2 waits.
    assert "end room:3" in order
    assert "start group:2" not in order
    gate.set()
    await _idle(bot)
    assert order.index("end group:1") < order.index("start group:2")


async def test_concurrency_limit(aiohttp_client: ClientFactory) -> None:
    bot = make_bot(concurrency=1)
    running = 0
    peak = 0

    @bot.on_message
    async def handler(ctx: Context) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1

    client = await aiohttp_client(bot.create_app())
    raw, headers = signed(*(text(i, chat="C" + f"{i:032x}") for i in range(5)))
    await client.post("/callback", data=raw, headers=headers)
    await _idle(bot)
    assert peak == 1


async def test_shutdown_drains_in_flight_handlers_and_cuts_off_the_rest() -> None:
    from aiohttp.test_utils import TestClient, TestServer

    bot = make_bot(drain_timeout=0.2)
    finished: list[str] = []
    started = asyncio.Event()

    @bot.on_message(text="quick")
    async def quick(ctx: Context) -> None:
        started.set()
        await asyncio.sleep(0.05)
        finished.append("quick")

    @bot.on_message(text="stuck")
    async def stuck(ctx: Context) -> None:
        await asyncio.Event().wait()

    client = TestClient(TestServer(bot.create_app()))
    await client.start_server()
    raw, headers = signed(text(1, words="quick"), text(2, chat=ROOM, words="stuck"))
    assert (await client.post("/callback", data=raw, headers=headers)).status == 200
    await started.wait()
    with capture_logs() as logs:
        await client.close()
    assert finished == ["quick"]
    [cut] = [e for e in logs if e["event"] == "drain_cut_off"]
    assert cut["webhook_event_ids"] == [text(2, chat=ROOM)["webhookEventId"]]
    assert any(e["event"] == "handler_cancelled" for e in logs)


async def test_missing_secret_fails_at_startup_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from linegroupbot import ConfigurationError

    monkeypatch.delenv("LINE_CHANNEL_SECRET", raising=False)
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN", raising=False)
    with pytest.raises(ConfigurationError, match="LINE_CHANNEL_SECRET"):
        Bot().create_app()
    with pytest.raises(ConfigurationError, match="LINE_CHANNEL_ACCESS_TOKEN"):
        Bot(channel_secret="s").create_app()
    monkeypatch.setenv("LINE_CHANNEL_SECRET", "from-env")
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "token-from-env")
    bot = Bot()
    bot.create_app()
    assert bot.channel_secret == "from-env"


async def test_large_body_arriving_in_many_chunks_is_read_whole(
    aiohttp_client: ClientFactory,
) -> None:
    bot = make_bot(max_body_size=4 * 1024 * 1024)
    handled: list[str] = []

    @bot.on_message
    async def handler(ctx: Context) -> None:
        handled.append(ctx.event.webhook_event_id)

    client = await aiohttp_client(bot.create_app())
    events = [text(i, chat="C" + f"{i % 50:032x}") for i in range(2000)]
    raw, headers = signed(*events)
    assert len(raw) > 500_000

    async def chunks() -> Any:
        for start in range(0, len(raw), 4096):
            yield raw[start : start + 4096]

    resp = await client.post("/callback", data=chunks(), headers=headers)
    assert resp.status == 200
    await _idle(bot)
    assert len(handled) == 2000


async def test_chunked_body_over_the_limit_is_413(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(make_bot(max_body_size=10_000).create_app())
    raw, headers = signed(*(text(i) for i in range(100)))

    async def chunks() -> Any:
        for start in range(0, len(raw), 1000):
            yield raw[start : start + 1000]

    resp = await client.post("/callback", data=chunks(), headers=headers)
    assert resp.status == 413


async def test_lifecycle_hooks_run_in_order() -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from linegroupbot import Router

    bot = make_bot()
    child = Router(name="child")
    trail: list[str] = []

    @bot.on_startup
    async def bot_up() -> None:
        trail.append("bot up")

    @child.on_startup
    async def child_up() -> None:
        trail.append("child up")

    @bot.on_shutdown
    async def bot_down() -> None:
        trail.append("bot down")

    @child.on_shutdown
    async def child_down_fails() -> None:
        trail.append("child down")
        raise RuntimeError("cleanup failed")

    bot.include(child)
    client = TestClient(TestServer(bot.create_app()))
    await client.start_server()
    assert trail == ["bot up", "child up"]
    with capture_logs() as logs:
        await client.close()
    assert trail == ["bot up", "child up", "child down", "bot down"]
    assert any(e["event"] == "shutdown_hook_failed" for e in logs)


async def test_secrets_never_reach_the_logs(aiohttp_client: ClientFactory) -> None:
    bot = make_bot(max_attempts=1)

    @bot.on_message
    async def explode(ctx: Context) -> None:
        raise RuntimeError(f"handler saw {ctx.text}")

    client = await aiohttp_client(bot.create_app())
    with capture_logs() as logs:
        raw, headers = signed(text(1))
        await client.post("/callback", data=raw, headers={"x-line-signature": "forged"})
        await client.post("/callback", data=b"{", headers={"x-line-signature": sign(b"{")})
        await client.post("/callback", data=raw, headers=headers)
        await _idle(bot)
    assert {e["event"] for e in logs} >= {"webhook_rejected", "handler_failed"}
    dump = repr(logs)
    assert SECRET not in dump
    assert TOKEN not in dump


async def test_unmatched_events_are_logged_at_debug() -> None:
    bot = make_bot()
    with capture_logs() as logs:
        await bot.handle_event(convert_event("join"))
    [entry] = logs
    assert entry["event"] == "event_unhandled"
    assert entry["log_level"] == "debug"
    assert entry["event_type"] == "join"


def convert_event(name: str) -> ev.Event:
    from linegroupbot import convert

    return convert.structure_event(event(name))
