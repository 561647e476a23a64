"""The emulated LINE platform: what it accepts, what it rejects, and the webhooks it sends."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web

from linegroupbot import LineClient, parse_webhook
from linegroupbot import events as ev
from linegroupbot.emulator import Emulator
from linegroupbot.emulator.validation import validate_messages


class Api:
    """Raw HTTP against the emulator, to see exactly what it answers."""

    def __init__(self, emu: Emulator, session: aiohttp.ClientSession) -> None:
        self.emu = emu
        self.session = session

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, Any]:
        sent = {"Authorization": f"Bearer {token or self.emu.settings.access_token}"}
        sent.update(headers or {})
        async with self.session.request(
            method, self.emu.url + path, json=body, headers=sent
        ) as resp:
            raw = await resp.read()
            data = orjson.loads(raw) if raw[:1] == b"{" else raw
            return resp.status, data, resp.headers


@pytest.fixture
async def api(line_emulator: Emulator) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(line_emulator, session)


TEXT = [{"type": "text", "text": "hi"}]


async def test_every_answer_has_a_request_id(api: Api) -> None:
    status, _, headers = await api.call("GET", "/v2/bot/profile/U404")
    assert status == 404
    uuid.UUID(headers["x-line-request-id"])


async def test_bad_bearer_token_is_401(api: Api) -> None:
    status, body, _ = await api.call("GET", "/v2/bot/profile/U1", token="nope")
    assert status == 401
    assert "access token" in body["message"]


@pytest.mark.parametrize(
    ("messages", "prop"),
    [
        ([], "messages"),
        ([{"type": "text", "text": str(i)} for i in range(6)], "messages"),
        ([{"type": "text", "text": "x" * 5001}], "messages[0].text"),
        ([{"type": "text"}], "messages[0].text"),
        (
            [
                {
                    "type": "image",
                    "originalContentUrl": "http://x/a.png",
                    "previewImageUrl": "https://x/a.png",
                }
            ],
            "messages[0].originalContentUrl",
        ),
        ([{"type": "sticker", "packageId": "1"}], "messages[0].stickerId"),
        ([{"type": "hologram"}], "messages[0].type"),
        ([{"type": "flex", "altText": "", "contents": {}}], "messages[0].altText"),
    ],
)
async def test_invalid_messages_are_400_with_details(
    line_emulator: Emulator, api: Api, messages: list[Any], prop: str
) -> None:
    group = await line_emulator.create_group("G", ["Alice"])
    status, body, _ = await api.call(
        "POST", "/v2/bot/message/push", {"to": group.chat_id, "messages": messages}
    )
    assert status == 400
    assert prop in [d["property"] for d in body["details"]]
    assert line_emulator.bot_messages(group, since=0)[1:] == []  # only the join greeting, if any


def test_validation_accepts_every_builder_output() -> None:
    from linegroupbot import convert, messages

    built = messages.normalize(
        [
            "text",
            messages.mention("hi {a}", a="U" + "1" * 32),
            messages.buttons("Lunch?", ["Yes", "No"]),
            messages.LocationMessage(title="t", address="a", latitude=1.0, longitude=2.0),
            messages.FlexMessage(alt_text="flex", contents={"type": "bubble"}),
        ]
    )
    assert validate_messages(convert.unstructure(list(built))) == []


async def test_reply_token_is_single_use(line_emulator: Emulator, api: Api) -> None:
    group = await line_emulator.create_group("G", ["Alice"], invite_bot=False)
    event = await line_emulator.say(group, "Alice", "hi")
    body = {"replyToken": event["replyToken"], "messages": TEXT}
    assert (await api.call("POST", "/v2/bot/message/reply", body))[0] == 200
    status, answer, _ = await api.call("POST", "/v2/bot/message/reply", body)
    assert (status, answer["message"]) == (400, "Invalid reply token")


async def test_reply_token_expires() -> None:
    async with Emulator(reply_token_ttl=0.05) as emu, aiohttp.ClientSession() as session:
        group = await emu.create_group("G", ["Alice"], invite_bot=False)
        event = await emu.say(group, "Alice", "hi")
        await asyncio.sleep(0.1)
        status, answer, _ = await Api(emu, session).call(
            "POST", "/v2/bot/message/reply", {"replyToken": event["replyToken"], "messages": TEXT}
        )
    assert (status, answer["message"]) == (400, "Invalid reply token")


async def test_retry_key_only_where_line_takes_it(line_emulator: Emulator, api: Api) -> None:
    group = await line_emulator.create_group("G", ["Alice"], invite_bot=False)
    event = await line_emulator.say(group, "Alice", "hi")
    status, answer, _ = await api.call(
        "POST",
        "/v2/bot/message/reply",
        {"replyToken": event["replyToken"], "messages": TEXT},
        headers={"X-Line-Retry-Key": str(uuid.uuid4())},
    )
    assert status == 400
    assert "Retry-Key" in answer["message"]


async def test_retry_key_repeats_get_409_with_the_accepted_id(
    line_emulator: Emulator, api: Api
) -> None:
    group = await line_emulator.create_group("G", ["Alice"])
    key = {"X-Line-Retry-Key": str(uuid.uuid4())}
    body = {"to": group.chat_id, "messages": TEXT}
    status, first, headers = await api.call("POST", "/v2/bot/message/push", body, headers=key)
    assert status == 200
    status, again, again_headers = await api.call("POST", "/v2/bot/message/push", body, headers=key)
    assert status == 409
    assert again_headers["x-line-accepted-request-id"] == headers["x-line-request-id"]
    assert again["sentMessages"] == first["sentMessages"]
    assert len(line_emulator.bot_messages(group, since=0)) == 1


async def test_push_to_a_chat_the_bot_is_not_in_is_refused(
    line_emulator: Emulator, api: Api
) -> None:
    group = await line_emulator.create_group("G", ["Alice"], invite_bot=False)
    status, body, _ = await api.call(
        "POST", "/v2/bot/message/push", {"to": group.chat_id, "messages": TEXT}
    )
    assert status == 400
    assert body["details"][0]["property"] == "to"


async def test_multicast_refuses_groups_and_rooms(line_emulator: Emulator, api: Api) -> None:
    group = await line_emulator.create_group("G", ["Alice"])
    status, body, _ = await api.call(
        "POST", "/v2/bot/message/multicast", {"to": [group.chat_id], "messages": TEXT}
    )
    assert status == 400
    assert body["details"][0]["property"] == "to[0]"


async def test_profile_of_non_member_is_404(line_emulator: Emulator, api: Api) -> None:
    group = await line_emulator.create_group("G", ["Alice"])
    outsider = line_emulator.add_user("Zed")
    status, _, _ = await api.call("GET", f"/v2/bot/group/{group.chat_id}/member/{outsider.user_id}")
    assert status == 404
    status, _, _ = await api.call("GET", f"/v2/bot/profile/{outsider.user_id}")
    assert status == 404  # not a friend


async def test_member_ids_need_a_verified_account(api: Api, line_emulator: Emulator) -> None:
    group = await line_emulator.create_group("G", ["Alice"])
    status, body, _ = await api.call("GET", f"/v2/bot/group/{group.chat_id}/members/ids")
    assert status == 403
    assert "not available" in body["message"]


async def test_rate_limit_answers_429() -> None:
    async with Emulator(rate_limit=2) as emu, aiohttp.ClientSession() as session:
        api = Api(emu, session)
        statuses = [(await api.call("GET", "/v2/bot/profile/U1"))[0] for _ in range(4)]
    assert statuses[:2] == [404, 404]
    assert 429 in statuses[2:]


async def test_fault_injection_status_delay_and_count(line_emulator: Emulator, api: Api) -> None:
    line_emulator.fail_next("/v2/bot/profile/.*", status=503, count=2)
    statuses = [(await api.call("GET", "/v2/bot/profile/U1"))[0] for _ in range(3)]
    assert statuses == [503, 503, 404]


async def test_fault_injection_can_drop_the_connection(line_emulator: Emulator, api: Api) -> None:
    # aiohttp itself retries an idempotent GET once on a dropped connection: drop both tries.
    line_emulator.fail_next("/v2/bot/profile/U1", drop=True, count=2)
    with pytest.raises(aiohttp.ClientError):
        await api.call("GET", "/v2/bot/profile/U1")
    assert (await api.call("GET", "/v2/bot/profile/U1"))[0] == 404


# --- the world and its webhooks ------------------------------------------------------------------


class Receiver:
    """A loopback webhook endpoint that records (and can fail) deliveries."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.signatures: list[tuple[bytes, str]] = []
        self.fail_next = 0

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.signatures.append((raw, request.headers["x-line-signature"]))
        self.bodies.append(orjson.loads(raw))
        if self.fail_next:
            self.fail_next -= 1
            return web.Response(status=500)
        return web.Response(text="ok")

    def events(self) -> list[dict[str, Any]]:
        return [e for b in self.bodies for e in b["events"]]


@pytest.fixture
async def world(aiohttp_server: Any) -> AsyncIterator[tuple[Emulator, Receiver]]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/callback", receiver.handle)
    server = await aiohttp_server(app)
    async with Emulator(
        webhook_url=str(server.make_url("/callback")), redelivery_delay=0.01
    ) as emu:
        yield emu, receiver


async def test_webhooks_are_signed_and_parse(world: tuple[Emulator, Receiver]) -> None:
    emu, receiver = world
    group = await emu.create_group("G", ["Alice"])
    await emu.say(group, "Alice", "hi @Bot and @All")
    for raw, signature in receiver.signatures:
        body = parse_webhook(raw, signature, emu.settings.channel_secret)
        assert body.destination == emu.world.bot_user_id
    join, _message = receiver.events()
    assert join["type"] == "join"
    assert "replyToken" in join
    parsed = parse_webhook(*receiver.signatures[-1], emu.settings.channel_secret).events[0]
    assert isinstance(parsed, ev.MessageEvent)
    assert isinstance(parsed.message, ev.TextMessageContent)
    assert parsed.message.mentions_bot
    assert parsed.message.mentions_all
    assert parsed.source == ev.GroupSource(
        group_id=group.chat_id, user_id=emu.world.user("Alice").user_id
    )


async def test_room_join_arrives_with_the_first_event(world: tuple[Emulator, Receiver]) -> None:
    emu, receiver = world
    room = await emu.create_room(["Alice", "Bob"])
    assert receiver.bodies == []
    assert room.exists is False
    await emu.say(room, "Bob", "first")
    assert [e["type"] for e in receiver.bodies[0]["events"]] == ["join", "message"]
    assert room.exists is True
    await emu.say(room, "Bob", "second")
    assert [e["type"] for e in receiver.bodies[1]["events"]] == ["message"]


async def test_members_without_consent_have_no_user_id(world: tuple[Emulator, Receiver]) -> None:
    emu, receiver = world
    group = await emu.create_group("G", ["Alice"])
    carol = emu.add_user("Carol", consented=False)
    await emu.add_member(group, carol)
    await emu.say(group, carol, "hello")
    emu.set_consent(carol, True)
    await emu.say(group, carol, "now you know me")
    joined, anonymous, known = receiver.events()[1:]
    assert joined["type"] == "memberJoined"
    assert "userId" not in anonymous["source"]
    assert known["source"]["userId"] == carol.user_id


async def test_member_left_remove_bot_and_follow(world: tuple[Emulator, Receiver]) -> None:
    emu, receiver = world
    group = await emu.create_group("G", ["Alice", "Bob"])
    await emu.remove_member(group, "Bob")
    await emu.remove_bot(group)
    await emu.say(group, "Alice", "the bot is gone")  # not delivered
    await emu.follow("Alice")
    await emu.tap_postback(
        emu.world.direct_chat(emu.world.user("Alice").user_id),
        "Alice",
        "a=1",
        params={"date": "2026-12-01"},
    )
    await emu.unfollow("Alice")
    types = [e["type"] for e in receiver.events()]
    assert types == ["join", "memberLeft", "leave", "follow", "postback", "unfollow"]
    postback = receiver.events()[4]
    assert postback["postback"] == {"data": "a=1", "params": {"date": "2026-12-01"}}
    assert postback["source"] == {"type": "user", "userId": emu.world.user("Alice").user_id}


async def test_bot_leaving_through_the_api_gets_a_leave_event(
    world: tuple[Emulator, Receiver],
) -> None:
    emu, _receiver = world
    group = await emu.create_group("G", ["Alice"])
    async with aiohttp.ClientSession() as session:
        status, _, _ = await Api(emu, session).call("POST", f"/v2/bot/group/{group.chat_id}/leave")
    assert status == 200
    await emu.wait_for_delivery(lambda d: d.event_types == ["leave"])
    assert group.bot_in is False


async def test_failed_delivery_is_redelivered_with_the_same_event_id(
    world: tuple[Emulator, Receiver],
) -> None:
    emu, receiver = world
    group = await emu.create_group("G", ["Alice"])
    receiver.fail_next = 1
    await emu.say(group, "Alice", "will fail once")
    again = await emu.wait_for_delivery(lambda d: d.is_redelivery)
    assert again.status == 200
    first, second = receiver.bodies[-2:]
    assert first["events"][0]["webhookEventId"] == second["events"][0]["webhookEventId"]
    assert first["events"][0]["deliveryContext"] == {"isRedelivery": False}
    assert second["events"][0]["deliveryContext"] == {"isRedelivery": True}
    assert [d.status for d in emu.world.deliveries[-2:]] == [500, 200]


async def test_redelivery_can_be_switched_off(aiohttp_server: Any) -> None:
    receiver = Receiver()
    receiver.fail_next = 5
    app = web.Application()
    app.router.add_post("/callback", receiver.handle)
    server = await aiohttp_server(app)
    async with Emulator(webhook_url=str(server.make_url("/callback")), redelivery=False) as emu:
        await emu.create_group("G", ["Alice"])
        await asyncio.sleep(0.05)
    assert len(receiver.bodies) == 1


async def test_unreachable_bot_is_recorded(line_emulator: Emulator) -> None:
    line_emulator.set_webhook_url("http://127.0.0.1:9/callback")
    line_emulator.sender.redelivery = False
    await line_emulator.create_group("G", ["Alice"])
    [delivery] = line_emulator.world.deliveries
    assert delivery.status is None
    assert delivery.error


async def test_control_api_drives_the_world(line_emulator: Emulator) -> None:
    async with aiohttp.ClientSession() as session:

        async def post(path: str, body: dict[str, Any]) -> Any:
            async with session.post(line_emulator.url + path, json=body) as resp:
                return resp.status, await resp.json()

        status, alice = await post("/_emulator/users", {"name": "Alice"})
        assert status == 200
        status, group = await post(
            "/_emulator/groups", {"name": "G", "members": [alice["user_id"]]}
        )
        assert group["bot_in"] is True
        status, _ = await post(
            f"/_emulator/chats/{group['chat_id']}/say", {"user": "Alice", "text": "yo"}
        )
        assert status == 200
        assert (await post("/_emulator/chats/nope/say", {"user": "Alice", "text": "x"}))[0] == 404
        assert (await post("/_emulator/groups", {"members": []}))[0] == 400
        status, _ = await post(f"/_emulator/users/{alice['user_id']}/consent", {"consented": False})
        assert line_emulator.world.user("Alice").consented is False
        async with session.get(line_emulator.url + "/_emulator/state") as resp:
            state = await resp.json()
    assert [e["message"]["text"] for e in state["timeline"] if e["kind"] == "member"] == ["yo"]
    async with aiohttp.ClientSession() as session, session.get(line_emulator.url + "/") as resp:
        assert resp.status == 200
        assert "linegroupbot emulator" in await resp.text()


async def test_a_bot_that_times_out_gets_the_event_again(aiohttp_server: Any) -> None:
    seen: list[dict[str, Any]] = []

    async def slow_then_fast(request: web.Request) -> web.Response:
        seen.append(orjson.loads(await request.read()))
        if len(seen) == 1:
            await asyncio.sleep(1.0)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/callback", slow_then_fast)
    server = await aiohttp_server(app)
    async with Emulator(
        webhook_url=str(server.make_url("/callback")), webhook_timeout=0.1, redelivery_delay=0.01
    ) as emu:
        await emu.create_group("G", ["Alice"])
        again = await emu.wait_for_delivery(lambda d: d.is_redelivery)
        first = emu.world.deliveries[0]
    assert first.status is None
    assert first.error is not None
    assert "Timeout" in first.error
    assert again.status == 200
    assert seen[0]["events"][0]["webhookEventId"] == seen[1]["events"][0]["webhookEventId"]


async def test_only_members_can_speak(line_emulator: Emulator) -> None:
    group = await line_emulator.create_group("G", ["Alice"])
    with pytest.raises(ValueError, match="not a member"):
        await line_emulator.say(group, "Zed", "let me in")
    with pytest.raises(ValueError, match="add_member"):
        await line_emulator.tap_postback(group, "Zed", "x")
    assert [e.kind for e in line_emulator.world.timeline if e.chat_id == group.chat_id] == [
        "system",
        "system",
    ]
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{line_emulator.url}/_emulator/chats/{group.chat_id}/say",
            json={"user": "Zed", "text": "hi"},
        ) as resp,
    ):
        assert resp.status == 409
        assert "not a member" in (await resp.json())["error"]


async def test_the_calls_view_lists_api_calls(line_emulator: Emulator, client: LineClient) -> None:
    group = await line_emulator.create_group("G", ["Alice"], invite_bot=False)
    group.bot_in = True
    await client.push(group.chat_id, ["hello"])
    async with (
        aiohttp.ClientSession() as session,
        session.get(line_emulator.url + "/_emulator/calls") as resp,
    ):
        assert resp.status == 200
        calls = await resp.json()
    text = str(calls)
    assert "/v2/bot/message/push" in text
    assert line_emulator.settings.access_token not in text
