"""Webhook event payloads written from LINE's webhook schema, one per event and message type.

IDs are made up but shaped like LINE's (``U``/``C``/``R`` + 32 hex digits).
"""

from __future__ import annotations

import copy
from typing import Any

BOT_ID = "U" + "b0" * 16
ALICE = "U" + "a1" * 16
BOB = "U" + "b2" * 16
GROUP = "C" + "c3" * 16
ROOM = "R" + "d4" * 16

GROUP_SOURCE = {"type": "group", "groupId": GROUP, "userId": ALICE}
ROOM_SOURCE = {"type": "room", "roomId": ROOM, "userId": BOB}
USER_SOURCE = {"type": "user", "userId": ALICE}


def _event(kind: str, n: int, source: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": 1_764_000_000_000 + n,
        "webhookEventId": f"01JEVENT{n:018d}",
        "deliveryContext": {"isRedelivery": False},
    }
    if source is not None:
        event["source"] = source
    event.update(extra)
    return event


MESSAGES: dict[str, dict[str, Any]] = {
    "text": {
        "type": "text",
        "id": "500000000000000001",
        "quoteToken": "qt-text",
        "text": "Hello \U0001f600 @Bot @All",
        "emojis": [{"index": 6, "length": 6, "productId": "5ac1bfd5", "emojiId": "001"}],
        "mention": {
            "mentionees": [
                {"index": 13, "length": 4, "type": "user", "userId": BOT_ID, "isSelf": True},
                {"index": 18, "length": 4, "type": "all"},
            ]
        },
        "quotedMessageId": "499999999999999999",
        "markAsReadToken": "mart-1",
    },
    "image": {
        "type": "image",
        "id": "500000000000000002",
        "quoteToken": "qt-image",
        "contentProvider": {"type": "line"},
        "imageSet": {"id": "set-1", "index": 1, "total": 2},
    },
    "video": {
        "type": "video",
        "id": "500000000000000003",
        "quoteToken": "qt-video",
        "duration": 60000,
        "contentProvider": {
            "type": "external",
            "originalContentUrl": "https://example.com/video.mp4",
            "previewImageUrl": "https://example.com/preview.jpg",
        },
    },
    "audio": {
        "type": "audio",
        "id": "500000000000000004",
        "duration": 6000,
        "contentProvider": {"type": "line"},
    },
    "file": {"type": "file", "id": "500000000000000005", "fileName": "a.pdf", "fileSize": 2048},
    "location": {
        "type": "location",
        "id": "500000000000000006",
        "title": "Tower",
        "address": "Tokyo",
        "latitude": 35.6586,
        "longitude": 139.7454,
    },
    "sticker": {
        "type": "sticker",
        "id": "500000000000000007",
        "quoteToken": "qt-sticker",
        "packageId": "446",
        "stickerId": "1988",
        "stickerResourceType": "MESSAGE",
        "keywords": ["hi", "hello"],
        "text": "Hi!",
    },
}

EVENTS: dict[str, dict[str, Any]] = {
    **{
        f"message_{kind}": _event(
            "message", i, GROUP_SOURCE, replyToken=f"rt-msg-{kind}", message=message
        )
        for i, (kind, message) in enumerate(MESSAGES.items())
    },
    "unsend": _event("unsend", 20, GROUP_SOURCE, unsend={"messageId": "500000000000000001"}),
    "messageEdited": _event(
        "messageEdited",
        19,
        GROUP_SOURCE,
        replyToken="rt-edit",
        message={"type": "text", "id": "500000000000000001", "quoteToken": "q", "text": "fixed"},
    ),
    "follow": _event("follow", 21, USER_SOURCE, replyToken="rt-f", follow={"isUnblocked": True}),
    "unfollow": _event("unfollow", 22, USER_SOURCE),
    "join": _event("join", 23, {"type": "group", "groupId": GROUP}, replyToken="rt-join"),
    "leave": _event("leave", 24, {"type": "group", "groupId": GROUP}),
    "memberJoined": _event(
        "memberJoined",
        25,
        {"type": "group", "groupId": GROUP},
        replyToken="rt-mj",
        joined={"members": [{"type": "user", "userId": BOB}, {"type": "user"}]},
    ),
    "memberLeft": _event(
        "memberLeft",
        26,
        {"type": "room", "roomId": ROOM},
        left={"members": [{"type": "user", "userId": BOB}]},
    ),
    "postback": _event(
        "postback",
        27,
        GROUP_SOURCE,
        replyToken="rt-pb",
        postback={"data": "action=pick", "params": {"datetime": "2026-12-01T10:00"}},
    ),
    "videoPlayComplete": _event(
        "videoPlayComplete",
        28,
        USER_SOURCE,
        replyToken="rt-v",
        videoPlayComplete={"trackingId": "track-1"},
    ),
    "beacon": _event(
        "beacon", 29, USER_SOURCE, replyToken="rt-b", beacon={"hwid": "d41d8cd98f", "type": "enter"}
    ),
    "accountLink": _event(
        "accountLink", 30, USER_SOURCE, replyToken="rt-al", link={"result": "ok", "nonce": "n-1"}
    ),
    "things": _event(
        "things",
        31,
        USER_SOURCE,
        replyToken="rt-t",
        things={"deviceId": "t01", "type": "scenarioResult", "result": {"resultCode": "success"}},
    ),
    "membership": _event(
        "membership",
        32,
        USER_SOURCE,
        replyToken="rt-m",
        membership={"type": "joined", "membershipId": 3189},
    ),
    "module": _event(
        "module",
        33,
        USER_SOURCE,
        module={"type": "attached", "botId": BOT_ID, "scopes": ["message:send"]},
    ),
    "activated": _event("activated", 34, USER_SOURCE, chatControl={"expireAt": 1_764_000_100_000}),
    "deactivated": _event("deactivated", 35, USER_SOURCE),
    "botSuspended": _event("botSuspended", 36),
    "botResumed": _event("botResumed", 37),
    "delivery": _event("delivery", 38, USER_SOURCE, delivery={"data": "hashed-phone"}),
}


def event(name: str, **changes: Any) -> dict[str, Any]:
    """A deep copy of one payload, with top-level fields changed."""
    result = copy.deepcopy(EVENTS[name])
    result.update(changes)
    return result


def body(*events: dict[str, Any]) -> dict[str, Any]:
    """A webhook request body carrying ``events``."""
    return {"destination": BOT_ID, "events": list(events)}
