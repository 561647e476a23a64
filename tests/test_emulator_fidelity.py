"""The emulator refuses what LINE refuses, and scripts every event a group bot gets.

Each "refused" case follows the official Messaging API spec (``messaging-api.yml``) and the
platform notes: the error bodies are LINE's ``{"message", "details"}`` shape.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web

from linegroupbot import LineClient, parse_webhook
from linegroupbot import events as ev
from linegroupbot.emulator import Emulator

TEXT = [{"type": "text", "text": "hi"}]


class Receiver:
    """A loopback webhook endpoint that records every body."""

    def __init__(self) -> None:
        self.raw: list[tuple[bytes, str]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.raw.append((await request.read(), request.headers["x-line-signature"]))
        return web.Response(text="ok")

    def events(self) -> list[dict[str, Any]]:
        return [e for raw, _ in self.raw for e in orjson.loads(raw)["events"]]

    def types(self) -> list[str]:
        return [e["type"] for e in self.events()]


@pytest.fixture
async def world(aiohttp_server: Any) -> AsyncIterator[tuple[Emulator, Receiver]]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/callback", receiver.handle)
    server = await aiohttp_server(app)
    async with Emulator(webhook_url=str(server.make_url("/callback"))) as emu:
        yield emu, receiver


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    emu: Emulator, http: aiohttp.ClientSession, method: str, path: str, body: Any = None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {emu.settings.access_token}"}
    async with http.request(method, emu.url + path, json=body, headers=headers) as resp:
        raw = await resp.read()
        return resp.status, orjson.loads(raw) if raw[:1] == b"{" else raw


async def control(
    emu: Emulator, http: aiohttp.ClientSession, path: str, body: Any = None
) -> tuple[int, Any]:
    async with http.post(emu.url + path, json=body or {}) as resp:
        return resp.status, await resp.json()


def parsed(emu: Emulator, receiver: Receiver, index: int = -1) -> ev.Event:
    raw, signature = receiver.raw[index]
    return parse_webhook(raw, signature, emu.settings.channel_secret).events[-1]


# --- 1:1 chats have no other members ----------------------------------------------------------


async def test_members_cannot_be_added_to_a_one_to_one_chat(
    world: tuple[Emulator, Receiver], http: aiohttp.ClientSession
) -> None:
    emu, receiver = world
    alice = emu.add_user("Alice", friend=True)
    bob = emu.add_user("Bob")
    direct = emu.direct_chat(alice)
    with pytest.raises(ValueError, match="create_room"):
        await emu.add_member(direct, bob)
    status, body = await control(
        emu, http, f"/_emulator/chats/{direct.chat_id}/add-member", {"user": bob.user_id}
    )
    assert status == 409
    assert "1:1" in body["error"]
    assert direct.members == [alice.user_id]
    assert receiver.raw == []
    with pytest.raises(ValueError, match="unfollow"):
        await emu.remove_bot(direct)
    with pytest.raises(ValueError, match="follow"):
        await emu.invite_bot(direct)
    assert receiver.raw == []


# --- a room nobody spoke in does not exist ------------------------------------------------------


async def test_a_room_nobody_spoke_in_is_unknown_to_the_api(
    world: tuple[Emulator, Receiver], http: aiohttp.ClientSession
) -> None:
    emu, receiver = world
    room = await emu.create_room(["Alice", "Bob"])
    alice = emu.user("Alice")
    base = f"/v2/bot/room/{room.chat_id}"
    status, body = await call(
        emu, http, "POST", "/v2/bot/message/push", {"to": room.chat_id, "messages": TEXT}
    )
    assert status == 400
    assert body["details"][0]["property"] == "to"
    assert (await call(emu, http, "GET", f"{base}/member/{alice.user_id}"))[0] == 404
    assert (await call(emu, http, "GET", f"{base}/members/count"))[0] == 404
    assert (await call(emu, http, "POST", f"{base}/leave"))[0] == 404
    assert room.bot_in is True  # the leave was refused, nothing changed
    assert receiver.raw == []  # no leave for a room whose join the bot never got

    await emu.say(room, alice, "hello")  # now the room exists: join, then the message
    assert receiver.types() == ["join", "message"]
    assert (await call(emu, http, "GET", f"{base}/members/count")) == (200, {"count": 2})
    status, _ = await call(
        emu, http, "POST", "/v2/bot/message/push", {"to": room.chat_id, "messages": TEXT}
    )
    assert status == 200


async def test_removing_the_bot_from_an_unspoken_room_sends_nothing(
    world: tuple[Emulator, Receiver],
) -> None:
    emu, receiver = world
    room = await emu.create_room(["Alice", "Bob"])
    assert await emu.remove_bot(room) is None
    assert room.bot_in is False
    await emu.say(room, "Alice", "anyone?")
    assert receiver.raw == []  # the bot is not there, and never was


# --- quote tokens -------------------------------------------------------------------------------


async def test_member_messages_carry_quote_tokens_that_replies_can_use(
    world: tuple[Emulator, Receiver], http: aiohttp.ClientSession
) -> None:
    emu, receiver = world
    group = await emu.create_group("G", ["Alice"])
    said = await emu.say(group, "Alice", "quote me")
    sticker = await emu.send_sticker(group, "Alice")
    token = said["message"]["quoteToken"]
    assert token
    assert sticker["message"]["quoteToken"] not in ("", token)
    message = parsed(emu, receiver, -2)
    assert isinstance(message, ev.MessageEvent)
    status, answer = await call(
        emu,
        http,
        "POST",
        "/v2/bot/message/reply",
        {
            "replyToken": said["replyToken"],
            "messages": [{"type": "text", "text": "quoted", "quoteToken": token}],
        },
    )
    assert status == 200
    # A quotable message sent by the bot gets its own quote token, a location does not.
    [sent] = answer["sentMessages"]
    assert sent["quoteToken"]
    entry = emu.world.timeline[-1]
    assert (entry.kind, entry.message_id, entry.quote_token) == (
        "bot",
        sent["id"],
        sent["quoteToken"],
    )
    status, answer = await call(
        emu,
        http,
        "POST",
        "/v2/bot/message/push",
        {
            "to": group.chat_id,
            "messages": [
                {"type": "sticker", "packageId": "446", "stickerId": "1988", "quoteToken": token},
                {"type": "location", "title": "t", "address": "a", "latitude": 1, "longitude": 2},
            ],
        },
    )
    assert status == 200
    assert "quoteToken" in answer["sentMessages"][0]
    assert "quoteToken" not in answer["sentMessages"][1]


async def test_unknown_or_foreign_quote_tokens_are_refused(
    world: tuple[Emulator, Receiver], http: aiohttp.ClientSession
) -> None:
    emu, _ = world
    group = await emu.create_group("G", ["Alice"])
    other = await emu.create_group("Other", ["Alice"])
    elsewhere = await emu.say(other, "Alice", "in another group")
    said = await emu.say(group, "Alice", "here")
    before = len(emu.bot_messages(group))
    for token in ("made-up", elsewhere["message"]["quoteToken"]):
        status, body = await call(
            emu,
            http,
            "POST",
            "/v2/bot/message/push",
            {
                "to": group.chat_id,
                "messages": [TEXT[0], {"type": "text", "text": "x", "quoteToken": token}],
            },
        )
        assert status == 400
        assert body == {
            "message": "The request body has 1 error(s)",
            "details": [{"message": "Invalid quote token", "property": "messages[1].quoteToken"}],
        }
    reply = {
        "replyToken": said["replyToken"],
        "messages": [{"type": "text", "text": "x", "quoteToken": "made-up"}],
    }
    assert (await call(emu, http, "POST", "/v2/bot/message/reply", reply))[0] == 400
    # The refused reply did not use up the token.
    reply["messages"] = TEXT
    assert (await call(emu, http, "POST", "/v2/bot/message/reply", reply))[0] == 200
    assert len(emu.bot_messages(group)) == before + 1


async def test_a_quote_of_a_message_names_it(world: tuple[Emulator, Receiver]) -> None:
    emu, receiver = world
    group = await emu.create_group("G", ["Alice", "Bob"])
    first = await emu.say(group, "Alice", "lunch?")
    await emu.say(group, "Bob", "yes!", quote=first["message"]["id"])
    answer = parsed(emu, receiver)
    assert isinstance(answer, ev.MessageEvent)
    assert isinstance(answer.message, ev.TextMessageContent)
    assert answer.message.quoted_message_id == first["message"]["id"]
    with pytest.raises(ValueError, match="to quote"):
        await emu.say(group, "Bob", "?", quote="12345")


# --- unsend, media and files -----------------------------------------------------------------


async def test_unsend_of_a_members_own_message(
    world: tuple[Emulator, Receiver], http: aiohttp.ClientSession
) -> None:
    emu, receiver = world
    group = await emu.create_group("G", ["Alice", "Bob"])
    image = await emu.send_image(group, "Alice", b"picture", "image/png")
    message_id = image["message"]["id"]
    with pytest.raises(ValueError, match="only their own"):
        await emu.unsend(group, "Bob", message_id)
    event = await emu.unsend(group, "Alice", message_id)
    assert "replyToken" not in event
    assert event["unsend"] == {"messageId": message_id}
    unsend = parsed(emu, receiver)
    assert isinstance(unsend, ev.UnsendEvent)
    assert unsend.unsend.message_id == message_id
    assert emu.world.entry(group.chat_id, message_id).unsent is True  # type: ignore[union-attr]
    # LINE forgets an unsent message's content and its quote token.
    status, _ = await call(emu, http, "GET", f"/v2/bot/message/{message_id}/content")
    assert status == 404
    assert image["message"]["quoteToken"] not in emu.world.quote_tokens
    with pytest.raises(ValueError, match="to unsend"):
        await emu.unsend(group, "Alice", message_id)


async def test_video_audio_and_file_messages_are_shaped_like_lines(
    world: tuple[Emulator, Receiver], http: aiohttp.ClientSession
) -> None:
    emu, receiver = world
    group = await emu.create_group("G", ["Alice"])
    video = (await emu.send_video(group, "Alice", b"mp4", duration=3000))["message"]
    audio = (await emu.send_audio(group, "Alice", b"m4a", duration=1500))["message"]
    doc = (await emu.send_file(group, "Alice", b"%PDF-1.7", "minutes.pdf"))["message"]
    # webhook.yml: video has a quote token and content provider, audio no quote token,
    # file only its name and size.
    assert set(video) == {"type", "id", "quoteToken", "contentProvider", "duration"}
    assert set(audio) == {"type", "id", "contentProvider", "duration"}
    assert doc == {"type": "file", "id": doc["id"], "fileName": "minutes.pdf", "fileSize": 8}
    events = [parsed(emu, receiver, i) for i in (-3, -2, -1)]
    kinds = [type(e.message) for e in events if isinstance(e, ev.MessageEvent)]
    assert kinds == [ev.VideoMessageContent, ev.AudioMessageContent, ev.FileMessageContent]
    for message, data in ((video, b"mp4"), (audio, b"m4a"), (doc, b"%PDF-1.7")):
        status, body = await call(emu, http, "GET", f"/v2/bot/message/{message['id']}/content")
        assert (status, body) == (200, data)


async def test_the_control_api_scripts_media_unsend_and_uploads(
    world: tuple[Emulator, Receiver], http: aiohttp.ClientSession
) -> None:
    emu, receiver = world
    group = await emu.create_group("G", ["Alice"])
    base = f"/_emulator/chats/{group.chat_id}"
    data = base64.b64encode(b"voice").decode()
    assert (await control(emu, http, f"{base}/audio", {"user": "Alice", "data": data}))[0] == 200
    assert (await control(emu, http, f"{base}/video", {"user": "Alice"}))[0] == 400
    status, _ = await control(
        emu, http, f"{base}/file", {"user": "Alice", "data": data, "fileName": "a.txt"}
    )
    assert status == 200
    async with http.post(
        f"{emu.url}{base}/upload?user=Alice&name=notes.txt",
        data=b"some notes",
        headers={"Content-Type": "text/plain"},
    ) as resp:
        assert resp.status == 200
        uploaded = (await resp.json())["event"]["message"]
    assert (uploaded["type"], uploaded["fileName"], uploaded["fileSize"]) == (
        "file",
        "notes.txt",
        10,
    )
    async with http.post(
        f"{emu.url}{base}/upload?user=Alice&name=cat.png",
        data=b"png bytes",
        headers={"Content-Type": "image/png"},
    ) as resp:
        picture = (await resp.json())["event"]["message"]
    assert picture["type"] == "image"
    status, _ = await control(
        emu, http, f"{base}/unsend", {"user": "Alice", "message_id": picture["id"]}
    )
    assert status == 200
    assert receiver.types()[-5:] == ["message", "message", "message", "message", "unsend"]
    status, _ = await control(
        emu, http, f"{base}/unsend", {"user": "Alice", "message_id": picture["id"]}
    )
    assert status == 409


# --- several members at once, postbacks, follow ----------------------------------------------


async def test_several_members_join_and_leave_in_one_event(
    world: tuple[Emulator, Receiver], http: aiohttp.ClientSession
) -> None:
    emu, receiver = world
    group = await emu.create_group("G", ["Alice"])
    bob, carol = emu.add_user("Bob"), emu.add_user("Carol", consented=False)
    await emu.add_members(group, [bob, carol, "Alice"])  # Alice is in already
    joined = parsed(emu, receiver)
    assert isinstance(joined, ev.MemberJoinedEvent)
    assert receiver.events()[-1]["joined"]["members"] == [
        {"type": "user", "userId": bob.user_id},
        {"type": "user"},  # Carol has not agreed to the terms
    ]
    status, _ = await control(
        emu,
        http,
        f"/_emulator/chats/{group.chat_id}/remove-member",
        {"users": [bob.user_id, "Carol"]},
    )
    assert status == 200
    assert receiver.events()[-1]["left"]["members"] == [
        {"type": "user", "userId": bob.user_id},
        {"type": "user"},
    ]
    assert receiver.types() == ["join", "memberJoined", "memberLeft"]
    assert group.members == [emu.user("Alice").user_id]


async def test_postbacks_carry_datetime_picker_params(world: tuple[Emulator, Receiver]) -> None:
    emu, receiver = world
    group = await emu.create_group("G", ["Alice"])
    await emu.pick_datetime(group, "Alice", "when", "2026-12-01T18:30")
    await emu.pick_datetime(group, "Alice", "day", "2026-12-24", mode="date")
    await emu.tap_postback(group, "Alice", "at", params={"time": "07:05"})
    params = [e["postback"]["params"] for e in receiver.events()[1:]]
    assert params == [{"datetime": "2026-12-01T18:30"}, {"date": "2026-12-24"}, {"time": "07:05"}]
    postback = parsed(emu, receiver, -3)
    assert isinstance(postback, ev.PostbackEvent)
    assert postback.postback.params is not None
    assert postback.postback.params.datetime == "2026-12-01T18:30"
    for bad, match in [
        ({"date": "01/12/2026"}, "YYYY-MM-DD"),
        ({"when": "now"}, "not sent by LINE"),
        ({"date": "2026-12-01", "time": "10:00"}, "not several"),
    ]:
        with pytest.raises(ValueError, match=match):
            await emu.tap_postback(group, "Alice", "x", params=bad)
    assert len(receiver.raw) == 4


async def test_follow_unfollow_and_unblock_in_one_to_one(
    world: tuple[Emulator, Receiver],
) -> None:
    emu, receiver = world
    alice = emu.add_user("Alice")
    await emu.follow(alice)
    assert await emu.follow(alice) is None  # a friend already: nothing to send
    await emu.unfollow(alice)
    assert await emu.unfollow(alice) is None
    await emu.follow(alice)
    follow, unfollow, again = receiver.events()
    assert follow["follow"] == {"isUnblocked": False}
    assert "replyToken" in follow
    assert "replyToken" not in unfollow
    assert again["follow"] == {"isUnblocked": True}
    assert isinstance(parsed(emu, receiver), ev.FollowEvent)
    assert emu.direct_chat(alice).bot_in is True


# --- mentions built by the page --------------------------------------------------------------


async def test_explicit_mentions_become_lines_mention_data(
    world: tuple[Emulator, Receiver],
) -> None:
    emu, _ = world
    group = await emu.create_group("G", ["Alice", "Bob"])
    carol = emu.add_user("Carol", consented=False)
    await emu.add_member(group, carol)
    text = "@Bot @Carol @All hi"
    event = await emu.say(
        group,
        "Alice",
        text,
        mentions=[
            {"index": 0, "length": 4, "user": emu.world.bot_user_id},
            {"index": 5, "length": 6, "user": carol.user_id},
            {"index": 12, "length": 4, "type": "all"},
        ],
    )
    assert event["message"]["mention"]["mentionees"] == [
        {"index": 0, "length": 4, "type": "user", "userId": emu.world.bot_user_id, "isSelf": True},
        {"index": 5, "length": 6, "type": "user"},  # no consent: no userId
        {"index": 12, "length": 4, "type": "all"},
    ]
    with pytest.raises(ValueError, match="cover an @name"):
        await emu.say(group, "Alice", "hello", mentions=[{"index": 0, "length": 3, "user": "Bob"}])
    zed = emu.add_user("Zed")
    with pytest.raises(ValueError, match="not in this chat"):
        await emu.say(group, "Alice", "@Zed", mentions=[{"index": 0, "length": 4, "user": zed}])


# --- Chat objects, loading, the inspector's records ---------------------------------------------


async def test_chats_users_and_ids_are_interchangeable_in_helpers(
    world: tuple[Emulator, Receiver],
) -> None:
    emu, receiver = world
    alice = emu.add_user("Alice", friend=True)
    group = await emu.create_group("G", [alice])
    await emu.say(alice, alice, "in our 1:1")  # a User as the chat: their 1:1 chat
    await emu.say(group.chat_id, alice.user_id, "by IDs")
    await emu.say("G", "Alice", "by names")
    assert emu.chat(alice) is emu.direct_chat(alice.user_id)
    assert emu.chat(group.chat_id) is group
    sources = [e["source"] for e in receiver.events()[1:]]
    assert sources[0] == {"type": "user", "userId": alice.user_id}
    assert (
        sources[1]
        == sources[2]
        == {
            "type": "group",
            "groupId": group.chat_id,
            "userId": alice.user_id,
        }
    )
    assert emu.bot_messages(alice) == emu.bot_messages(alice.user_id)


async def test_loading_animation_is_one_to_one_in_steps_of_five(
    world: tuple[Emulator, Receiver], http: aiohttp.ClientSession
) -> None:
    emu, _ = world
    alice = emu.add_user("Alice", friend=True)
    path = "/v2/bot/chat/loading/start"
    for seconds in (3, 7, 65):
        status, body = await call(
            emu, http, "POST", path, {"chatId": alice.user_id, "loadingSeconds": seconds}
        )
        assert status == 400
        assert body["details"][0]["property"] == "loadingSeconds"
    status, _ = await call(emu, http, "POST", path, {"chatId": alice.user_id, "loadingSeconds": 10})
    assert status == 202
    direct = emu.direct_chat(alice)
    assert direct.loading_until is not None
    status, _ = await call(
        emu, http, "POST", "/v2/bot/message/push", {"to": alice.user_id, "messages": TEXT}
    )
    assert status == 200
    assert direct.loading_until is None  # a message from the bot ends the animation


async def test_calls_and_deliveries_keep_what_the_inspector_shows(
    world: tuple[Emulator, Receiver], http: aiohttp.ClientSession
) -> None:
    emu, receiver = world
    group = await emu.create_group("G", ["Alice"])
    said = await emu.say(group, "Alice", "hi")
    key = "6f1c2a4e-59b3-4c1e-9d7e-0b9a4c3d2e1f"
    async with http.post(
        emu.url + "/v2/bot/message/push",
        json={"to": group.chat_id, "messages": TEXT},
        headers={"Authorization": f"Bearer {emu.settings.access_token}", "X-Line-Retry-Key": key},
    ) as resp:
        assert resp.status == 200
    await call(
        emu,
        http,
        "POST",
        "/v2/bot/message/reply",
        {"replyToken": said["replyToken"], "messages": TEXT},
    )
    push, reply = emu.world.calls
    assert (push.retry_key, push.chat_id) == (key, group.chat_id)
    assert (reply.retry_key, reply.chat_id) == (None, group.chat_id)
    assert push.latency_ms is not None
    assert push.latency_ms >= 0
    delivery = emu.world.deliveries[-1]
    assert delivery.chat_ids == [group.chat_id]
    assert delivery.status == 200
    assert delivery.latency_ms is not None
    assert (delivery.body.encode(), delivery.signature) == receiver.raw[-1]
    async with http.get(emu.url + "/_emulator/state") as resp:
        state = await resp.json()
    assert [c["retry_key"] for c in state["calls"]] == [key, None]
    assert state["deliveries"][-1]["body"] == delivery.body


# --- message objects checked as LINE checks them ---------------------------------------------

POSTBACK = {"type": "postback", "label": "Yes", "data": "yes"}


def _buttons(**template: Any) -> dict[str, Any]:
    base = {"type": "buttons", "text": "Lunch?", "actions": [POSTBACK]}
    return {"type": "template", "altText": "Lunch?", "template": {**base, **template}}


@pytest.mark.parametrize(
    ("message", "prop"),
    [
        (_buttons(actions=[POSTBACK] * 5), "messages[0].template.actions"),
        (_buttons(actions=[]), "messages[0].template.actions"),
        (_buttons(title="t", text="x" * 61), "messages[0].template.text"),
        (
            _buttons(actions=[{**POSTBACK, "label": "a label far longer than twenty"}]),
            "messages[0].template.actions[0].label",
        ),
        (
            _buttons(actions=[{"type": "uri", "label": "Go", "uri": "javascript:alert(1)"}]),
            "messages[0].template.actions[0].uri",
        ),
        (
            _buttons(actions=[{"type": "datetimepicker", "label": "When", "data": "d"}]),
            "messages[0].template.actions[0].mode",
        ),
        (
            {
                "type": "template",
                "altText": "c",
                "template": {"type": "confirm", "text": "Sure?", "actions": [POSTBACK]},
            },
            "messages[0].template.actions",
        ),
        (
            {
                "type": "template",
                "altText": "c",
                "template": {
                    "type": "carousel",
                    "columns": [
                        {"text": "a", "actions": [POSTBACK]},
                        {"text": "b", "actions": [POSTBACK, POSTBACK]},
                    ],
                },
            },
            "messages[0].template.columns",
        ),
        (
            {
                "type": "text",
                "text": "hi",
                "quickReply": {"items": [{"type": "action", "action": {"type": "message"}}]},
            },
            "messages[0].quickReply.items[0].action.label",
        ),
        (
            {"type": "flex", "altText": "f", "contents": {"type": "carousel", "contents": []}},
            "messages[0].contents.contents",
        ),
        (
            {
                "type": "flex",
                "altText": "f",
                "contents": {"type": "bubble", "body": {"type": "text", "text": "x" * 31_000}},
            },
            "messages[0].contents",
        ),
        (
            {
                "type": "imagemap",
                "altText": "m",
                "baseUrl": "https://example.com/map",
                "baseSize": {"width": 1040, "height": 1040},
                "actions": [],
            },
            "messages[0].actions",
        ),
        (
            {"type": "text", "text": "hi", "sender": {"name": "n" * 21}},
            "messages[0].sender.name",
        ),
    ],
)
async def test_message_objects_over_lines_limits_are_400(
    world: tuple[Emulator, Receiver], http: aiohttp.ClientSession, message: Any, prop: str
) -> None:
    emu, _ = world
    group = await emu.create_group("G", ["Alice"])
    status, body = await call(
        emu, http, "POST", "/v2/bot/message/push", {"to": group.chat_id, "messages": [message]}
    )
    assert status == 400
    assert prop in [d["property"] for d in body["details"]]
    assert emu.bot_messages(group, since=0) == []


async def test_messages_within_the_limits_are_accepted(
    world: tuple[Emulator, Receiver], http: aiohttp.ClientSession
) -> None:
    emu, _ = world
    group = await emu.create_group("G", ["Alice"])
    messages = [
        _buttons(
            actions=[
                POSTBACK,
                {"type": "uri", "label": "Site", "uri": "https://example.com"},
                {"type": "datetimepicker", "label": "When", "data": "when", "mode": "datetime"},
                {"type": "message", "label": "Say", "text": "hello"},
            ]
        ),
        {
            "type": "text",
            "text": "pick",
            "quickReply": {"items": [{"type": "action", "action": POSTBACK}] * 13},
        },
    ]
    status, _ = await call(
        emu, http, "POST", "/v2/bot/message/push", {"to": group.chat_id, "messages": messages}
    )
    assert status == 200


async def test_broadcast_answers_429_past_lines_hourly_limit(
    world: tuple[Emulator, Receiver], http: aiohttp.ClientSession
) -> None:
    emu, _ = world
    emu.add_user("Alice", friend=True)
    body = {"messages": TEXT}
    statuses = [
        (await call(emu, http, "POST", "/v2/bot/message/broadcast", body))[0] for _ in range(61)
    ]
    assert statuses[:60] == [200] * 60
    assert statuses[60] == 429
    # Each endpoint is counted on its own: pushes still go through.
    alice = emu.user("Alice")
    push = {"to": alice.user_id, "messages": TEXT}
    assert (await call(emu, http, "POST", "/v2/bot/message/push", push))[0] == 200


async def test_lines_limits_can_be_switched_off(http: aiohttp.ClientSession) -> None:
    async with Emulator(line_rate_limits=False) as emu:
        emu.add_user("Alice", friend=True)
        for _ in range(61):
            status, _ = await call(
                emu, http, "POST", "/v2/bot/message/broadcast", {"messages": TEXT}
            )
            assert status == 200


async def test_calls_can_be_looked_up_by_chat(world: tuple[Emulator, Receiver]) -> None:
    emu, _ = world
    alice = emu.add_user("Alice", friend=True)
    group = await emu.create_group("G", [alice])
    async with LineClient(emu.settings.access_token, api_base_url=emu.url) as client:
        await client.push(group.chat_id, "to the group")
        await client.push(alice.user_id, "to Alice")
    [to_group] = await emu.wait_for_call("/v2/bot/message/push", chat=group)
    assert to_group.json["messages"][0]["text"] == "to the group"
    [to_alice] = emu.calls_to("/v2/bot/message/push", chat=alice)
    assert to_alice.json["to"] == alice.user_id
    assert len(emu.calls_to("/v2/bot/message/push")) == 2


async def test_the_control_api_asks_who_acts(
    world: tuple[Emulator, Receiver], http: aiohttp.ClientSession
) -> None:
    emu, receiver = world
    group = await emu.create_group("G", ["Alice"])
    status, body = await control(emu, http, f"/_emulator/chats/{group.chat_id}/say", {"text": "x"})
    assert status == 400
    assert "needs the user" in body["error"]
    assert receiver.types() == ["join"]
    assert [u.display_name for u in emu.world.users.values()] == ["Alice"]


async def test_redeliver_sends_the_same_events_marked_as_redelivered(
    world: tuple[Emulator, Receiver], http: aiohttp.ClientSession
) -> None:
    emu, receiver = world
    group = await emu.create_group("G", ["Alice"])
    await emu.say(group, "Alice", "hi")
    first = emu.world.deliveries[-1]
    again = await emu.redeliver(first)
    assert again is not None
    assert (again.event_ids, again.attempt, again.is_redelivery) == (first.event_ids, 2, True)
    assert receiver.events()[-1]["deliveryContext"] == {"isRedelivery": True}
    status, _ = await control(emu, http, f"/_emulator/deliveries/{first.seq}/redeliver")
    assert status == 200
    assert (await control(emu, http, "/_emulator/deliveries/999999/redeliver"))[0] == 404
    assert len(receiver.raw) == 4


async def test_members_can_quote_the_bots_messages(
    world: tuple[Emulator, Receiver], http: aiohttp.ClientSession
) -> None:
    emu, receiver = world
    group = await emu.create_group("G", ["Alice"])
    status, answer = await call(
        emu, http, "POST", "/v2/bot/message/push", {"to": group.chat_id, "messages": TEXT}
    )
    assert status == 200
    [sent] = answer["sentMessages"]
    await emu.say(group, "Alice", "about that", quote=sent["id"])
    assert receiver.events()[-1]["message"]["quotedMessageId"] == sent["id"]


async def test_one_to_one_chats_have_no_mentions(world: tuple[Emulator, Receiver]) -> None:
    emu, receiver = world
    alice = emu.add_user("Alice", friend=True)
    event = await emu.say(alice, alice, "@Bot @All hello")
    assert "mention" not in event["message"]
    with pytest.raises(ValueError, match="no mentions in 1:1"):
        await emu.say(alice, alice, "@Bot", mentions=[{"index": 0, "length": 4, "user": "Bot"}])
    assert receiver.types() == ["message"]
