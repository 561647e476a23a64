"""Typed webhook models and the converter."""

from __future__ import annotations

import typing
from typing import Any

import attrs
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linegroupbot import convert
from linegroupbot import events as ev
from linegroupbot.errors import InvalidWebhookBodyError
from tests.payloads import ALICE, BOB, BOT_ID, EVENTS, GROUP, MESSAGES, ROOM, body, event

EXPECTED_CLASS = {
    "unsend": ev.UnsendEvent,
    "messageEdited": ev.MessageEditedEvent,
    "follow": ev.FollowEvent,
    "unfollow": ev.UnfollowEvent,
    "join": ev.JoinEvent,
    "leave": ev.LeaveEvent,
    "memberJoined": ev.MemberJoinedEvent,
    "memberLeft": ev.MemberLeftEvent,
    "postback": ev.PostbackEvent,
    "videoPlayComplete": ev.VideoPlayCompleteEvent,
    "beacon": ev.BeaconEvent,
    "accountLink": ev.AccountLinkEvent,
    "things": ev.ThingsEvent,
    "membership": ev.MembershipEvent,
    "module": ev.ModuleEvent,
    "activated": ev.ActivatedEvent,
    "deactivated": ev.DeactivatedEvent,
    "botSuspended": ev.BotSuspendedEvent,
    "botResumed": ev.BotResumedEvent,
    "delivery": ev.DeliveryEvent,
}

EXPECTED_CONTENT = {
    "text": ev.TextMessageContent,
    "image": ev.ImageMessageContent,
    "video": ev.VideoMessageContent,
    "audio": ev.AudioMessageContent,
    "file": ev.FileMessageContent,
    "location": ev.LocationMessageContent,
    "sticker": ev.StickerMessageContent,
}


def test_every_known_event_type_has_a_payload_and_a_class() -> None:
    assert {cls.type for cls in ev.KNOWN_EVENT_TYPES} == set(EXPECTED_CLASS) | {"message"}


@pytest.mark.parametrize("name", sorted(EXPECTED_CLASS))
def test_event_payload_parses_to_its_class(name: str) -> None:
    parsed = convert.structure_event(event(name))
    assert type(parsed) is EXPECTED_CLASS[name]
    assert parsed.timestamp == EVENTS[name]["timestamp"]
    assert parsed.webhook_event_id == EVENTS[name]["webhookEventId"]
    assert parsed.mode == "active"
    assert parsed.is_redelivery is False


@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_message_payload_parses_to_its_content_class(kind: str) -> None:
    parsed = convert.structure_event(event(f"message_{kind}"))
    assert isinstance(parsed, ev.MessageEvent)
    assert type(parsed.message) is EXPECTED_CONTENT[kind]
    assert parsed.message.id == MESSAGES[kind]["id"]
    assert parsed.reply_token == f"rt-msg-{kind}"


def test_text_message_fields_and_helpers() -> None:
    parsed = convert.structure_event(event("message_text"))
    assert isinstance(parsed, ev.MessageEvent)
    message = parsed.message
    assert isinstance(message, ev.TextMessageContent)
    assert message.text == MESSAGES["text"]["text"]
    assert message.quote_token == "qt-text"
    assert message.quoted_message_id == "499999999999999999"
    assert message.mark_as_read_token == "mart-1"
    assert message.emojis == (ev.Emoji(index=6, length=6, product_id="5ac1bfd5", emoji_id="001"),)
    assert message.mentionees == (
        ev.UserMentionee(index=13, length=4, user_id=BOT_ID, is_self=True),
        ev.AllMentionee(index=18, length=4),
    )
    assert message.mentions_bot is True
    assert message.mentions_all is True


def test_mentioning_all_or_others_is_not_mentioning_the_bot() -> None:
    raw = event("message_text")
    raw["message"]["mention"]["mentionees"][0]["isSelf"] = False
    message = convert.structure_event(raw).message  # type: ignore[attr-defined]
    assert message.mentions_bot is False
    raw["message"].pop("mention")
    message = convert.structure_event(raw).message  # type: ignore[attr-defined]
    assert message.mentions_bot is False
    assert message.mentionees == ()


@pytest.mark.parametrize("kind", ["image", "video", "audio", "file", "location"])
def test_non_text_messages_have_no_text_and_no_mentions(kind: str) -> None:
    message = convert.structure_event(event(f"message_{kind}")).message  # type: ignore[attr-defined]
    assert message.text is None
    assert message.mentions_bot is False


def test_media_and_sticker_fields() -> None:
    image = convert.structure_event(event("message_image")).message  # type: ignore[attr-defined]
    assert image.content_provider == ev.ContentProvider(type="line")
    assert image.image_set == ev.ImageSet(id="set-1", index=1, total=2)
    video = convert.structure_event(event("message_video")).message  # type: ignore[attr-defined]
    assert video.content_provider.original_content_url == "https://example.com/video.mp4"
    assert video.duration == 60000
    sticker = convert.structure_event(event("message_sticker")).message  # type: ignore[attr-defined]
    assert (sticker.package_id, sticker.sticker_id) == ("446", "1988")
    assert sticker.sticker_resource_type == "MESSAGE"
    assert sticker.keywords == ("hi", "hello")
    assert sticker.text == "Hi!"
    location = convert.structure_event(event("message_location")).message  # type: ignore[attr-defined]
    assert (location.latitude, location.longitude, location.title) == (35.6586, 139.7454, "Tower")
    file = convert.structure_event(event("message_file")).message  # type: ignore[attr-defined]
    assert (file.file_name, file.file_size) == ("a.pdf", 2048)


@pytest.mark.parametrize(
    ("name", "scope", "chat_id", "user_id"),
    [
        ("message_text", "group", GROUP, ALICE),
        ("join", "group", GROUP, None),
        ("memberLeft", "room", ROOM, None),
        ("follow", "user", ALICE, ALICE),
        ("botSuspended", None, None, None),
    ],
)
def test_source_helpers(
    name: str, scope: str | None, chat_id: str | None, user_id: str | None
) -> None:
    parsed = convert.structure_event(event(name))
    assert parsed.scope == scope
    assert parsed.chat_id == chat_id
    assert parsed.user_id == user_id
    if parsed.source is not None:
        assert parsed.source.scope == scope
        assert parsed.source.chat_id == chat_id


def test_room_source_and_missing_user_id() -> None:
    raw = event("message_text", source={"type": "room", "roomId": ROOM})
    parsed = convert.structure_event(raw)
    assert parsed.source == ev.RoomSource(room_id=ROOM, user_id=None)


def test_member_events_list_members_with_optional_ids() -> None:
    joined = convert.structure_event(event("memberJoined"))
    assert isinstance(joined, ev.MemberJoinedEvent)
    assert joined.joined.members == (ev.UserSource(user_id=BOB), ev.UserSource(user_id=None))
    assert joined.reply_token == "rt-mj"
    left = convert.structure_event(event("memberLeft"))
    assert isinstance(left, ev.MemberLeftEvent)
    assert left.left.members == (ev.UserSource(user_id=BOB),)


def test_postback_params() -> None:
    parsed = convert.structure_event(event("postback"))
    assert isinstance(parsed, ev.PostbackEvent)
    assert parsed.postback.data == "action=pick"
    assert parsed.postback.params == ev.PostbackParams(datetime="2026-12-01T10:00")
    raw = event("postback", postback={"data": "x"})
    assert convert.structure_event(raw).postback.params is None  # type: ignore[attr-defined]


def test_other_event_details() -> None:
    things = convert.structure_event(event("things"))
    assert things.things == ev.ThingsContent(  # type: ignore[attr-defined]
        device_id="t01", type="scenarioResult", result={"resultCode": "success"}
    )
    module = convert.structure_event(event("module"))
    assert module.module.scopes == ("message:send",)  # type: ignore[attr-defined]
    membership = convert.structure_event(event("membership"))
    assert membership.membership.membership_id == 3189  # type: ignore[attr-defined]
    activated = convert.structure_event(event("activated"))
    assert activated.chat_control.expire_at == 1_764_000_100_000  # type: ignore[attr-defined]
    beacon = convert.structure_event(event("beacon"))
    assert beacon.beacon == ev.BeaconContent(hwid="d41d8cd98f", type="enter")  # type: ignore[attr-defined]


def test_redelivery_and_standby_mode() -> None:
    raw = event("message_text", mode="standby", deliveryContext={"isRedelivery": True})
    parsed = convert.structure_event(raw)
    assert parsed.mode == "standby"
    assert parsed.is_redelivery is True


def test_unknown_event_type_keeps_raw_json() -> None:
    raw = event("message_text", type="hologramCall")
    raw["hologram"] = {"depth": 3}
    parsed = convert.structure_event(raw)
    assert isinstance(parsed, ev.UnknownEvent)
    assert parsed.event_type == "hologramCall"
    assert parsed.raw["hologram"] == {"depth": 3}
    assert parsed.chat_id == GROUP
    assert parsed.webhook_event_id == raw["webhookEventId"]
    assert convert.unstructure(parsed) == raw


def test_unknown_event_without_common_fields_still_parses() -> None:
    parsed = convert.structure_event({"type": "teleport"})
    assert isinstance(parsed, ev.UnknownEvent)
    assert parsed.source is None
    assert parsed.webhook_event_id == ""


def test_unknown_message_type_keeps_raw_json() -> None:
    raw = event("message_text")
    raw["message"] = {"type": "hologram", "id": "42", "quoteToken": "q", "depth": 3}
    parsed = convert.structure_event(raw)
    assert isinstance(parsed, ev.MessageEvent)
    assert isinstance(parsed.message, ev.UnknownMessageContent)
    assert parsed.message.type == "hologram"
    assert parsed.message.id == "42"
    assert parsed.message.raw["depth"] == 3
    assert parsed.message.text is None
    assert convert.unstructure(parsed)["message"] == raw["message"]


def test_unknown_source_and_mentionee_types() -> None:
    raw = event("message_text", source={"type": "square", "squareId": "S1", "userId": ALICE})
    raw["message"]["mention"]["mentionees"].append({"type": "role", "index": 0, "length": 1})
    parsed = convert.structure_event(raw)
    assert isinstance(parsed.source, ev.UnknownSource)
    assert parsed.source.scope == "square"
    assert parsed.source.chat_id is None
    assert parsed.chat_id is None
    assert parsed.user_id == ALICE
    assert parsed.message.mentionees[-1] == ev.UnknownMentionee(  # type: ignore[attr-defined]
        type="role", index=0, length=1
    )


def test_unknown_extra_fields_are_ignored() -> None:
    raw = event("join", brandNewField=1)
    raw["source"]["anotherField"] = "x"
    parsed = convert.structure_event(raw)
    assert parsed == convert.structure_event(event("join"))


def test_missing_optional_fields_are_none() -> None:
    raw = event("message_text")
    for key in ("emojis", "mention", "quotedMessageId", "markAsReadToken", "quoteToken"):
        raw["message"].pop(key)
    raw.pop("replyToken")
    parsed = convert.structure_event(raw)
    assert isinstance(parsed, ev.MessageEvent)
    assert parsed.reply_token is None
    message = parsed.message
    assert isinstance(message, ev.TextMessageContent)
    assert (message.emojis, message.mention, message.quote_token) == (None, None, None)


def test_body_parses_with_destination_and_events() -> None:
    parsed = convert.structure_body(body(event("join"), event("message_text")))
    assert parsed.destination == BOT_ID
    assert [type(e) for e in parsed.events] == [ev.JoinEvent, ev.MessageEvent]


def test_empty_events_is_a_valid_body() -> None:
    assert convert.structure_body({"destination": BOT_ID, "events": []}).events == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a JSON object"),
        ({"destination": BOT_ID}, "'events' array"),
        ({"events": {"type": "join"}}, "'events' array"),
        ({"events": [], "destination": 5}, "'destination'"),
        ({"events": [42]}, "events[0]"),
        ({"events": [{"mode": "active"}]}, "events[0]"),
        ({"events": [{**EVENTS["message_text"], "message": None}]}, "events[0]"),
    ],
)
def test_malformed_bodies_raise_a_clear_error(data: Any, message: str) -> None:
    with pytest.raises(
        InvalidWebhookBodyError, match=message.replace("[", r"\[").replace("]", r"\]")
    ):
        convert.structure_body(data)


def test_known_event_missing_required_field_names_it() -> None:
    raw = event("postback")
    raw.pop("postback")
    with pytest.raises(InvalidWebhookBodyError, match=r"events\[1\].*'postback'"):
        convert.structure_body(body(event("join"), raw))


def test_models_are_frozen_and_slotted() -> None:
    parsed = convert.structure_event(event("message_text"))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        parsed.timestamp = 0  # type: ignore[misc]
    assert not hasattr(parsed, "__dict__")


def test_unstructure_uses_line_json_names() -> None:
    out = convert.unstructure(convert.structure_event(event("message_text")))
    assert out["webhookEventId"] == EVENTS["message_text"]["webhookEventId"]
    assert out["deliveryContext"] == {"isRedelivery": False}
    assert out["message"]["quoteToken"] == "qt-text"
    assert out["source"] == {"type": "group", "groupId": GROUP, "userId": ALICE}


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_every_payload_round_trips_through_json(name: str) -> None:
    parsed = convert.structure_event(event(name))
    assert convert.structure_event(orjson.loads(convert.dumps(parsed))) == parsed


# --- hypothesis: structure(unstructure(x)) == x over generated events -------------------------

_text = st.text(max_size=12)
_finite = st.floats(allow_nan=False, allow_infinity=False)
_KNOWN_SOURCES = st.one_of(
    st.builds(ev.UserSource, user_id=st.none() | _text),
    st.builds(ev.GroupSource, group_id=_text, user_id=st.none() | _text),
    st.builds(ev.RoomSource, room_id=_text, user_id=st.none() | _text),
)


def _strategy_for(tp: Any) -> st.SearchStrategy[Any]:
    if tp is float:
        return _finite
    if tp is str:
        return _text
    if tp is int:
        return st.integers(min_value=-(2**53), max_value=2**53)
    if tp == ev.Source | None:
        return st.none() | _KNOWN_SOURCES
    if tp == ev.Mentionee:
        return st.one_of(_full(ev.UserMentionee), _full(ev.AllMentionee))
    if tp == ev.MessageContent:
        return st.one_of(*(_full(cls) for cls in EXPECTED_CONTENT.values()))
    if tp == dict[str, Any] | None:
        return st.none() | st.dictionaries(
            _text, st.integers(-(2**63), 2**63 - 1) | _text, max_size=3
        )
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is tuple:
        return st.lists(_strategy_for(args[0]), max_size=3).map(tuple)
    if origin in (typing.Union, type(int | None)):
        return st.one_of(*(_strategy_for(a) for a in args))
    if attrs.has(tp):
        return _full(tp)
    return st.from_type(tp)


def _full(cls: type[Any]) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls)
    fields = {f.name: _strategy_for(hints[f.name]) for f in attrs.fields(cls)}
    return st.builds(cls, **fields)


@settings(max_examples=300, deadline=None)
@given(st.one_of(*(_full(cls) for cls in ev.KNOWN_EVENT_TYPES)))
def test_structure_unstructure_round_trip(parsed: ev.Event) -> None:
    assert convert.structure_event(convert.unstructure(parsed)) == parsed


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(*(_full(cls) for cls in ev.KNOWN_EVENT_TYPES)), max_size=4))
def test_body_round_trip(events: list[ev.Event]) -> None:
    whole = ev.WebhookBody(events=tuple(events), destination=BOT_ID)
    assert convert.structure_body(orjson.loads(convert.dumps(whole))) == whole
