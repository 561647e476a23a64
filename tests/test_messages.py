"""Message builders and their validation."""

from __future__ import annotations

import pytest

from linegroupbot import convert, messages
from linegroupbot.errors import MessageValidationError


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
    assert message.template["actions"][0] == {
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
