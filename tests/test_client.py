"""LineClient against the emulator: exact requests, parsed results, errors, retries, limits."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from structlog.testing import capture_logs

from linegroupbot import Context, LineClient, RetryPolicy, messages
from linegroupbot.client import RateLimit, RateLimiter
from linegroupbot.emulator import Emulator
from linegroupbot.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    LineApiError,
    LineConnectionError,
    MessageValidationError,
    NotFoundError,
    RateLimitError,
    ServerError,
    UnauthorizedError,
    UnsupportedInScopeError,
)
from tests.conftest import FAST_RETRY


async def _group(emu: Emulator, *names: str) -> str:
    chat = await emu.create_group("Team", list(names) or ["Alice", "Bob"])
    return chat.chat_id


async def test_push_sends_exact_request_and_parses_result(
    line_emulator: Emulator, client: LineClient
) -> None:
    group = await _group(line_emulator)
    result = await client.push(
        group, ["hello", messages.StickerMessage(package_id="1", sticker_id="2")]
    )
    [call] = line_emulator.calls_to("/v2/bot/message/push")
    assert call.method == "POST"
    assert call.json == {
        "to": group,
        "messages": [
            {"type": "text", "text": "hello"},
            {"type": "sticker", "packageId": "1", "stickerId": "2"},
        ],
        "notificationDisabled": False,
    }
    assert call.headers["Authorization"] == "Bearer <redacted>"
    assert call.headers["Content-Type"] == "application/json"
    key = uuid.UUID(call.headers["X-Line-Retry-Key"])
    assert (key.version, key.variant) == (4, uuid.RFC_4122)
    assert str(key) == call.headers["X-Line-Retry-Key"] == result.retry_key  # canonical text
    assert result.request_id == call.request_id
    assert [m.id for m in result.sent_messages] == [m["id"] for m in call.response["sentMessages"]]
    assert result.deduplicated is False


async def test_reply_uses_token_once_and_sends_no_retry_key(
    line_emulator: Emulator, client: LineClient
) -> None:
    group = await line_emulator.create_group("G", ["Alice"], invite_bot=False)
    event = await line_emulator.say(group, "Alice", "hi")  # bot not in group: still issues a token
    token = event["replyToken"]
    result = await client.reply(token, ["one"], notification_disabled=True)
    assert len(result.sent_messages) == 1
    [call] = line_emulator.calls_to("/v2/bot/message/reply")
    assert call.json == {
        "replyToken": token,
        "messages": [{"type": "text", "text": "one"}],
        "notificationDisabled": True,
    }
    assert "X-Line-Retry-Key" not in call.headers
    with pytest.raises(BadRequestError) as info:
        await client.reply(token, ["two"])
    assert info.value.message == "Invalid reply token"
    assert info.value.status == 400
    assert info.value.request_id == line_emulator.world.calls[-1].request_id
    assert len(line_emulator.calls_to("/v2/bot/message/reply")) == 2  # never retried


async def test_multicast_and_broadcast(line_emulator: Emulator, client: LineClient) -> None:
    alice = line_emulator.add_user("Alice", friend=True)
    bob = line_emulator.add_user("Bob", friend=True)
    await client.multicast([alice.user_id, bob.user_id], ["hi all"])
    [call] = line_emulator.calls_to("/v2/bot/message/multicast")
    assert call.json["to"] == [alice.user_id, bob.user_id]
    uuid.UUID(call.headers["X-Line-Retry-Key"])
    await client.broadcast([messages.TextMessage(text="news")])
    [call] = line_emulator.calls_to("/v2/bot/message/broadcast")
    assert call.json["messages"] == [{"type": "text", "text": "news"}]
    assert line_emulator.bot_messages(alice.user_id) == [
        {"type": "text", "text": "hi all"},
        {"type": "text", "text": "news"},
    ]


async def test_multicast_refuses_group_ids_before_sending(
    line_emulator: Emulator, client: LineClient
) -> None:
    group = await _group(line_emulator)
    with pytest.raises(UnsupportedInScopeError, match=r"push\(to=group_id"):
        await client.multicast(["U" + "0" * 32, group], ["hi"])
    assert line_emulator.calls_to("/v2/bot/message/multicast") == []


async def test_group_calls(line_emulator: Emulator, client: LineClient) -> None:
    group = await _group(line_emulator, "Alice", "Bob", "Carol")
    alice = line_emulator.world.user("Alice")
    summary = await client.group_summary(group)
    assert (summary.group_id, summary.group_name) == (group, "Team")
    assert await client.group_member_count(group) == 3
    profile = await client.group_member_profile(group, alice.user_id)
    assert (profile.user_id, profile.display_name) == (alice.user_id, "Alice")
    assert profile.picture_url == alice.picture_url
    paths = [(c.method, c.path) for c in line_emulator.world.calls]
    assert paths == [
        ("GET", f"/v2/bot/group/{group}/summary"),
        ("GET", f"/v2/bot/group/{group}/members/count"),
        ("GET", f"/v2/bot/group/{group}/member/{alice.user_id}"),
    ]
    await client.leave_group(group)
    assert line_emulator.world.chats[group].bot_in is False
    assert line_emulator.world.calls[-1].path == f"/v2/bot/group/{group}/leave"


async def test_room_calls(line_emulator: Emulator, client: LineClient) -> None:
    room = await line_emulator.create_room(["Alice", "Bob"])
    await line_emulator.say(room, "Alice", "hi")  # a room exists once someone speaks
    bob = line_emulator.world.user("Bob")
    assert await client.room_member_count(room.chat_id) == 2
    assert (await client.room_member_profile(room.chat_id, bob.user_id)).display_name == "Bob"
    await client.leave_room(room.chat_id)
    assert line_emulator.world.calls[-1].path == f"/v2/bot/room/{room.chat_id}/leave"


async def test_wrong_kind_of_id_is_refused_before_sending(
    line_emulator: Emulator, client: LineClient
) -> None:
    with pytest.raises(UnsupportedInScopeError, match="rooms have no name"):
        await client.group_summary("R" + "1" * 32)
    with pytest.raises(UnsupportedInScopeError, match="leave_group"):
        await client.leave_room("C" + "1" * 32)
    with pytest.raises(UnsupportedInScopeError, match="one-on-one"):
        await client.show_loading("C" + "1" * 32)
    assert line_emulator.world.calls == []


async def test_member_ids_follow_next_across_pages() -> None:
    async with Emulator(verified=True, member_ids_page_size=2) as emu:
        group = await emu.create_group("Big", [f"user{i}" for i in range(5)])
        async with LineClient(emu.settings.access_token, api_base_url=emu.url) as client:
            ids = [i async for i in client.group_member_ids(group.chat_id)]
        assert ids == group.members
        calls = emu.calls_to(r"/v2/bot/group/.*/members/ids")
        assert [c.query for c in calls] == [{}, {"start": "page-2"}, {"start": "page-4"}]


async def test_member_ids_forbidden_for_unverified_account(
    line_emulator: Emulator, client: LineClient
) -> None:
    group = await _group(line_emulator)
    with pytest.raises(ForbiddenError) as info:
        _ = [i async for i in client.group_member_ids(group)]
    assert info.value.status == 403
    assert "not available" in info.value.message


async def test_profile_and_content(line_emulator: Emulator, client: LineClient) -> None:
    alice = line_emulator.add_user("Alice", friend=True)
    profile = await client.profile(alice.user_id)
    assert profile.display_name == "Alice"
    group = await _group(line_emulator, "Alice")
    event = await line_emulator.send_image(group, alice, b"\x89PNG-bytes", "image/png")
    assert await client.get_content(event["message"]["id"]) == b"\x89PNG-bytes"
    chunks = [c async for c in client.iter_content(event["message"]["id"], chunk_size=4)]
    assert b"".join(chunks) == b"\x89PNG-bytes"
    with pytest.raises(NotFoundError):
        await client.get_content("404404")


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, BadRequestError),
        (401, UnauthorizedError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (409, ConflictError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
    ],
)
async def test_every_error_status_maps_to_its_exception(
    line_emulator: Emulator, status: int, kind: type[LineApiError]
) -> None:
    group = await _group(line_emulator)
    line_emulator.fail_next(f"/v2/bot/group/{group}/summary", status=status, count=10)
    async with LineClient(
        line_emulator.settings.access_token, api_base_url=line_emulator.url, retry=RetryPolicy.off()
    ) as client:
        with pytest.raises(kind) as info:
            await client.group_summary(group)
    error = info.value
    assert type(error) is kind
    assert error.status == status
    assert error.request_id == line_emulator.world.calls[-1].request_id
    assert error.method == "GET"
    assert error.path == f"/v2/bot/group/{group}/summary"
    assert str(status) in str(error)
    assert error.request_id in str(error)


async def test_validation_error_details_are_parsed(
    line_emulator: Emulator, client: LineClient
) -> None:
    group = await _group(line_emulator)
    # Bypass our own validation to see the platform's answer.
    with pytest.raises(BadRequestError) as info:
        await client._call(
            "POST", "/v2/bot/message/push", json={"to": group, "messages": [{"type": "text"}]}
        )
    [detail] = info.value.details
    assert detail.property == "messages[0].text"
    assert "messages[0].text" in str(info.value)


async def test_bad_token_is_401_and_never_shown(line_emulator: Emulator) -> None:
    secret_token = "wrong-token-that-must-not-leak"
    with capture_logs() as logs:
        async with LineClient(secret_token, api_base_url=line_emulator.url) as client:
            with pytest.raises(UnauthorizedError) as info:
                await client.group_member_count("C" + "0" * 32)
    assert secret_token not in str(info.value)
    assert secret_token not in repr(info.value)
    assert secret_token not in repr(client)
    assert logs, "the call should have been logged"
    assert all(secret_token not in repr(entry) for entry in logs)


@pytest.mark.usefixtures("debug_logs")
async def test_api_calls_are_logged_with_status_request_id_attempt_latency(
    line_emulator: Emulator, client: LineClient
) -> None:
    group = await _group(line_emulator)
    with capture_logs() as logs:
        await client.group_member_count(group)
    [entry] = [e for e in logs if e["event"] == "api_call"]
    assert entry["method"] == "GET"
    assert entry["status"] == 200
    assert entry["attempt"] == 1
    assert entry["request_id"] == line_emulator.world.calls[-1].request_id
    assert entry["latency_ms"] >= 0
    assert line_emulator.settings.access_token not in repr(logs)


# --- retries ---


async def test_429_without_retry_after_is_retried(
    line_emulator: Emulator, client: LineClient
) -> None:
    group = await _group(line_emulator)
    line_emulator.fail_next("/v2/bot/message/push", status=429, count=2)
    result = await client.push(group, ["hi"])
    calls = line_emulator.calls_to("/v2/bot/message/push")
    assert [c.status for c in calls] == [429, 429, 200]
    assert len({c.headers["X-Line-Retry-Key"] for c in calls}) == 1  # one key, every attempt
    assert result.request_id == calls[-1].request_id


@pytest.mark.usefixtures("debug_logs")
async def test_429_retry_after_is_honoured(line_emulator: Emulator) -> None:
    group = await _group(line_emulator)
    line_emulator.fail_next(f"/v2/bot/group/{group}/summary", status=429, retry_after=0.3)
    policy = RetryPolicy(attempts=2, base_delay=0.001, max_delay=5.0)
    async with LineClient(
        line_emulator.settings.access_token, api_base_url=line_emulator.url, retry=policy
    ) as client:
        with capture_logs() as logs:
            await client.group_summary(group)
    attempts = [e for e in logs if e["event"] == "api_call"]
    assert [e["status"] for e in attempts] == [429, 200]
    assert policy.delay(1, 0.3) == 0.3  # the wait used is LINE's, not the (tiny) backoff


async def test_500s_then_success(line_emulator: Emulator, client: LineClient) -> None:
    group = await _group(line_emulator)
    line_emulator.fail_next(f"/v2/bot/group/{group}/members/count", status=500, count=3)
    assert await client.group_member_count(group) == 2
    statuses = [c.status for c in line_emulator.calls_to(f"/v2/bot/group/{group}/members/count")]
    assert statuses == [500, 500, 500, 200]


async def test_retries_are_bounded_by_attempts(line_emulator: Emulator, client: LineClient) -> None:
    group = await _group(line_emulator)
    line_emulator.fail_next(f"/v2/bot/group/{group}/members/count", status=503, count=10)
    with pytest.raises(ServerError):
        await client.group_member_count(group)
    assert (
        len(line_emulator.calls_to(f"/v2/bot/group/{group}/members/count")) == FAST_RETRY.attempts
    )


async def test_4xx_is_not_retried(line_emulator: Emulator, client: LineClient) -> None:
    with pytest.raises(NotFoundError):
        await client.group_member_count("C" + "9" * 32)
    assert len(line_emulator.world.calls) == 1


async def test_dropped_connection_is_retried_for_push(
    line_emulator: Emulator, client: LineClient
) -> None:
    group = await _group(line_emulator)
    line_emulator.fail_next("/v2/bot/message/push", drop=True)
    with capture_logs() as logs:
        await client.push(group, ["after a drop"])
    assert [e["attempt"] for e in logs if e["event"] == "api_call_failed"] == [1]
    assert line_emulator.bot_messages(group) == [{"type": "text", "text": "after a drop"}]


async def test_delivered_push_whose_answer_was_lost_is_not_sent_twice(
    line_emulator: Emulator, client: LineClient
) -> None:
    group = await _group(line_emulator)
    line_emulator.fail_next("/v2/bot/message/push", status=500, after=True)
    result = await client.push(group, ["exactly once"])
    first, second = line_emulator.calls_to("/v2/bot/message/push")
    assert (first.status, second.status) == (500, 409)
    assert first.headers["X-Line-Retry-Key"] == second.headers["X-Line-Retry-Key"]
    assert result.deduplicated is True
    assert result.accepted_request_id == first.request_id
    assert line_emulator.bot_messages(group) == [{"type": "text", "text": "exactly once"}]


async def test_reply_is_not_retried_after_a_dropped_connection(
    line_emulator: Emulator, client: LineClient
) -> None:
    group = await line_emulator.create_group("G", ["Alice"])
    event = await line_emulator.say(group, "Alice", "hi")
    line_emulator.fail_next("/v2/bot/message/reply", drop=True)
    with pytest.raises(LineConnectionError) as info:
        await client.reply(event["replyToken"], ["maybe delivered"])
    assert info.value.attempts == 1


async def test_reply_is_retried_when_the_server_is_not_listening() -> None:
    with socket_port() as port:
        policy = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.002)
        async with LineClient(
            "token", api_base_url=f"http://127.0.0.1:{port}", retry=policy
        ) as client:
            with capture_logs() as logs, pytest.raises(LineConnectionError) as info:
                await client.reply("token", ["hi"])
    assert info.value.attempts == 3
    assert [e["attempt"] for e in logs if e["event"] == "api_call_failed"] == [1, 2, 3]


def socket_port() -> _ClosedPort:
    return _ClosedPort()


class _ClosedPort:
    """A loopback port with nothing listening on it."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    def __exit__(self, *_: object) -> None:
        return None


async def test_retry_off_switch(line_emulator: Emulator) -> None:
    group = await _group(line_emulator)
    line_emulator.fail_next("/v2/bot/message/push", status=500)
    async with LineClient(
        line_emulator.settings.access_token, api_base_url=line_emulator.url, retry=RetryPolicy.off()
    ) as client:
        with pytest.raises(ServerError):
            await client.push(group, ["x"])
    assert len(line_emulator.calls_to("/v2/bot/message/push")) == 1


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=4.0)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 4.0)]:
        for _ in range(20):
            assert ceiling / 2 <= policy.delay(attempt, None) <= ceiling
    assert policy.delay(1, 100.0) == 100.0  # LINE's Retry-After is honoured, not capped
    assert policy.delay(1, -1.0) == 0.0


async def test_retry_after_longer_than_max_delay_is_waited_in_full(
    line_emulator: Emulator,
) -> None:
    group = await _group(line_emulator)
    line_emulator.fail_next(f"/v2/bot/group/{group}/summary", status=429, retry_after=0.3)
    policy = RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.05, total_timeout=10)
    async with LineClient(
        line_emulator.settings.access_token, api_base_url=line_emulator.url, retry=policy
    ) as client:
        with capture_logs() as logs:
            await client.group_summary(group)
    [retry] = [e for e in logs if e["event"] == "api_call_retrying"]
    assert retry["delay"] == 0.3


async def test_retry_after_beyond_the_budget_gives_up_at_once_and_says_why(
    line_emulator: Emulator,
) -> None:
    group = await _group(line_emulator)
    line_emulator.fail_next(f"/v2/bot/group/{group}/summary", status=429, retry_after=60)
    policy = RetryPolicy(attempts=3, total_timeout=5)
    async with LineClient(
        line_emulator.settings.access_token, api_base_url=line_emulator.url, retry=policy
    ) as client:
        with pytest.raises(RateLimitError) as info:
            await client.group_summary(group)
    assert "retry after 60 s" in str(info.value)
    assert "5 s budget" in str(info.value)
    assert len(line_emulator.calls_to(f"/v2/bot/group/{group}/summary")) == 1


def test_retry_after_may_be_an_http_date() -> None:
    import email.utils

    from linegroupbot.client import _retry_after

    later = email.utils.formatdate(time.time() + 120, usegmt=True)
    wait = _retry_after({"Retry-After": later})
    assert wait is not None
    assert 100 < wait <= 120
    assert _retry_after({"Retry-After": "soon"}) is None


# --- validation and rate limiting ---


async def test_messages_are_validated_before_sending(
    line_emulator: Emulator, client: LineClient
) -> None:
    group = await _group(line_emulator)
    with pytest.raises(MessageValidationError, match="at most 5"):
        await client.push(group, ["1", "2", "3", "4", "5", "6"])
    with pytest.raises(MessageValidationError) as info:
        await client.push(group, ["x" * 5001])
    assert info.value.property == "messages[0].text"
    with pytest.raises(MessageValidationError, match="HTTPS"):
        await client.push(
            group,
            [
                messages.ImageMessage(
                    original_content_url="http://a/b.png", preview_image_url="https://a/b.png"
                )
            ],
        )
    assert line_emulator.calls_to("/v2/bot/message/push") == []


async def test_rate_limiter_holds_a_slot_for_the_window_after_its_call() -> None:
    limiter = RateLimiter(RateLimit(2, per=0.2))
    await limiter.acquire()
    await limiter.acquire()
    third = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0.05)
    assert not third.done()  # two calls hold both slots, however long they take
    limiter.release()
    await asyncio.sleep(0.05)
    assert not third.done()  # the slot comes back only `per` after its call ended
    await asyncio.wait_for(third, timeout=5)


async def test_rate_limiter_never_lets_more_than_the_limit_into_a_window() -> None:
    # Many callers, each holding its slot a different time: at the moment any request
    # starts, at most `calls` requests may have started within `per` before it ended
    # (the sliding window LINE counts in), and the callers are served in arrival order.
    limit = RateLimit(4, per=0.05)
    limiter = RateLimiter(limit)
    loop = asyncio.get_running_loop()
    spans: list[tuple[float, float]] = []
    order: list[int] = []

    async def request(n: int) -> None:
        await limiter.acquire()
        order.append(n)
        started = loop.time()
        for _ in range(n % 3):
            await asyncio.sleep(0)
        limiter.release()
        spans.append((started, loop.time()))

    async with asyncio.timeout(30):
        await asyncio.gather(*(request(n) for n in range(40)))
    assert order == list(range(40))
    assert len(spans) == 40
    for started, _ in spans:
        holding = [s for s, ended in spans if s <= started < ended + limit.per]
        assert len(holding) <= limit.calls


def _takes_at_once(limiter: RateLimiter) -> bool:
    """Whether an acquire completes without waiting (driven by hand: no clock involved)."""
    step = limiter.acquire()
    try:
        step.send(None)
    except StopIteration:
        return True
    step.close()
    return False


async def test_rate_limiter_gives_back_the_slot_of_a_cancelled_waiter() -> None:
    limiter = RateLimiter(RateLimit(1, per=0.01))
    await limiter.acquire()
    waiting = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0)
    waiting.cancel()  # cancelled while waiting: takes no slot
    with pytest.raises(asyncio.CancelledError):
        await waiting
    limiter.release()
    await asyncio.wait_for(limiter.acquire(), timeout=5)
    # A caller handed the slot and cancelled before it runs gives the slot back unused,
    # free at once (no window after it: it sent nothing).
    caller = limiter.acquire()
    waiter = caller.send(None)  # the caller waits for the slot
    assert not _takes_at_once(limiter)
    limiter.release()
    await asyncio.wait_for(asyncio.shield(waiter), timeout=5)  # the slot is handed over
    with pytest.raises(asyncio.CancelledError):
        caller.throw(asyncio.CancelledError())
    assert _takes_at_once(limiter)
    assert not _takes_at_once(limiter)
    held = RateLimiter(RateLimit(1, per=60))
    assert held.try_acquire()
    assert not held.try_acquire()  # the one slot is taken: no waiting, just no
    held.release()
    assert not held.try_acquire()  # released, but free only `per` after its call


async def test_client_at_the_platform_limit_never_exceeds_it_in_any_second() -> None:
    # The emulator answers 429 to a 6th call within any one second, as LINE does at its
    # limit. A client set to exactly that limit must get every call through, first
    # second included (a token bucket with burst = rate lets twice the limit through).
    async with Emulator(rate_limit=5) as emu:
        group = await emu.create_group("G", ["Alice"])
        async with LineClient(
            emu.settings.access_token,
            api_base_url=emu.url,
            retry=RetryPolicy.off(),
            rate_limits={"default": RateLimit(5)},
        ) as client:
            counts = await asyncio.gather(
                *(client.group_member_count(group.chat_id) for _ in range(11))
            )
        assert counts == [1] * 11
        assert [c.status for c in emu.world.calls] == [200] * 11


def test_rate_limits_name_known_endpoint_classes() -> None:
    with pytest.raises(ValueError, match="unknown endpoint class 'multicats'"):
        LineClient("token", rate_limits={"multicats": 10})
    with pytest.raises(TypeError, match="RateLimit"):
        LineClient("token", rate_limits={"default": (10.0, 10.0)})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="calls must be at least 1"):
        RateLimit(0)


async def test_quota_and_consumption() -> None:
    async with Emulator(monthly_quota=3) as emu:
        group = await emu.create_group("G", ["Alice"])
        async with LineClient(
            emu.settings.access_token, api_base_url=emu.url, retry=RetryPolicy.off()
        ) as client:
            quota = await client.quota()
            assert (quota.type, quota.value) == ("limited", 3)
            await client.push(group.chat_id, ["one", "two"])
            assert await client.quota_consumption() == 2
            with pytest.raises(RateLimitError, match="monthly limit"):
                await client.push(group.chat_id, ["three", "four"])
            assert await client.quota_consumption() == 2
        [call] = emu.calls_to("/v2/bot/message/quota")
        assert call.method == "GET"


async def test_show_loading_in_a_1to1_chat(line_emulator: Emulator, client: LineClient) -> None:
    alice = line_emulator.add_user("Alice", friend=True)
    await client.show_loading(alice.user_id, seconds=10)
    [call] = line_emulator.calls_to("/v2/bot/chat/loading/start")
    assert call.json == {"chatId": alice.user_id, "loadingSeconds": 10}
    assert call.status == 202
    with pytest.raises(ValueError, match="multiple of 5"):
        await client.show_loading(alice.user_id, seconds=7)


async def test_narrowcast_is_accepted_and_reports_progress(
    line_emulator: Emulator, client: LineClient
) -> None:
    alice = line_emulator.add_user("Alice", friend=True)
    line_emulator.add_user("Bob", friend=True)
    line_emulator.add_user("Stranger")
    result = await client.narrowcast(["sale!"], limit={"max": 100})
    [call] = line_emulator.calls_to("/v2/bot/message/narrowcast")
    assert call.status == 202
    assert call.json == {
        "messages": [{"type": "text", "text": "sale!"}],
        "notificationDisabled": False,
        "limit": {"max": 100},
    }
    uuid.UUID(call.headers["X-Line-Retry-Key"])
    assert result.request_id == call.request_id
    assert result.request_id is not None
    progress = await client.narrowcast_progress(result.request_id)
    assert progress == {"phase": "succeeded", "successCount": 2, "failureCount": 0}
    assert line_emulator.bot_messages(alice.user_id) == [{"type": "text", "text": "sale!"}]


async def test_a_bare_string_is_one_text_message_everywhere(
    line_emulator: Emulator, client: LineClient
) -> None:
    group = await line_emulator.create_group("G", ["Alice"], invite_bot=False)
    group.bot_in = True
    await client.push(group.chat_id, "hello")
    await client.push(group.chat_id, messages.TextMessage(text="one object"))
    assert [m["text"] for m in line_emulator.bot_messages(group)] == ["hello", "one object"]
    assert messages.normalize("a long sentence of many characters") == (
        messages.TextMessage(text="a long sentence of many characters"),
    )


async def test_one_string_sends_what_its_text_message_sends(
    line_emulator: Emulator, client: LineClient
) -> None:
    # One plain str takes a short way to JSON; it must be the converter's JSON of the
    # TextMessage, and a str LINE refuses must fail as any message does, before the network.
    group = await _group(line_emulator)
    for text in ("hello", 'ทดสอบ 😀 $ \\n\n"quoted"', "x" * 5000):
        await client.push(group, text)
        await client.push(group, messages.TextMessage(text=text))
    calls = line_emulator.calls_to("/v2/bot/message/push")
    assert len(calls) == 6
    for plain, built in zip(calls[::2], calls[1::2], strict=True):
        assert plain.json == built.json
    assert calls[0].json["messages"] == [{"type": "text", "text": "hello"}]
    for bad, problem in (("", "must not be empty"), ("y" * 5001, "5001 characters")):
        with pytest.raises(MessageValidationError, match=problem) as info:
            await client.push(group, bad)
        assert info.value.property == "messages[0].text"
    assert len(line_emulator.calls_to("/v2/bot/message/push")) == 6


async def test_member_ids_403_says_what_to_use_instead(
    line_emulator: Emulator, client: LineClient
) -> None:
    group = await line_emulator.create_group("G", ["Alice"], invite_bot=False)
    group.bot_in = True
    with pytest.raises(ForbiddenError) as info:
        [uid async for uid in client.group_member_ids(group.chat_id)]
    assert info.value.status == 403
    assert "verified or premium" in str(info.value)
    assert "ctx.roster" in str(info.value)


async def test_bot_rate_limits_reach_its_client() -> None:
    from linegroupbot import Bot
    from linegroupbot.testing import connect

    bot = Bot(rate_limits={"default": 4}, retry=RetryPolicy.off())

    @bot.on_message(command="many")
    async def many(ctx: Context) -> None:
        for n in range(9):
            await ctx.push_to_chat(f"push {n}")

    async with connect(bot, rate_limit=4) as line:
        group = await line.create_group("G", ["Alice"])
        await line.say(group, "Alice", "/many")
        sent = await line.wait_for_bot_messages(group, count=9, timeout=10)
        assert [m["text"] for m in sent] == [f"push {n}" for n in range(9)]
        assert {c.status for c in line.world.calls} == {200}


def test_bot_rejects_an_unknown_rate_limit_class() -> None:
    from linegroupbot import Bot
    from linegroupbot.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="unknown endpoint class 'pushes'"):
        Bot(rate_limits={"pushes": 10})
