"""Builders of everything a bot sends, validated before anything goes over the network.

A plain ``str`` anywhere a message is expected means a text message. Flex messages
take a typed :mod:`linegroupbot.flex` container (or its raw JSON as a ``dict``, checked
the same way); template messages take a typed template (or a raw ``dict``). Every action
lives in :mod:`linegroupbot.actions` and is importable from here too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeAlias

import attrs

from .actions import (
    QUICK_REPLY_ONLY,
    Action,
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
    check_action,
    check_url,
)
from .errors import MessageValidationError
from .limits import (
    MAX_ALT_TEXT,
    MAX_LABEL,
    MAX_MESSAGES,
    MAX_QUICK_REPLY_ITEMS,
    MAX_TEXT_LENGTH,
)

if TYPE_CHECKING:
    from . import flex
else:

    class _Flex:
        """:mod:`linegroupbot.flex`, imported on first use (a flex message's check or
        annotations, a template given as JSON): most bots never need it, and building its
        model classes costs several milliseconds."""

        __slots__ = ()

        def __getattr__(self, name: str) -> Any:
            from . import flex

            return getattr(flex, name)

    flex = _Flex()

__all__ = [
    "MAX_MESSAGES",
    "MAX_TEXT_LENGTH",
    "Action",
    "AltUri",
    "AudioMessage",
    "ButtonsTemplate",
    "CameraAction",
    "CameraRollAction",
    "CarouselColumn",
    "CarouselTemplate",
    "ClipboardAction",
    "ConfirmTemplate",
    "CouponMessage",
    "DatetimePickerAction",
    "Emoji",
    "EmojiSubstitution",
    "FlexMessage",
    "ImageCarouselColumn",
    "ImageCarouselTemplate",
    "ImageMessage",
    "ImagemapMessage",
    "LocationAction",
    "LocationMessage",
    "Message",
    "MessageAction",
    "Messages",
    "PostbackAction",
    "QuickReply",
    "QuickReplyItem",
    "RichMenuSwitchAction",
    "Sendable",
    "Sender",
    "StickerMessage",
    "Template",
    "TemplateMessage",
    "TextMessage",
    "TextMessageV2",
    "UriAction",
    "VideoMessage",
    "buttons",
    "emoji",
    "mention",
    "normalize",
    "quoting",
]


def _tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(value)


# --- quick replies and senders ---------------------------------------------------------------


@attrs.frozen
class QuickReplyItem:
    """One quick-reply button.

    Attributes:
        action: What tapping it does (any action, including the quick-reply-only camera,
            camera roll and location actions).
        image_url: An HTTPS icon shown in the button.
    """

    action: Action
    image_url: str | None = None

    type: ClassVar[str] = "action"


@attrs.frozen
class QuickReply:
    """Up to 13 buttons shown above the keyboard (1:1 chats and groups alike).

    Attributes:
        items: The buttons, in order.
    """

    items: tuple[QuickReplyItem, ...]

    @classmethod
    def of(cls, *actions: Action) -> QuickReply:
        """Quick reply from actions: ``QuickReply.of(MessageAction("Yes", text="yes"), ...)``.

        Args:
            *actions: One button per action, in order, without icons.
        """
        return cls(items=tuple(QuickReplyItem(action=a) for a in actions))


@attrs.frozen
class Sender:
    """Overrides the name and icon shown for one message.

    Attributes:
        name: The name to show (1 to 20 characters); ``None`` keeps the bot's.
        icon_url: An HTTPS icon to show; ``None`` keeps the bot's.
    """

    name: str | None = None
    icon_url: str | None = None


# --- messages -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class _Common:
    quick_reply: QuickReply | None = None
    sender: Sender | None = None


@attrs.frozen
class Emoji:
    """A LINE emoji at ``index`` of a :class:`TextMessage`'s text (where a ``$`` stands).

    Attributes:
        index: The position of the ``$`` it replaces.
        product_id: The emoji set's ID, from LINE's emoji list.
        emoji_id: The emoji's ID within the set.
    """

    index: int
    product_id: str
    emoji_id: str


@attrs.frozen(kw_only=True)
class TextMessage(_Common):
    """A text message of up to 5,000 characters.

    Attributes:
        text: The text.
        emojis: LINE emojis placed on ``$`` characters of the text (up to 20).
        quote_token: The quote token of an incoming message, to quote it.
        quick_reply: Buttons shown above the keyboard with this message.
        sender: Another name and icon to show for this message.
    """

    text: str
    emojis: tuple[Emoji, ...] | None = None
    quote_token: str | None = None

    type: ClassVar[str] = "text"


@attrs.frozen(kw_only=True)
class TextMessageV2(_Common):
    """Text with ``{name}`` placeholders filled by ``substitution`` (mentions, emojis).

    Build it with :func:`mention` (members and emojis) rather than by hand.

    Attributes:
        text: The text with its placeholders.
        substitution: LINE's substitution objects by placeholder name.
        quote_token: The quote token of an incoming message, to quote it.
        quick_reply: Buttons shown above the keyboard with this message.
        sender: Another name and icon to show for this message.
    """

    text: str
    substitution: dict[str, Any] = attrs.field(factory=dict)
    quote_token: str | None = None

    type: ClassVar[str] = "textV2"


@attrs.frozen(kw_only=True)
class StickerMessage(_Common):
    """A sticker from a package the bot may send.

    Attributes:
        package_id: The sticker package's ID.
        sticker_id: The sticker's ID.
        quote_token: The quote token of an incoming message, to quote it.
        quick_reply: Buttons shown above the keyboard with this message.
        sender: Another name and icon to show for this message.
    """

    package_id: str
    sticker_id: str
    quote_token: str | None = None

    type: ClassVar[str] = "sticker"


@attrs.frozen(kw_only=True)
class ImageMessage(_Common):
    """An image; both URLs must be HTTPS.

    Attributes:
        original_content_url: The image (JPEG or PNG).
        preview_image_url: The preview shown in the chat.
        quick_reply: Buttons shown above the keyboard with this message.
        sender: Another name and icon to show for this message.
    """

    original_content_url: str
    preview_image_url: str

    type: ClassVar[str] = "image"


@attrs.frozen(kw_only=True)
class VideoMessage(_Common):
    """A video; both URLs must be HTTPS.

    Attributes:
        original_content_url: The video (mp4).
        preview_image_url: The preview image.
        tracking_id: An ID that makes LINE send a videoPlayComplete event when a user has
            watched it.
        quick_reply: Buttons shown above the keyboard with this message.
        sender: Another name and icon to show for this message.
    """

    original_content_url: str
    preview_image_url: str
    tracking_id: str | None = None

    type: ClassVar[str] = "video"


@attrs.frozen(kw_only=True)
class AudioMessage(_Common):
    """An audio clip (HTTPS URL) and its duration.

    Attributes:
        original_content_url: The audio file (mp3 or m4a).
        duration: Its length in milliseconds.
        quick_reply: Buttons shown above the keyboard with this message.
        sender: Another name and icon to show for this message.
    """

    original_content_url: str
    duration: int

    type: ClassVar[str] = "audio"


@attrs.frozen(kw_only=True)
class LocationMessage(_Common):
    """A location pin.

    Attributes:
        title: The pin's title.
        address: The address shown.
        latitude: Degrees north.
        longitude: Degrees east.
        quick_reply: Buttons shown above the keyboard with this message.
        sender: Another name and icon to show for this message.
    """

    title: str
    address: str
    latitude: float
    longitude: float

    type: ClassVar[str] = "location"


@attrs.frozen(kw_only=True)
class ImagemapMessage(_Common):
    """An imagemap: an image with tappable areas.

    Attributes:
        base_url: The HTTPS base URL of the image (LINE appends the width).
        alt_text: What notifications and old clients show.
        base_size: LINE's ``baseSize`` object (``width``, ``height``), as JSON.
        actions: LINE's imagemap action objects, as JSON.
        quick_reply: Buttons shown above the keyboard with this message.
        sender: Another name and icon to show for this message.
    """

    base_url: str
    alt_text: str
    base_size: dict[str, int]
    actions: tuple[dict[str, Any], ...] = ()

    type: ClassVar[str] = "imagemap"


# --- templates ----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ButtonsTemplate:
    """Text (with an optional title and image) over 1 to 4 action buttons.

    Attributes:
        text: The text (160 characters; 60 with a title or image).
        actions: The buttons' actions.
        title: A title (40 characters).
        thumbnail_image_url: An HTTPS image above the text.
        image_aspect_ratio: ``"rectangle"`` (1.51:1) or ``"square"``.
        image_size: ``"cover"`` (fill, cropped) or ``"contain"`` (whole image).
        image_background_color: The image's background, as ``#RRGGBB``.
        default_action: What tapping the image, title or text does.
    """

    text: str
    actions: tuple[Action, ...] = attrs.field(converter=_tuple)
    title: str | None = None
    thumbnail_image_url: str | None = None
    image_aspect_ratio: Literal["rectangle", "square"] | None = None
    image_size: Literal["cover", "contain"] | None = None
    image_background_color: str | None = None
    default_action: Action | None = None

    type: ClassVar[str] = "buttons"


@attrs.frozen(kw_only=True)
class ConfirmTemplate:
    """A question with exactly two action buttons (yes/no).

    Attributes:
        text: The question (240 characters).
        actions: The two buttons' actions.
    """

    text: str
    actions: tuple[Action, ...] = attrs.field(converter=_tuple)

    type: ClassVar[str] = "confirm"


@attrs.frozen(kw_only=True)
class CarouselColumn:
    """One column of a :class:`CarouselTemplate`: text, 1 to 3 actions, optional title/image.

    Attributes:
        text: The text (120 characters; 60 with a title or image).
        actions: The buttons' actions (every column has as many).
        title: A title (40 characters).
        thumbnail_image_url: An HTTPS image above the text.
        image_background_color: The image's background, as ``#RRGGBB``.
        default_action: What tapping the image, title or text does.
    """

    text: str
    actions: tuple[Action, ...] = attrs.field(converter=_tuple)
    title: str | None = None
    thumbnail_image_url: str | None = None
    image_background_color: str | None = None
    default_action: Action | None = None


@attrs.frozen(kw_only=True)
class CarouselTemplate:
    """Up to 10 columns side by side; every column has the same number of actions.

    Attributes:
        columns: The columns, in order.
        image_aspect_ratio: ``"rectangle"`` (1.51:1) or ``"square"``, for every column.
        image_size: ``"cover"`` or ``"contain"``, for every column.
    """

    columns: tuple[CarouselColumn, ...] = attrs.field(converter=_tuple)
    image_aspect_ratio: Literal["rectangle", "square"] | None = None
    image_size: Literal["cover", "contain"] | None = None

    type: ClassVar[str] = "carousel"


@attrs.frozen(kw_only=True)
class ImageCarouselColumn:
    """One tappable image of an :class:`ImageCarouselTemplate`.

    Attributes:
        image_url: The HTTPS image.
        action: What tapping it does.
    """

    image_url: str
    action: Action


@attrs.frozen(kw_only=True)
class ImageCarouselTemplate:
    """Up to 10 tappable images side by side.

    Attributes:
        columns: The images, in order.
    """

    columns: tuple[ImageCarouselColumn, ...] = attrs.field(converter=_tuple)

    type: ClassVar[str] = "image_carousel"


Template: TypeAlias = ButtonsTemplate | ConfirmTemplate | CarouselTemplate | ImageCarouselTemplate
"""A typed template (a raw ``dict`` is accepted too)."""


@attrs.frozen(kw_only=True)
class TemplateMessage(_Common):
    """A template message (buttons, confirm, carousel, image carousel).

    Attributes:
        alt_text: What notifications and old clients show (400 characters).
        template: A typed :data:`Template` or LINE's raw JSON (checked the same way).
        quick_reply: Buttons shown above the keyboard with this message.
        sender: Another name and icon to show for this message.
    """

    alt_text: str
    template: Template | dict[str, Any]

    type: ClassVar[str] = "template"


@attrs.frozen(kw_only=True)
class FlexMessage(_Common):
    """A flex message: a bubble or carousel laid out with boxes.

    Attributes:
        alt_text: What notifications and old clients show (400 characters).
        contents: A :class:`~linegroupbot.flex.Bubble` or
            :class:`~linegroupbot.flex.Carousel`, or its raw JSON (checked the same way).
        quick_reply: Buttons shown above the keyboard with this message.
        sender: Another name and icon to show for this message.
    """

    alt_text: str
    contents: flex.Container | dict[str, Any]

    type: ClassVar[str] = "flex"


@attrs.frozen(kw_only=True)
class CouponMessage(_Common):
    """A coupon made in LINE Official Account Manager or with the coupon API, by its ID.

    Attributes:
        coupon_id: The coupon's ID.
        delivery_tag: Marks the route in LINE's statistics (up to 30 characters).
        quick_reply: Buttons shown above the keyboard with this message.
        sender: Another name and icon to show for this message.
    """

    coupon_id: str
    delivery_tag: str | None = None

    type: ClassVar[str] = "coupon"


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
    | CouponMessage
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
    CouponMessage,
)


# --- helpers -----------------------------------------------------------------------------------


@attrs.frozen
class EmojiSubstitution:
    """A LINE emoji put in a :func:`mention` text: ``emoji("5ac1bfd5040ab15980c9b435", "002")``.

    Attributes:
        product_id: The emoji set's ID, from LINE's emoji list.
        emoji_id: The emoji's ID within the set.
    """

    product_id: str
    emoji_id: str


def emoji(product_id: str, emoji_id: str) -> EmojiSubstitution:
    """A LINE emoji for a :func:`mention` text.

    Args:
        product_id: The emoji set's ID, from LINE's emoji list.
        emoji_id: The emoji's ID within the set.
    """
    return EmojiSubstitution(product_id, emoji_id)


_KEY = re.compile(r"^[A-Za-z0-9_]{1,20}$")


def mention(text: str, /, **members: str | EmojiSubstitution) -> TextMessageV2:
    """Text that tags members and shows emojis: ``mention("Hi {alice} {wave}", alice=user_id,
    wave=emoji(product_id, emoji_id))``.

    Each ``{name}`` placeholder becomes a mention of the given user ID (``"all"``
    mentions everybody) or the given :func:`emoji`. Names are 1 to 20 letters, digits
    or underscores, and each must appear in the text.

    Args:
        text: The text with ``{name}`` placeholders.
        **members: Per placeholder name, a user ID, ``"all"``, or an :func:`emoji`.

    Raises:
        MessageValidationError: A name has no placeholder in the text.
    """
    substitution: dict[str, Any] = {}
    for key, value in members.items():
        if "{" + key + "}" not in text:
            raise MessageValidationError(
                f"mention {key!r} has no {{{key}}} placeholder in the text"
            )
        if isinstance(value, EmojiSubstitution):
            substitution[key] = {
                "type": "emoji",
                "productId": value.product_id,
                "emojiId": value.emoji_id,
            }
        elif value == "all":
            substitution[key] = {"type": "mention", "mentionee": {"type": "all"}}
        else:
            substitution[key] = {
                "type": "mention",
                "mentionee": {"type": "user", "userId": value},
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

    Tapping choice ``c`` sends a postback with data ``data_prefix + c`` and shows ``c`` in
    the chat as the user's message.

    Args:
        text: The question above the buttons.
        choices: One to four labels (cut to 20 characters on the buttons).
        data_prefix: What the postback data of every choice starts with (``"vote:"``).
        title: A title above the text.
        alt_text: What notifications show; defaults to ``text``.

    Raises:
        MessageValidationError: Not 1 to 4 choices.
    """
    if not 1 <= len(choices) <= 4:
        raise MessageValidationError("a buttons template takes 1 to 4 choices; use a carousel")
    actions = [PostbackAction(c[:MAX_LABEL], data=data_prefix + c, display_text=c) for c in choices]
    template = ButtonsTemplate(text=text, actions=actions, title=title)
    return TemplateMessage(alt_text=alt_text or text, template=template)


# --- validation --------------------------------------------------------------------------------


def _fail(where: str, problem: str) -> MessageValidationError:
    return MessageValidationError(f"{where}: {problem}", property=where)


def _check_text(text: str, where: str, limit: int) -> None:
    if not text:
        raise _fail(where, "required")
    if len(text) > limit:
        raise _fail(where, f"{len(text)} characters; LINE allows {limit} here")


def _check_template(template: Template, where: str) -> None:
    if isinstance(template, ButtonsTemplate):
        with_image = template.thumbnail_image_url is not None or template.title is not None
        _check_text(template.text, f"{where}.text", 60 if with_image else 160)
        if template.title is not None and len(template.title) > 40:
            raise _fail(f"{where}.title", "longer than 40 characters")
        if not 1 <= len(template.actions) <= 4:
            raise _fail(f"{where}.actions", "a buttons template takes 1 to 4 actions")
        _check_actions(template.actions, f"{where}.actions")
        if template.default_action is not None:
            check_action(template.default_action, f"{where}.defaultAction", label_required=False)
    elif isinstance(template, ConfirmTemplate):
        _check_text(template.text, f"{where}.text", 240)
        if len(template.actions) != 2:
            raise _fail(f"{where}.actions", "a confirm template takes exactly 2 actions")
        _check_actions(template.actions, f"{where}.actions")
    elif isinstance(template, CarouselTemplate):
        if not 1 <= len(template.columns) <= 10:
            raise _fail(f"{where}.columns", "a carousel takes 1 to 10 columns")
        counts = {len(column.actions) for column in template.columns}
        if len(counts) > 1:
            raise _fail(f"{where}.columns", "every column must have the same number of actions")
        for index, column in enumerate(template.columns):
            at = f"{where}.columns[{index}]"
            with_image = column.thumbnail_image_url is not None or column.title is not None
            _check_text(column.text, f"{at}.text", 60 if with_image else 120)
            if not 1 <= len(column.actions) <= 3:
                raise _fail(f"{at}.actions", "a carousel column takes 1 to 3 actions")
            _check_actions(column.actions, f"{at}.actions")
            if column.default_action is not None:
                check_action(column.default_action, f"{at}.defaultAction", label_required=False)
    else:
        if not 1 <= len(template.columns) <= 10:
            raise _fail(f"{where}.columns", "an image carousel takes 1 to 10 columns")
        for index, image in enumerate(template.columns):
            at = f"{where}.columns[{index}].action"
            check_action(image.action, at, label_required=False)
            _check_not_quick_only(image.action, at)


def _check_not_quick_only(action: Action, where: str) -> None:
    if isinstance(action, QUICK_REPLY_ONLY):
        raise _fail(f"{where}.type", f"{action.type} actions exist only on quick-reply buttons")


def _check_actions(actions: Sequence[Action], where: str) -> None:
    for index, action in enumerate(actions):
        check_action(action, f"{where}[{index}]")
        _check_not_quick_only(action, f"{where}[{index}]")


def _typed_template(template: Template | Mapping[str, Any], where: str) -> Template:
    if isinstance(template, Mapping):
        parsed: Template = flex.parse_as(Template, template, where)
        return parsed
    return template


def _check_substitution(message: TextMessageV2, where: str) -> None:
    for key, value in message.substitution.items():
        at = f"{where}.substitution.{key}"
        if not _KEY.match(key):
            raise _fail(at, "names are 1 to 20 letters, digits or underscores")
        kind = value.get("type") if isinstance(value, Mapping) else None
        if kind not in ("mention", "emoji"):
            raise _fail(f"{at}.type", "must be 'mention' or 'emoji'")
    if len(message.substitution) > 100:
        raise _fail(f"{where}.substitution", "at most 100 substitutions")


def _check(message: Message, where: str) -> None:
    if isinstance(message, TextMessage | TextMessageV2):
        _check_text_message(message.text, where)
        if isinstance(message, TextMessageV2):
            _check_substitution(message, where)
        elif message.emojis is not None:
            if len(message.emojis) > 20:
                raise _fail(f"{where}.emojis", "at most 20 emojis")
            for index, placed in enumerate(message.emojis):
                if message.text[placed.index : placed.index + 1] != "$":
                    raise _fail(
                        f"{where}.emojis[{index}].index",
                        f"the text has no '$' at {placed.index} for the emoji to replace",
                    )
    elif isinstance(message, ImageMessage | VideoMessage):
        check_url(message.original_content_url, f"{where}.originalContentUrl")
        check_url(message.preview_image_url, f"{where}.previewImageUrl")
    elif isinstance(message, AudioMessage):
        check_url(message.original_content_url, f"{where}.originalContentUrl")
    elif isinstance(message, ImagemapMessage):
        check_url(message.base_url, f"{where}.baseUrl")
    elif isinstance(message, StickerMessage) and not (message.package_id and message.sticker_id):
        raise MessageValidationError("a sticker needs a package and sticker id", property=where)
    elif isinstance(message, CouponMessage):
        if not message.coupon_id:
            raise _fail(f"{where}.couponId", "required")
        if message.delivery_tag is not None and len(message.delivery_tag) > 30:
            raise _fail(f"{where}.deliveryTag", "longer than 30 characters")
    if isinstance(message, TemplateMessage | FlexMessage | ImagemapMessage) and not (
        0 < len(message.alt_text) <= MAX_ALT_TEXT
    ):
        raise MessageValidationError(
            f"alt text must be 1 to {MAX_ALT_TEXT} characters", property=f"{where}.altText"
        )
    if isinstance(message, FlexMessage):
        if isinstance(message.contents, Mapping):
            flex.from_json(message.contents, path=f"{where}.contents")
        else:
            flex.validate(message.contents, path=f"{where}.contents")
    elif isinstance(message, TemplateMessage):
        _check_template(_typed_template(message.template, f"{where}.template"), f"{where}.template")
    if message.sender is not None:
        if message.sender.name is not None and not 0 < len(message.sender.name) <= 20:
            raise _fail(f"{where}.sender.name", "must be 1 to 20 characters")
        if message.sender.icon_url is not None:
            check_url(message.sender.icon_url, f"{where}.sender.iconUrl")
    if message.quick_reply is not None:
        items = message.quick_reply.items
        if not 0 < len(items) <= MAX_QUICK_REPLY_ITEMS:
            raise MessageValidationError(
                f"quick reply takes 1 to {MAX_QUICK_REPLY_ITEMS} items",
                property=f"{where}.quickReply.items",
            )
        for i, item in enumerate(items):
            at = f"{where}.quickReply.items[{i}]"
            check_action(item.action, f"{at}.action")
            if item.image_url is not None:
                check_url(item.image_url, f"{at}.imageUrl")


Messages: TypeAlias = "Sendable | Iterable[Sendable]"
"""What every send takes, as each of its positional arguments: a ``str`` (one text message), a
message object, or an iterable of them. ``ctx.reply("a", "b")``, ``ctx.reply(["a", "b"])``,
``client.push(to, "a", "b")`` and ``client.push(to, ["a", "b"])`` all send two messages."""


def _one(item: Any) -> Message:
    if isinstance(item, str):
        return TextMessage(text=item)
    if isinstance(item, MESSAGE_TYPES):
        return item  # type: ignore[no-any-return]
    raise MessageValidationError(
        f"cannot send {type(item).__name__}: pass a str or a linegroupbot.messages object"
    )


_SINGLE: tuple[type[Any], ...] = (str, bytes, dict, *MESSAGE_TYPES)
"""What a send's argument is as one item (a str or dict is never a sequence of messages)."""


def _check_text_message(text: str, where: str) -> None:
    if not text:
        raise MessageValidationError("text must not be empty", property=f"{where}.text")
    if len(text) > MAX_TEXT_LENGTH:
        raise MessageValidationError(
            f"text is {len(text)} characters; LINE allows {MAX_TEXT_LENGTH}: "
            "split it into several messages",
            property=f"{where}.text",
        )


def normalize(messages: Messages | Iterable[Messages]) -> tuple[Message, ...]:
    """Turn ``str`` into :class:`TextMessage` and validate 1 to 5 messages as LINE would.

    A bare ``str`` (or message) is one message, never a sequence of characters; an
    iterable's items are messages, and iterables inside it are opened once more (so the
    varargs of a send may mix single messages and lists).

    Args:
        messages: What a send was given: a message, a ``str``, or iterables of them.

    Returns:
        The messages, validated.

    Raises:
        MessageValidationError: No messages, more than five, or one LINE would refuse;
            its ``property`` names the offending field (``messages[0].text``).
    """
    if type(messages) is tuple and len(messages) == 1:  # the varargs of a one-message send
        only = messages[0]
        if type(only) is str:
            _check_text_message(only, "messages[0]")
            return (TextMessage(text=only),)
        if isinstance(only, MESSAGE_TYPES):
            _check(only, "messages[0]")
            return (only,)
    items: Iterable[Any]
    if isinstance(messages, _SINGLE) or not isinstance(messages, Iterable):
        items = (messages,)
    else:
        items = messages
    result: list[Message] = []
    for item in items:
        if isinstance(item, str):
            result.append(TextMessage(text=item))
        elif isinstance(item, MESSAGE_TYPES):
            result.append(item)
        elif isinstance(item, Iterable) and not isinstance(item, bytes | dict):
            result.extend(_one(inner) for inner in item)
        else:
            result.append(_one(item))
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


QUOTABLE: tuple[type[Any], ...] = (TextMessage, TextMessageV2, StickerMessage)
"""Messages LINE lets quote another message (text, textV2 and sticker)."""


def quoting(messages: Messages | Iterable[Messages], quote_token: str) -> tuple[Message, ...]:
    """:func:`normalize` ``messages`` with ``quote_token`` on the first text or sticker message.

    Raises :class:`~linegroupbot.errors.MessageValidationError` when none of them can quote
    (LINE quotes only from text, textV2 and sticker messages).
    """
    result = list(normalize(messages))
    for index, message in enumerate(result):
        if isinstance(message, QUOTABLE):
            result[index] = attrs.evolve(message, quote_token=quote_token)
            return tuple(result)
    raise MessageValidationError(
        "quote=True needs a text or sticker message to carry the quote: LINE cannot quote "
        f"from {', '.join(m.type for m in result)} messages",
        property="messages",
    )
