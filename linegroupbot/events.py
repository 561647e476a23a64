"""Typed models of everything LINE sends to a bot's webhook.

All models are frozen, slotted attrs classes with snake_case attributes; the JSON
names live only in :mod:`linegroupbot.convert`. Optional fields that LINE leaves
out are ``None``. Types LINE adds later are kept as :class:`UnknownEvent`,
:class:`UnknownMessageContent` or :class:`UnknownSource` with their raw JSON.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, TypeAlias

import attrs

Scope: TypeAlias = Literal["group", "room", "user"]
"""The kind of chat an event comes from."""

Mode: TypeAlias = Literal["active", "standby"]
"""``standby`` means another channel handles the chat: do not reply."""


# --- sources -----------------------------------------------------------------------


@attrs.frozen
class UserSource:
    """A one-on-one chat with a user (also the members of memberJoined/memberLeft).

    Attributes:
        user_id: The user's ID.
    """

    user_id: str | None = None

    type: ClassVar[str] = "user"
    scope: ClassVar[Scope] = "user"

    @property
    def chat_id(self) -> str | None:
        """The ID to push to: the user's ID."""
        return self.user_id


@attrs.frozen
class GroupSource:
    """A group chat; ``user_id`` is absent when the member has not agreed to the terms.

    Attributes:
        group_id: The group's ID.
    """

    group_id: str
    user_id: str | None = None

    type: ClassVar[str] = "group"
    scope: ClassVar[Scope] = "group"

    @property
    def chat_id(self) -> str:
        """The ID to push to: the group's ID."""
        return self.group_id


@attrs.frozen
class RoomSource:
    """A multi-person chat (room); ``user_id`` is absent when the member has not agreed.

    Attributes:
        room_id: The room's ID.
    """

    room_id: str
    user_id: str | None = None

    type: ClassVar[str] = "room"
    scope: ClassVar[Scope] = "room"

    @property
    def chat_id(self) -> str:
        """The ID to push to: the room's ID."""
        return self.room_id


@attrs.frozen
class UnknownSource:
    """A source of a type this version does not know: ``type`` is its raw ``type``, ``raw``
    keeps the JSON."""

    type: str
    raw: dict[str, Any] = attrs.field(eq=False, hash=False, repr=False, factory=dict)

    @property
    def chat_id(self) -> str | None:
        """Unknown sources have no chat this version can address."""
        return None

    @property
    def user_id(self) -> str | None:
        """The ``userId`` of the raw source, if any."""
        value = self.raw.get("userId")
        return value if isinstance(value, str) else None

    @property
    def scope(self) -> str:
        """The raw ``type`` of the source."""
        return self.type


Source: TypeAlias = UserSource | GroupSource | RoomSource | UnknownSource
"""Where an event comes from."""


# --- message contents -----------------------------------------------------------------


@attrs.frozen
class Emoji:
    """A LINE emoji inside a text message.

    Attributes:
        index: Where it starts in the text (0: at the first character).
        length: How long it is in the text.
        product_id: The emoji set's ID.
        emoji_id: The emoji's ID within the set.
    """

    index: int
    length: int
    product_id: str
    emoji_id: str


@attrs.frozen
class UserMentionee:
    """A mentioned user; ``user_id`` only when they agreed to the terms, ``is_self`` for the bot.

    Attributes:
        index: Where it starts in the text (0: at the first character).
        length: How long it is in the text.
    """

    index: int
    length: int
    user_id: str | None = None
    is_self: bool | None = None

    type: ClassVar[str] = "user"


@attrs.frozen
class AllMentionee:
    """An ``@All`` mention.

    Attributes:
        index: Where it starts in the text (0: at the first character).
        length: How long it is in the text.
    """

    index: int
    length: int

    type: ClassVar[str] = "all"


@attrs.frozen
class UnknownMentionee:
    """A mention of a type this version does not know; ``type`` is its raw ``type``.

    Attributes:
        index: Where it starts in the text (0: at the first character).
        length: How long it is in the text.
    """

    type: str
    index: int
    length: int


Mentionee: TypeAlias = UserMentionee | AllMentionee | UnknownMentionee
"""One mention inside a text message."""


@attrs.frozen
class Mention:
    """The mentions of a text message.

    Attributes:
        mentionees: Everyone mentioned, in text order.
    """

    mentionees: tuple[Mentionee, ...] = ()


@attrs.frozen
class ContentProvider:
    """Where a media message's content lives: ``type`` is ``"line"`` (download it) or
    ``"external"`` (the URLs below).

    Attributes:
        original_content_url: The content's URL, for ``external``.
        preview_image_url: The preview's URL, for ``external``.
    """

    type: str
    original_content_url: str | None = None
    preview_image_url: str | None = None


@attrs.frozen
class ImageSet:
    """Images sent together: the set's ``id``, this image's ``index`` and the ``total``."""

    id: str
    index: int | None = None
    total: int | None = None


class _NotText:
    """Mixin: what every non-text message content answers to the text helpers."""

    __slots__ = ()

    @property
    def text(self) -> str | None:
        """Non-text messages have no text."""
        return None

    @property
    def mentions_bot(self) -> bool:
        """Non-text messages cannot mention anyone."""
        return False


@attrs.frozen
class TextMessageContent:
    """A text message.

    Attributes:
        id: The message ID (for content downloads and quotes).
        text: The text.
        quote_token: The token that quotes this message in a reply or push.
        emojis: The LINE emojis in the text.
        mention: Who the text mentions (``None``: nobody).
        quoted_message_id: The ID of the message this one quotes, if it quotes one.
        mark_as_read_token: The token that marks the chat read up to this message.
    """

    id: str
    text: str
    quote_token: str | None = None
    emojis: tuple[Emoji, ...] | None = None
    mention: Mention | None = None
    quoted_message_id: str | None = None
    mark_as_read_token: str | None = None

    type: ClassVar[str] = "text"

    @property
    def mentionees(self) -> tuple[Mentionee, ...]:
        """All mentions in the message (empty when there are none)."""
        return self.mention.mentionees if self.mention is not None else ()

    @property
    def mentions_bot(self) -> bool:
        """Whether the bot itself is mentioned (``@All`` does not count)."""
        return any(isinstance(m, UserMentionee) and m.is_self for m in self.mentionees)

    @property
    def mentions_all(self) -> bool:
        """Whether the message mentions ``@All``."""
        return any(isinstance(m, AllMentionee) for m in self.mentionees)


@attrs.frozen
class ImageMessageContent(_NotText):
    """An image message; fetch LINE-hosted content with ``LineClient.get_content``.

    Attributes:
        id: The message ID (for content downloads and quotes).
        content_provider: Where the content lives (LINE, or external URLs).
        quote_token: The token that quotes this message in a reply or push.
        image_set: The set it belongs to, when several images were sent together.
        mark_as_read_token: The token that marks the chat read up to this message.
    """

    id: str
    content_provider: ContentProvider
    quote_token: str | None = None
    image_set: ImageSet | None = None
    mark_as_read_token: str | None = None

    type: ClassVar[str] = "image"


@attrs.frozen
class VideoMessageContent(_NotText):
    """A video message (``duration`` in milliseconds).

    Attributes:
        id: The message ID (for content downloads and quotes).
        content_provider: Where the content lives (LINE, or external URLs).
        quote_token: The token that quotes this message in a reply or push.
        mark_as_read_token: The token that marks the chat read up to this message.
    """

    id: str
    content_provider: ContentProvider
    quote_token: str | None = None
    duration: int | None = None
    mark_as_read_token: str | None = None

    type: ClassVar[str] = "video"


@attrs.frozen
class AudioMessageContent(_NotText):
    """An audio message (``duration`` in milliseconds).

    Attributes:
        id: The message ID (for content downloads and quotes).
        content_provider: Where the content lives (LINE, or external URLs).
        mark_as_read_token: The token that marks the chat read up to this message.
    """

    id: str
    content_provider: ContentProvider
    duration: int | None = None
    mark_as_read_token: str | None = None

    type: ClassVar[str] = "audio"


@attrs.frozen
class FileMessageContent(_NotText):
    """A file message.

    Attributes:
        id: The message ID (for content downloads and quotes).
        file_name: The file's name.
        file_size: Its size in bytes.
        mark_as_read_token: The token that marks the chat read up to this message.
    """

    id: str
    file_name: str
    file_size: int
    mark_as_read_token: str | None = None

    type: ClassVar[str] = "file"


@attrs.frozen
class LocationMessageContent(_NotText):
    """A location message.

    Attributes:
        id: The message ID (for content downloads and quotes).
        latitude: Degrees north.
        longitude: Degrees east.
        title: The place's name, if any.
        address: Its address, if any.
        mark_as_read_token: The token that marks the chat read up to this message.
    """

    id: str
    latitude: float
    longitude: float
    title: str | None = None
    address: str | None = None
    mark_as_read_token: str | None = None

    type: ClassVar[str] = "location"


@attrs.frozen
class StickerMessageContent:
    """A sticker; ``text`` is what the user typed on a message sticker.

    Attributes:
        id: The message ID (for content downloads and quotes).
        package_id: The sticker package's ID.
        sticker_id: The sticker's ID.
        sticker_resource_type: ``"STATIC"``, ``"ANIMATION"``, ``"MESSAGE"``... as LINE names it.
        keywords: Words LINE associates with the sticker.
        quote_token: The token that quotes this message in a reply or push.
        quoted_message_id: The ID of the message this one quotes, if it quotes one.
        mark_as_read_token: The token that marks the chat read up to this message.
    """

    id: str
    package_id: str
    sticker_id: str
    sticker_resource_type: str | None = None
    keywords: tuple[str, ...] | None = None
    text: str | None = None
    quote_token: str | None = None
    quoted_message_id: str | None = None
    mark_as_read_token: str | None = None

    type: ClassVar[str] = "sticker"

    @property
    def mentions_bot(self) -> bool:
        """Stickers cannot mention anyone."""
        return False


@attrs.frozen
class UnknownMessageContent(_NotText):
    """A message of a type this version does not know: ``type`` is its raw ``type``, ``raw``
    keeps the JSON.

    Attributes:
        id: The message ID, if it has one.
    """

    type: str
    id: str | None = None
    raw: dict[str, Any] = attrs.field(eq=False, hash=False, repr=False, factory=dict)


MessageContent: TypeAlias = (
    TextMessageContent
    | ImageMessageContent
    | VideoMessageContent
    | AudioMessageContent
    | FileMessageContent
    | LocationMessageContent
    | StickerMessageContent
    | UnknownMessageContent
)
"""What a user sent in a message event."""


# --- event details -----------------------------------------------------------------------


@attrs.frozen
class DeliveryContext:
    """``is_redelivery`` is true when LINE sends an event again after a failed delivery."""

    is_redelivery: bool = False


@attrs.frozen
class UnsendDetail:
    """Which message the user unsent.

    Attributes:
        message_id: The unsent message's ID.
    """

    message_id: str


@attrs.frozen
class FollowDetail:
    """``is_unblocked`` is true when the user unblocked the bot rather than adding it anew."""

    is_unblocked: bool


@attrs.frozen
class Members:
    """The members who joined or left a group or room.

    Attributes:
        members: The members, as user sources (``user_id`` ``None`` for those who have not agreed to
            the terms).
    """

    members: tuple[UserSource, ...] = ()


@attrs.frozen
class PostbackParams:
    """What a datetime picker or rich-menu switch action adds to a postback.

    Attributes:
        date: The date picked (``2026-12-01``).
        time: The time picked (``18:30``).
        datetime: The date and time picked (``2026-12-01T18:30``).
        new_rich_menu_alias_id: The rich menu alias switched to.
        status: How the rich-menu switch went (``"SUCCESS"``...).
    """

    date: str | None = None
    time: str | None = None
    datetime: str | None = None
    new_rich_menu_alias_id: str | None = None
    status: str | None = None


@attrs.frozen
class PostbackContent:
    """The ``data`` of the tapped postback action, and picker ``params`` if any."""

    data: str
    params: PostbackParams | None = None


@attrs.frozen
class VideoPlayCompleteDetail:
    """The tracking ID of the video the user watched to the end.

    Attributes:
        tracking_id: The ``tracking_id`` the video message was sent with.
    """

    tracking_id: str


@attrs.frozen
class BeaconContent:
    """A LINE Beacon event: ``type`` is ``"enter"``, ``"banner"`` or ``"stay"``.

    Attributes:
        hwid: The beacon's hardware ID.
        dm: The device message, if the beacon sent one.
    """

    hwid: str
    type: str
    dm: str | None = None


@attrs.frozen
class LinkContent:
    """Result of account linking: ``ok`` or ``failed`` and the nonce.

    Attributes:
        result: ``"ok"`` or ``"failed"``.
        nonce: The nonce the linking started with.
    """

    result: str
    nonce: str


@attrs.frozen
class ThingsContent:
    """A LINE Things device event; ``type`` is ``"link"``, ``"unlink"`` or
    ``"scenarioResult"``, and ``result`` keeps the scenario result JSON.

    Attributes:
        device_id: The device's ID.
    """

    device_id: str
    type: str
    result: dict[str, Any] | None = None


@attrs.frozen
class MembershipContent:
    """A membership change: ``type`` is ``"joined"``, ``"left"`` or ``"renewed"``.

    Attributes:
        membership_id: The membership plan's ID.
    """

    type: str
    membership_id: int


@attrs.frozen
class ModuleContent:
    """A module channel was attached (``type`` is ``"attached"``, with ``scopes``) or detached
    (``"detached"``, with ``reason``).

    Attributes:
        bot_id: The bot the module channel is attached to.
    """

    type: str
    bot_id: str | None = None
    scopes: tuple[str, ...] | None = None
    reason: str | None = None


@attrs.frozen
class ChatControl:
    """When the module channel's chat control expires (ms since epoch).

    Attributes:
        expire_at: When chat control ends, in milliseconds since the epoch.
    """

    expire_at: int


@attrs.frozen
class PnpDelivery:
    """Delivery result of a LINE notification message.

    Attributes:
        data: The hashed phone number, or the delivery tag the message was sent with.
    """

    data: str


# --- events --------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Event:
    """Fields every webhook event has.

    ``source`` is ``None`` only for account-level events that have none.

    Attributes:
        timestamp: When it happened, in milliseconds since the epoch.
        mode: ``"active"``, or ``"standby"`` when another channel handles the chat.
        webhook_event_id: The event's unique ID (the same on every redelivery).
        delivery_context: Whether this is a redelivery.
    """

    timestamp: int
    mode: Mode = "active"
    webhook_event_id: str
    delivery_context: DeliveryContext = DeliveryContext()
    source: Source | None = None

    type: ClassVar[str] = "event"

    @property
    def is_redelivery(self) -> bool:
        """Whether LINE is sending this event again after a failed delivery."""
        return self.delivery_context.is_redelivery

    @property
    def chat_id(self) -> str | None:
        """The group, room or user ID this event came from (``None`` without a source)."""
        source = self.source
        # The source's own chat_id, read directly for the usual sources (one property
        # call instead of two: every event's chat ID is read as it is handled).
        if type(source) is GroupSource:
            return source.group_id
        if type(source) is UserSource:
            return source.user_id
        if type(source) is RoomSource:
            return source.room_id
        return source.chat_id if source is not None else None

    @property
    def scope(self) -> str | None:
        """``"group"``, ``"room"`` or ``"user"`` (``None`` without a source)."""
        return self.source.scope if self.source is not None else None

    @property
    def user_id(self) -> str | None:
        """The acting user's ID, when LINE sent it."""
        return self.source.user_id if self.source is not None else None

    @property
    def reply_token_or_none(self) -> str | None:
        """This event's reply token, or ``None`` for event types that have none."""
        token = getattr(self, "reply_token", None)
        return token if isinstance(token, str) else None


@attrs.frozen(kw_only=True)
class MessageEvent(Event):
    """A user sent a message.

    Attributes:
        message: What the user sent.
        reply_token: The reply token: answer within a minute, once (``None`` when LINE sent none).
    """

    message: MessageContent
    reply_token: str | None = None

    type: ClassVar[str] = "message"


@attrs.frozen(kw_only=True)
class MessageEditedEvent(Event):
    """A member edited a text message in a group (LINE has no edits in 1:1 chats).

    ``message`` is the message as edited: the original message's ``id`` with the new text
    and mentions. Edits of one message may arrive out of order: the one with the largest
    ``timestamp`` is the latest (the framework tells handlers, see the events guide).

    Attributes:
        reply_token: The reply token: answer within a minute, once (``None`` when LINE sent none).
    """

    message: MessageContent
    reply_token: str | None = None

    type: ClassVar[str] = "messageEdited"


@attrs.frozen(kw_only=True)
class UnsendEvent(Event):
    """A user unsent a message.

    Attributes:
        unsend: Which message was unsent.
    """

    unsend: UnsendDetail

    type: ClassVar[str] = "unsend"


@attrs.frozen(kw_only=True)
class FollowEvent(Event):
    """A user added the bot as a friend (or unblocked it).

    Attributes:
        reply_token: The reply token: answer within a minute, once (``None`` when LINE sent none).
        follow: Whether the user unblocked the bot.
    """

    reply_token: str | None = None
    follow: FollowDetail | None = None

    type: ClassVar[str] = "follow"


@attrs.frozen(kw_only=True)
class UnfollowEvent(Event):
    """A user blocked the bot."""

    type: ClassVar[str] = "unfollow"


@attrs.frozen(kw_only=True)
class JoinEvent(Event):
    """The bot joined a group (at once) or a room (on the room's next event).

    Attributes:
        reply_token: The reply token: answer within a minute, once (``None`` when LINE sent none).
    """

    reply_token: str | None = None

    type: ClassVar[str] = "join"


@attrs.frozen(kw_only=True)
class LeaveEvent(Event):
    """The bot was removed from a group or left a room."""

    type: ClassVar[str] = "leave"


@attrs.frozen(kw_only=True)
class MemberJoinedEvent(Event):
    """Users joined a group or room the bot is in.

    Attributes:
        joined: Who joined.
        reply_token: The reply token: answer within a minute, once (``None`` when LINE sent none).
    """

    joined: Members
    reply_token: str | None = None

    type: ClassVar[str] = "memberJoined"


@attrs.frozen(kw_only=True)
class MemberLeftEvent(Event):
    """Users left a group or room the bot is in.

    Attributes:
        left: Who left.
    """

    left: Members

    type: ClassVar[str] = "memberLeft"


@attrs.frozen(kw_only=True)
class PostbackEvent(Event):
    """A user tapped a postback action.

    Attributes:
        postback: The postback's data and picker params.
        reply_token: The reply token: answer within a minute, once (``None`` when LINE sent none).
    """

    postback: PostbackContent
    reply_token: str | None = None

    type: ClassVar[str] = "postback"


@attrs.frozen(kw_only=True)
class VideoPlayCompleteEvent(Event):
    """A user watched a tracked video to the end.

    Attributes:
        video_play_complete: Which video was watched.
        reply_token: The reply token: answer within a minute, once (``None`` when LINE sent none).
    """

    video_play_complete: VideoPlayCompleteDetail
    reply_token: str | None = None

    type: ClassVar[str] = "videoPlayComplete"


@attrs.frozen(kw_only=True)
class BeaconEvent(Event):
    """A user came near a LINE Beacon.

    Attributes:
        beacon: The beacon and what happened.
        reply_token: The reply token: answer within a minute, once (``None`` when LINE sent none).
    """

    beacon: BeaconContent
    reply_token: str | None = None

    type: ClassVar[str] = "beacon"


@attrs.frozen(kw_only=True)
class AccountLinkEvent(Event):
    """A user linked (or failed to link) their account.

    Attributes:
        link: The result of the linking.
        reply_token: The reply token: answer within a minute, once (``None`` when LINE sent none).
    """

    link: LinkContent
    reply_token: str | None = None

    type: ClassVar[str] = "accountLink"


@attrs.frozen(kw_only=True)
class ThingsEvent(Event):
    """A LINE Things device event.

    Attributes:
        things: The device and what happened.
        reply_token: The reply token: answer within a minute, once (``None`` when LINE sent none).
    """

    things: ThingsContent
    reply_token: str | None = None

    type: ClassVar[str] = "things"


@attrs.frozen(kw_only=True)
class MembershipEvent(Event):
    """A user joined, left or renewed a membership.

    Attributes:
        membership: The membership change.
        reply_token: The reply token: answer within a minute, once (``None`` when LINE sent none).
    """

    membership: MembershipContent
    reply_token: str | None = None

    type: ClassVar[str] = "membership"


@attrs.frozen(kw_only=True)
class ModuleEvent(Event):
    """A module channel was attached or detached.

    Attributes:
        module: What was attached or detached.
    """

    module: ModuleContent

    type: ClassVar[str] = "module"


@attrs.frozen(kw_only=True)
class ActivatedEvent(Event):
    """The module channel got chat control.

    Attributes:
        chat_control: Until when the channel has chat control.
    """

    chat_control: ChatControl

    type: ClassVar[str] = "activated"


@attrs.frozen(kw_only=True)
class DeactivatedEvent(Event):
    """The module channel lost chat control."""

    type: ClassVar[str] = "deactivated"


@attrs.frozen(kw_only=True)
class BotSuspendedEvent(Event):
    """The module channel's bot was suspended."""

    type: ClassVar[str] = "botSuspended"


@attrs.frozen(kw_only=True)
class BotResumedEvent(Event):
    """The module channel's bot was resumed."""

    type: ClassVar[str] = "botResumed"


@attrs.frozen(kw_only=True)
class DeliveryEvent(Event):
    """A LINE notification message was delivered.

    Attributes:
        delivery: The delivery's data.
    """

    delivery: PnpDelivery

    type: ClassVar[str] = "delivery"


@attrs.frozen(kw_only=True)
class UnknownEvent(Event):
    """An event of a type this version does not know; ``raw`` keeps its whole JSON.

    Attributes:
        event_type: The event's raw ``type``.
    """

    event_type: str
    raw: dict[str, Any] = attrs.field(eq=False, hash=False, repr=False, factory=dict)

    type: ClassVar[str] = "unknown"


KNOWN_EVENT_TYPES: tuple[type[Event], ...] = (
    MessageEvent,
    MessageEditedEvent,
    UnsendEvent,
    FollowEvent,
    UnfollowEvent,
    JoinEvent,
    LeaveEvent,
    MemberJoinedEvent,
    MemberLeftEvent,
    PostbackEvent,
    VideoPlayCompleteEvent,
    BeaconEvent,
    AccountLinkEvent,
    ThingsEvent,
    MembershipEvent,
    ModuleEvent,
    ActivatedEvent,
    DeactivatedEvent,
    BotSuspendedEvent,
    BotResumedEvent,
    DeliveryEvent,
)
"""Every event class with a fixed LINE ``type``."""


@attrs.frozen
class WebhookBody:
    """A whole webhook request: the bot's user ID and the events (possibly none).

    Attributes:
        events: The events, in the order LINE sent them.
        destination: The bot's user ID (the channel the webhook is for).
    """

    events: tuple[Event, ...]
    destination: str | None = None
