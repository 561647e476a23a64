"""Builders of everything a bot sends, validated before anything goes over the network.

A plain ``str`` anywhere a message is expected means a text message. Templates and
flex messages take a raw ``dict`` for their body, since their layouts are free-form.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, TypeAlias
from urllib.parse import urlsplit

import attrs

from .errors import MessageValidationError
from .limits import (
    MAX_ALT_TEXT,
    MAX_LABEL,
    MAX_MESSAGES,
    MAX_POSTBACK_DATA,
    MAX_QUICK_REPLY_ITEMS,
    MAX_TEXT_LENGTH,
    MAX_URL_LENGTH,
)

__all__ = [
    "MAX_MESSAGES",
    "MAX_TEXT_LENGTH",
    "Action",
    "AudioMessage",
    "DatetimePickerAction",
    "FlexMessage",
    "ImageMessage",
    "ImagemapMessage",
    "LocationMessage",
    "Message",
    "MessageAction",
    "PostbackAction",
    "QuickReply",
    "QuickReplyItem",
    "Sendable",
    "Sender",
    "StickerMessage",
    "TemplateMessage",
    "TextMessage",
    "TextMessageV2",
    "UriAction",
    "VideoMessage",
    "buttons",
    "mention",
    "normalize",
]

# --- actions ------------------------------------------------------------------------------


@attrs.frozen
class PostbackAction:
    """A button that sends a postback event with ``data`` (optionally showing ``display_text``)."""

    label: str
    data: str
    display_text: str | None = None

    type: ClassVar[str] = "postback"


@attrs.frozen
class MessageAction:
    """A button that makes the user send ``text``."""

    label: str
    text: str

    type: ClassVar[str] = "message"


@attrs.frozen
class UriAction:
    """A button that opens ``uri``."""

    label: str
    uri: str

    type: ClassVar[str] = "uri"


@attrs.frozen
class DatetimePickerAction:
    """A button that opens a date/time picker; ``mode`` is ``date``, ``time`` or ``datetime``."""

    label: str
    data: str
    mode: str = "datetime"
    initial: str | None = None
    max: str | None = None
    min: str | None = None

    type: ClassVar[str] = "datetimepicker"


Action: TypeAlias = PostbackAction | MessageAction | UriAction | DatetimePickerAction
"""An action attached to a button or quick reply."""


@attrs.frozen
class QuickReplyItem:
    """One quick-reply button."""

    action: Action
    image_url: str | None = None

    type: ClassVar[str] = "action"


@attrs.frozen
class QuickReply:
    """Up to 13 buttons shown above the keyboard (1:1 chats and groups alike)."""

    items: tuple[QuickReplyItem, ...]

    @classmethod
    def of(cls, *actions: Action) -> QuickReply:
        """Quick reply from actions: ``QuickReply.of(MessageAction("Yes", "yes"), ...)``."""
        return cls(items=tuple(QuickReplyItem(action=a) for a in actions))


@attrs.frozen
class Sender:
    """Overrides the name and icon shown for one message."""

    name: str | None = None
    icon_url: str | None = None


# --- messages -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class _Common:
    quick_reply: QuickReply | None = None
    sender: Sender | None = None


@attrs.frozen(kw_only=True)
class TextMessage(_Common):
    """A text message of up to 5,000 characters."""

    text: str
    quote_token: str | None = None

    type: ClassVar[str] = "text"


@attrs.frozen(kw_only=True)
class TextMessageV2(_Common):
    """Text with ``{name}`` placeholders filled by ``substitution`` (mentions, emojis).

    Build mentions with :func:`mention` rather than by hand.
    """

    text: str
    substitution: dict[str, Any] = attrs.field(factory=dict)
    quote_token: str | None = None

    type: ClassVar[str] = "textV2"


@attrs.frozen(kw_only=True)
class StickerMessage(_Common):
    """A sticker from a package the bot may send."""

    package_id: str
    sticker_id: str
    quote_token: str | None = None

    type: ClassVar[str] = "sticker"


@attrs.frozen(kw_only=True)
class ImageMessage(_Common):
    """An image; both URLs must be HTTPS."""

    original_content_url: str
    preview_image_url: str

    type: ClassVar[str] = "image"


@attrs.frozen(kw_only=True)
class VideoMessage(_Common):
    """A video; both URLs must be HTTPS. ``tracking_id`` enables videoPlayComplete events."""

    original_content_url: str
    preview_image_url: str
    tracking_id: str | None = None

    type: ClassVar[str] = "video"


@attrs.frozen(kw_only=True)
class AudioMessage(_Common):
    """An audio clip (HTTPS URL) and its ``duration`` in milliseconds."""

    original_content_url: str
    duration: int

    type: ClassVar[str] = "audio"


@attrs.frozen(kw_only=True)
class LocationMessage(_Common):
    """A location pin."""

    title: str
    address: str
    latitude: float
    longitude: float

    type: ClassVar[str] = "location"


@attrs.frozen(kw_only=True)
class ImagemapMessage(_Common):
    """An imagemap; ``base_size`` and ``actions`` are LINE's JSON shapes."""

    base_url: str
    alt_text: str
    base_size: dict[str, int]
    actions: tuple[dict[str, Any], ...] = ()

    type: ClassVar[str] = "imagemap"


@attrs.frozen(kw_only=True)
class TemplateMessage(_Common):
    """A template message (buttons, confirm, carousel); ``template`` is LINE's JSON shape."""

    alt_text: str
    template: dict[str, Any]

    type: ClassVar[str] = "template"


@attrs.frozen(kw_only=True)
class FlexMessage(_Common):
    """A flex message; ``contents`` is a bubble or carousel as a raw dict."""

    alt_text: str
    contents: dict[str, Any]

    type: ClassVar[str] = "flex"


Message: TypeAlias = (
    TextMessage
    | TextMessageV2
    | StickerMessage
    | ImageMessage
    | VideoMessage
    | AudioMessage
    | LocationMessage
    | ImagemapMessage
    | TemplateMessage
    | FlexMessage
)
"""Any message object linegroupbot can send."""

Sendable: TypeAlias = "str | Message"
"""What ``reply``/``push`` accept: a message object, or a ``str`` for a text message."""

MESSAGE_TYPES: tuple[type[Any], ...] = (
    TextMessage,
    TextMessageV2,
    StickerMessage,
    ImageMessage,
    VideoMessage,
    AudioMessage,
    LocationMessage,
    ImagemapMessage,
    TemplateMessage,
    FlexMessage,
)


# --- helpers -----------------------------------------------------------------------------------


def mention(text: str, /, **members: str) -> TextMessageV2:
    """Text that tags members: ``mention("Hi {alice}!", alice=user_id)``.

    Each ``{name}`` placeholder becomes a mention of the given user ID; ``{everyone}``
    given as ``everyone="all"`` mentions everybody.
    """
    substitution: dict[str, Any] = {}
    for key, user_id in members.items():
        if "{" + key + "}" not in text:
            raise MessageValidationError(
                f"mention {key!r} has no {{{key}}} placeholder in the text"
            )
        if user_id == "all":
            substitution[key] = {"type": "mention", "mentionee": {"type": "all"}}
        else:
            substitution[key] = {
                "type": "mention",
                "mentionee": {"type": "user", "userId": user_id},
            }
    return TextMessageV2(text=text, substitution=substitution)


def buttons(
    text: str,
    choices: Sequence[str],
    *,
    data_prefix: str = "",
    title: str | None = None,
    alt_text: str | None = None,
) -> TemplateMessage:
    """A buttons template with one postback button per choice (at most four).

    Tapping choice ``c`` sends a postback with data ``data_prefix + c``.
    """
    if not 1 <= len(choices) <= 4:
        raise MessageValidationError("a buttons template takes 1 to 4 choices; use a carousel")
    template: dict[str, Any] = {
        "type": "buttons",
        "text": text,
        "actions": [
            {"type": "postback", "label": c[:MAX_LABEL], "data": data_prefix + c, "displayText": c}
            for c in choices
        ],
    }
    if title is not None:
        template["title"] = title
    return TemplateMessage(alt_text=alt_text or text, template=template)


def _check_url(url: str, where: str) -> None:
    if len(url) > MAX_URL_LENGTH:
        raise MessageValidationError(
            f"URL is longer than {MAX_URL_LENGTH} characters", property=where
        )
    if urlsplit(url).scheme != "https" or not urlsplit(url).netloc:
        raise MessageValidationError(
            f"LINE only fetches HTTPS URLs; got {url[:80]!r}: serve it over https://",
            property=where,
        )


def _check_action(action: Action, where: str) -> None:
    if len(action.label) > MAX_LABEL:
        raise MessageValidationError(
            f"action label is longer than {MAX_LABEL} characters", property=f"{where}.label"
        )
    if isinstance(action, PostbackAction | DatetimePickerAction) and not (
        0 < len(action.data) <= MAX_POSTBACK_DATA
    ):
        raise MessageValidationError(
            f"postback data must be 1 to {MAX_POSTBACK_DATA} characters", property=f"{where}.data"
        )
    if isinstance(action, UriAction):
        _check_url(action.uri, f"{where}.uri")


def _check(message: Message, where: str) -> None:
    if isinstance(message, TextMessage | TextMessageV2):
        if not message.text:
            raise MessageValidationError("text must not be empty", property=f"{where}.text")
        if len(message.text) > MAX_TEXT_LENGTH:
            raise MessageValidationError(
                f"text is {len(message.text)} characters; LINE allows {MAX_TEXT_LENGTH}: "
                "split it into several messages",
                property=f"{where}.text",
            )
    elif isinstance(message, ImageMessage | VideoMessage):
        _check_url(message.original_content_url, f"{where}.originalContentUrl")
        _check_url(message.preview_image_url, f"{where}.previewImageUrl")
    elif isinstance(message, AudioMessage):
        _check_url(message.original_content_url, f"{where}.originalContentUrl")
    elif isinstance(message, ImagemapMessage):
        _check_url(message.base_url, f"{where}.baseUrl")
    elif isinstance(message, StickerMessage) and not (message.package_id and message.sticker_id):
        raise MessageValidationError("a sticker needs a package and sticker id", property=where)
    if isinstance(message, TemplateMessage | FlexMessage | ImagemapMessage) and not (
        0 < len(message.alt_text) <= MAX_ALT_TEXT
    ):
        raise MessageValidationError(
            f"alt text must be 1 to {MAX_ALT_TEXT} characters", property=f"{where}.altText"
        )
    if message.quick_reply is not None:
        items = message.quick_reply.items
        if not 0 < len(items) <= MAX_QUICK_REPLY_ITEMS:
            raise MessageValidationError(
                f"quick reply takes 1 to {MAX_QUICK_REPLY_ITEMS} items",
                property=f"{where}.quickReply.items",
            )
        for i, item in enumerate(items):
            _check_action(item.action, f"{where}.quickReply.items[{i}].action")


def normalize(messages: Sendable | Iterable[Sendable]) -> tuple[Message, ...]:
    """Turn ``str`` into :class:`TextMessage` and validate 1 to 5 messages as LINE would.

    A bare ``str`` (or message) is one message, never a sequence of characters. Raises
    :class:`MessageValidationError` naming the offending property.
    """
    items: Iterable[Any] = (
        messages
        if isinstance(messages, Iterable) and not isinstance(messages, str)
        else (messages,)
    )
    result: list[Message] = []
    for item in items:
        if isinstance(item, str):
            result.append(TextMessage(text=item))
        elif isinstance(item, MESSAGE_TYPES):
            result.append(item)
        else:
            raise MessageValidationError(
                f"cannot send {type(item).__name__}: pass a str or a linegroupbot.messages object"
            )
    if not result:
        raise MessageValidationError("no messages given: pass at least one")
    if len(result) > MAX_MESSAGES:
        raise MessageValidationError(
            f"{len(result)} messages given; LINE takes at most {MAX_MESSAGES} per call: "
            "send the rest in another push",
            property="messages",
        )
    for index, message in enumerate(result):
        _check(message, f"messages[{index}]")
    return tuple(result)
