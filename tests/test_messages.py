"""Message builders and their validation."""

from __future__ import annotations

from typing import Any

import pytest

from linegroupbot import convert, messages
from linegroupbot.errors import MessageValidationError

from .spec_schema import check


def test_plain_strings_become_text_messages() -> None:
    assert messages.normalize(["hi"]) == (messages.TextMessage(text="hi"),)


def test_builders_serialize_to_line_json() -> None:
    built = messages.normalize(
        [
            messages.TextMessage(
                text="pick",
                quick_reply=messages.QuickReply.of(
                    messages.MessageAction(label="Yes", text="yes"),
                    messages.PostbackAction(label="No", data="no", display_text="No"),
                    messages.DatetimePickerAction(label="When", data="when", mode="date"),
                ),
                sender=messages.Sender(name="Helper"),
            ),
            messages.VideoMessage(
                original_content_url="https://x.example/v.mp4",
                preview_image_url="https://x.example/v.jpg",
                tracking_id="t1",
            ),
            messages.AudioMessage(original_content_url="https://x.example/a.m4a", duration=1000),
        ]
    )
    text, video, audio = convert.unstructure(list(built))
    assert text == {
        "type": "text",
        "text": "pick",
        "quickReply": {
            "items": [
                {"type": "action", "action": {"type": "message", "label": "Yes", "text": "yes"}},
                {
                    "type": "action",
                    "action": {
                        "type": "postback",
                        "label": "No",
                        "data": "no",
                        "displayText": "No",
                    },
                },
                {
                    "type": "action",
                    "action": {
                        "type": "datetimepicker",
                        "label": "When",
                        "data": "when",
                        "mode": "date",
                    },
                },
            ]
        },
        "sender": {"name": "Helper"},
    }
    assert video["trackingId"] == "t1"
    assert audio == {
        "type": "audio",
        "originalContentUrl": "https://x.example/a.m4a",
        "duration": 1000,
    }


def test_mention_builds_text_v2_substitution() -> None:
    message = messages.mention("Welcome {new}! {all}", new="U" + "1" * 32, all="all")
    assert convert.unstructure(message) == {
        "type": "textV2",
        "text": "Welcome {new}! {all}",
        "substitution": {
            "new": {"type": "mention", "mentionee": {"type": "user", "userId": "U" + "1" * 32}},
            "all": {"type": "mention", "mentionee": {"type": "all"}},
        },
    }
    with pytest.raises(MessageValidationError, match="placeholder"):
        messages.mention("no placeholder", someone="U1")


def test_buttons_template() -> None:
    message = messages.buttons("Lunch?", ["Yes", "No"], data_prefix="vote:", title="Poll")
    assert convert.unstructure(message)["template"]["actions"][0] == {
        "type": "postback",
        "label": "Yes",
        "data": "vote:Yes",
        "displayText": "Yes",
    }
    assert message.alt_text == "Lunch?"
    with pytest.raises(MessageValidationError, match="1 to 4"):
        messages.buttons("Too many", ["a", "b", "c", "d", "e"])


@pytest.mark.parametrize(
    ("batch", "match"),
    [
        ([], "at least one"),
        (["x"] * 6, "at most 5"),
        ([""], "empty"),
        (["x" * 5001], "5000"),
        (
            [
                messages.ImageMessage(
                    original_content_url="https://a/x.png", preview_image_url="ftp://a/x.png"
                )
            ],
            "HTTPS",
        ),
        ([messages.StickerMessage(package_id="", sticker_id="1")], "sticker"),
        ([messages.FlexMessage(alt_text="", contents={})], "alt text"),
        (
            [messages.TextMessage(text="x", quick_reply=messages.QuickReply(items=()))],
            "quick reply",
        ),
        (
            [
                messages.TextMessage(
                    text="x",
                    quick_reply=messages.QuickReply.of(
                        messages.PostbackAction(label="L", data="d" * 301)
                    ),
                )
            ],
            "postback data",
        ),
        (
            [
                messages.TextMessage(
                    text="x",
                    quick_reply=messages.QuickReply.of(
                        messages.UriAction(label="a" * 21, uri="https://x")
                    ),
                )
            ],
            "label",
        ),
        ([42], "cannot send int"),
    ],
)
def test_invalid_messages_are_refused_with_what_to_fix(batch: list[object], match: str) -> None:
    with pytest.raises(MessageValidationError, match=match):
        messages.normalize(batch)  # type: ignore[arg-type]


def test_text_at_the_limit_is_fine() -> None:
    assert messages.normalize(["x" * 5000, "y", "z", "w", "v"])


def test_builders_and_emulator_judge_by_one_table_of_limits() -> None:
    from linegroupbot import limits
    from linegroupbot.emulator.validation import validate_messages

    assert messages.MAX_MESSAGES is limits.MAX_MESSAGES
    assert messages.MAX_TEXT_LENGTH is limits.MAX_TEXT_LENGTH
    too_many = [{"type": "text", "text": "x"}] * (limits.MAX_MESSAGES + 1)
    [problem] = validate_messages(too_many)
    assert problem["message"] == f"Size must be between 1 and {limits.MAX_MESSAGES}"
    too_long = [{"type": "text", "text": "x" * (limits.MAX_TEXT_LENGTH + 1)}]
    [problem] = validate_messages(too_long)
    assert problem["message"] == f"Length must be between 0 and {limits.MAX_TEXT_LENGTH}"


def test_every_quick_reply_action_makes_lines_json() -> None:
    from linegroupbot.actions import (
        AltUri,
        CameraAction,
        CameraRollAction,
        ClipboardAction,
        DatetimePickerAction,
        LocationAction,
        MessageAction,
        PostbackAction,
        RichMenuSwitchAction,
        UriAction,
    )

    quick = messages.QuickReply.of(
        CameraAction("Camera"),
        CameraRollAction("Photos"),
        LocationAction("Where"),
        ClipboardAction("Copy code", clipboard_text="LUNCH-42"),
        RichMenuSwitchAction("Menu B", rich_menu_alias_id="menu-b", data="menu:b"),
        DatetimePickerAction("When", data="when", mode="time", initial="12:00"),
        PostbackAction("Vote", data="vote", input_option="openKeyboard", fill_in_text="I vote "),
        MessageAction("Yes", text="yes"),
        UriAction("Site", uri="https://example.com", alt_uri=AltUri(desktop="https://example.org")),
    )
    (message,) = messages.normalize(messages.TextMessage(text="pick", quick_reply=quick))
    sent = convert.unstructure(message)
    check(sent, "Message")
    assert [item["action"] for item in sent["quickReply"]["items"]] == [
        {"type": "camera", "label": "Camera"},
        {"type": "cameraRoll", "label": "Photos"},
        {"type": "location", "label": "Where"},
        {"type": "clipboard", "label": "Copy code", "clipboardText": "LUNCH-42"},
        {
            "type": "richmenuswitch",
            "label": "Menu B",
            "richMenuAliasId": "menu-b",
            "data": "menu:b",
        },
        {
            "type": "datetimepicker",
            "label": "When",
            "data": "when",
            "mode": "time",
            "initial": "12:00",
        },
        {
            "type": "postback",
            "label": "Vote",
            "data": "vote",
            "inputOption": "openKeyboard",
            "fillInText": "I vote ",
        },
        {"type": "message", "label": "Yes", "text": "yes"},
        {
            "type": "uri",
            "label": "Site",
            "uri": "https://example.com",
            "altUri": {"desktop": "https://example.org"},
        },
    ]


@pytest.mark.parametrize(
    ("action", "match"),
    [
        (messages.CameraAction(), r"items\[0\]\.action\.label: required"),
        (messages.ClipboardAction("c", clipboard_text=""), "clipboardText: must be 1 to 1000"),
        (
            messages.RichMenuSwitchAction("m", rich_menu_alias_id="x" * 33, data="d"),
            "richMenuAliasId",
        ),
        (messages.UriAction("u", uri="javascript:alert(1)"), "http"),
        (messages.MessageAction("m", text=""), r"action\.text: required"),
        (
            messages.DatetimePickerAction("d", data="d", mode="date", initial="2026-12-01T10:00"),
            r"action\.initial: '2026-12-01T10:00' is not YYYY-MM-DD",
        ),
        (messages.PostbackAction("p", data="d", display_text="x" * 301), "displayText"),
        (messages.MessageAction("m", text="x" * 301), r"action\.text: longer than 300"),
    ],
)
def test_bad_actions_name_their_path(action: messages.Action, match: str) -> None:
    quick = messages.QuickReply.of(action)
    with pytest.raises(MessageValidationError, match=match):
        messages.normalize(messages.TextMessage(text="x", quick_reply=quick))


def test_typed_templates_make_lines_json() -> None:
    confirm = messages.TemplateMessage(
        alt_text="Sure?",
        template=messages.ConfirmTemplate(
            text="Sure?",
            actions=[
                messages.PostbackAction("Yes", data="sure:yes"),
                messages.MessageAction("No", text="no"),
            ],
        ),
    )
    carousel = messages.TemplateMessage(
        alt_text="Menu",
        template=messages.CarouselTemplate(
            columns=[
                messages.CarouselColumn(
                    text=f"Dish {n}",
                    title=f"#{n}",
                    thumbnail_image_url=f"https://cdn.example.com/{n}.png",
                    actions=[messages.PostbackAction("Order", data=f"order:{n}")],
                    default_action=messages.UriAction(uri="https://example.com"),
                )
                for n in (1, 2)
            ],
            image_aspect_ratio="square",
        ),
    )
    images = messages.TemplateMessage(
        alt_text="Pick",
        template=messages.ImageCarouselTemplate(
            columns=[
                messages.ImageCarouselColumn(
                    image_url="https://cdn.example.com/a.png",
                    action=messages.PostbackAction("A", data="pick:a"),
                )
            ]
        ),
    )
    sent = convert.unstructure(list(messages.normalize([confirm, carousel, images])))
    for message in sent:
        check(message, "Message")
    assert sent[0]["template"] == {
        "type": "confirm",
        "text": "Sure?",
        "actions": [
            {"type": "postback", "label": "Yes", "data": "sure:yes"},
            {"type": "message", "label": "No", "text": "no"},
        ],
    }
    assert sent[1]["template"]["columns"][1] == {
        "text": "Dish 2",
        "title": "#2",
        "thumbnailImageUrl": "https://cdn.example.com/2.png",
        "actions": [{"type": "postback", "label": "Order", "data": "order:2"}],
        "defaultAction": {"type": "uri", "uri": "https://example.com"},
    }
    assert sent[1]["template"]["imageAspectRatio"] == "square"
    assert sent[2]["template"]["type"] == "image_carousel"


@pytest.mark.parametrize(
    ("template", "match"),
    [
        (
            messages.ConfirmTemplate(text="?", actions=[messages.MessageAction("a", text="a")]),
            r"template\.actions: a confirm template takes exactly 2",
        ),
        (
            messages.ButtonsTemplate(text="?", actions=[messages.CameraAction("c")]),
            r"template\.actions\[0\]\.type: camera actions exist only on quick-reply",
        ),
        (
            messages.CarouselTemplate(
                columns=[
                    messages.CarouselColumn(
                        text="a", actions=[messages.MessageAction("a", text="a")]
                    ),
                    messages.CarouselColumn(
                        text="b",
                        actions=[
                            messages.MessageAction("a", text="a"),
                            messages.MessageAction("b", text="b"),
                        ],
                    ),
                ]
            ),
            "same number of actions",
        ),
        (
            {"type": "buttons", "text": "?", "actions": [{"type": "message", "label": "a"}]},
            r"template\.actions\[0\]\.text: required",
        ),
        (
            {
                "type": "buttons",
                "text": "x" * 161,
                "actions": [{"type": "message", "label": "a", "text": "a"}],
            },
            r"template\.text: 161 characters",
        ),
    ],
)
def test_bad_templates_name_their_path(template: Any, match: str) -> None:
    with pytest.raises(MessageValidationError, match=match):
        messages.normalize(messages.TemplateMessage(alt_text="t", template=template))


def test_mention_puts_emojis_next_to_mentions() -> None:
    message = messages.mention(
        "{wave} hi {alice}, lunch with {everyone}?",
        wave=messages.emoji("5ac1bfd5040ab15980c9b435", "002"),
        alice="U" + "a" * 32,
        everyone="all",
    )
    (sent,) = convert.unstructure(list(messages.normalize(message)))
    check(sent, "Message")
    assert sent["substitution"] == {
        "wave": {"type": "emoji", "productId": "5ac1bfd5040ab15980c9b435", "emojiId": "002"},
        "alice": {"type": "mention", "mentionee": {"type": "user", "userId": "U" + "a" * 32}},
        "everyone": {"type": "mention", "mentionee": {"type": "all"}},
    }
    bad = messages.TextMessageV2(text="{a-b}", substitution={"a-b": {"type": "emoji"}})
    with pytest.raises(MessageValidationError, match=r"substitution\.a-b: names are"):
        messages.normalize(bad)


def test_text_emojis_must_sit_on_a_dollar_sign() -> None:
    ok = messages.TextMessage(
        text="$ lunch", emojis=(messages.Emoji(0, "5ac1bfd5040ab15980c9b435", "001"),)
    )
    (sent,) = convert.unstructure(list(messages.normalize(ok)))
    check(sent, "Message")
    assert sent["emojis"] == [
        {"index": 0, "productId": "5ac1bfd5040ab15980c9b435", "emojiId": "001"}
    ]
    bad = messages.TextMessage(text="lunch", emojis=(messages.Emoji(2, "p", "e"),))
    with pytest.raises(MessageValidationError, match=r"emojis\[0\]\.index"):
        messages.normalize(bad)


def test_coupon_messages() -> None:
    (sent,) = convert.unstructure(
        list(messages.normalize(messages.CouponMessage(coupon_id="CP1", delivery_tag="group")))
    )
    check(sent, "Message")
    assert sent == {"type": "coupon", "couponId": "CP1", "deliveryTag": "group"}
    with pytest.raises(MessageValidationError, match="deliveryTag"):
        messages.normalize(messages.CouponMessage(coupon_id="CP1", delivery_tag="x" * 31))


def test_sender_is_checked() -> None:
    sender = messages.Sender(name="x" * 21, icon_url="https://cdn.example.com/i.png")
    with pytest.raises(MessageValidationError, match=r"sender\.name"):
        messages.normalize(messages.TextMessage(text="x", sender=sender))
    sender = messages.Sender(name="Chef", icon_url="http://cdn.example.com/i.png")
    with pytest.raises(MessageValidationError, match=r"sender\.iconUrl"):
        messages.normalize(messages.TextMessage(text="x", sender=sender))
