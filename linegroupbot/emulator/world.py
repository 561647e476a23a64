"""The emulated LINE world: users, groups, rooms, the bot's memberships, and what happened.

Pure state and event building; no I/O. The HTTP sides (``api``, ``webhooks``) and the
:class:`~linegroupbot.emulator.Emulator` drive it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from typing import Any, Literal

import attrs

__all__ = [
    "ApiCall",
    "Chat",
    "Delivery",
    "QuoteTarget",
    "ReplyToken",
    "TimelineEntry",
    "User",
    "World",
]

ChatKind = Literal["group", "room", "user"]

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ulid() -> str:
    """A ULID (what LINE uses for ``webhookEventId``): 48-bit ms time + 80 random bits."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def new_id(prefix: str) -> str:
    """A LINE-shaped ID: ``U``, ``C`` or ``R`` followed by 32 hex digits."""
    return prefix + secrets.token_hex(16)


@attrs.define
class User:
    """A LINE user; ``consented`` users' IDs appear in group/room events.

    Attributes:
        user_id: The user's ID (``U...``).
        display_name: Their name (what :meth:`Emulator.user` finds them by).
        picture_url: Their profile picture.
        status_message: Their status message.
        consented: Whether they agreed to the Official Account terms.
        friend: Whether they have added the bot as a friend.
        blocked: Whether they blocked the bot.
    """

    user_id: str
    display_name: str
    picture_url: str | None = None
    status_message: str | None = None
    consented: bool = True
    friend: bool = False
    blocked: bool = False


@attrs.define
class Chat:
    """A group, room or 1:1 chat and the bot's place in it.

    Attributes:
        chat_id: The chat's ID (``C...`` group, ``R...`` room, the user's ID for a 1:1 chat).
        kind: ``"group"``, ``"room"`` or ``"user"``.
        name: The group's name (rooms and 1:1 chats have none).
        members: The members' user IDs.
        bot_in: Whether the bot is in the chat.
        exists: False for a room nobody has spoken in yet.
        join_pending: The bot was invited to a room that has not had an event yet: its
            ``join`` comes with the room's first event.
        loading_until: When the loading animation ends (epoch ms), while it shows.
    """

    chat_id: str
    kind: ChatKind
    name: str | None = None
    members: list[str] = attrs.Factory(list)
    bot_in: bool = False
    exists: bool = True
    join_pending: bool = False
    loading_until: int | None = None


@attrs.define
class TimelineEntry:
    """One line of a chat's timeline: a member's or the bot's message, or a system note."""

    seq: int
    chat_id: str
    kind: Literal["member", "bot", "system"]
    sender: str | None
    message: dict[str, Any]
    timestamp: int
    via: str | None = None
    edited: bool = False
    unsent: bool = False
    message_id: str | None = None
    quote_token: str | None = None
    quick_reply_done: bool = False


@attrs.define
class ApiCall:
    """A Messaging API request the bot made and how the emulator answered it.

    Attributes:
        seq: Its place in the emulator's sequence of recorded things.
        method: The HTTP method.
        path: The request path (``/v2/bot/message/push``).
        query: The query parameters.
        headers: The request headers (the token redacted).
        json: The request's JSON body (``None`` without one).
        status: The status the emulator answered with.
        response: The body it answered with.
        request_id: The ``x-line-request-id`` it answered with.
        retry_key: The ``X-Line-Retry-Key`` the request carried.
        chat_id: The chat the call was about (a push's target, a reply's chat...), if any.
        latency_ms: How long the emulator took to answer.
        timestamp: When it was made, in epoch milliseconds.
    """

    seq: int
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    status: int
    response: Any
    request_id: str
    retry_key: str | None = None
    chat_id: str | None = None
    latency_ms: float | None = None
    timestamp: int = attrs.Factory(lambda: int(time.time() * 1000))


@attrs.define
class Delivery:
    """One webhook POST to the bot and its outcome.

    Attributes:
        seq: Its place in the emulator's sequence of recorded things (``redeliver`` takes it).
        event_ids: The ``webhookEventId`` of each event, in order.
        event_types: The ``type`` of each event, in order.
        attempt: 1 for the first delivery, more for redeliveries.
        is_redelivery: Whether the events were marked ``isRedelivery``.
        status: The bot's HTTP status (``None`` when it did not answer).
        error: What went wrong when it did not answer (the exception's name).
        body: The JSON body sent.
        signature: Its ``x-line-signature``.
        chat_ids: The chats the events came from.
        latency_ms: How long the bot took to answer.
        timestamp: When it was sent, in epoch milliseconds.
    """

    seq: int
    event_ids: list[str]
    event_types: list[str]
    attempt: int
    is_redelivery: bool
    status: int | None = None
    error: str | None = None
    body: str = ""
    signature: str = ""
    chat_ids: list[str] = attrs.Factory(list)
    latency_ms: float | None = None
    timestamp: int = attrs.Factory(lambda: int(time.time() * 1000))


@attrs.define
class ReplyToken:
    """An issued reply token: where it answers to, when it was made, whether it was used."""

    token: str
    chat_id: str
    issued_at: float
    used: bool = False


@attrs.define
class QuoteTarget:
    """What a quote token points at: a message in one chat."""

    chat_id: str
    message_id: str


@attrs.define
class World:
    """Everything the emulated platform knows."""

    bot_user_id: str = attrs.Factory(lambda: new_id("U"))
    bot_name: str = "Bot"
    users: dict[str, User] = attrs.Factory(dict)
    chats: dict[str, Chat] = attrs.Factory(dict)
    timeline: list[TimelineEntry] = attrs.Factory(list)
    calls: list[ApiCall] = attrs.Factory(list)
    deliveries: list[Delivery] = attrs.Factory(list)
    reply_tokens: dict[str, ReplyToken] = attrs.Factory(dict)
    contents: dict[str, tuple[bytes, str]] = attrs.Factory(dict)
    quote_tokens: dict[str, QuoteTarget] = attrs.Factory(dict)
    _seq: int = 0
    _message_seq: int = 500_000_000_000_000_000

    def next_seq(self) -> int:
        """A number that orders everything recorded."""
        self._seq += 1
        return self._seq

    def next_message_id(self) -> str:
        """A numeric message ID like LINE's."""
        self._message_seq += 1
        return str(self._message_seq)

    def issue_quote_token(self, chat_id: str, message_id: str) -> str:
        """A quote token for a message; replies and pushes to that chat may quote it."""
        token = secrets.token_urlsafe(48)
        self.quote_tokens[token] = QuoteTarget(chat_id, message_id)
        return token

    # --- lookups ------------------------------------------------------------------------

    def user(self, ref: str) -> User:
        """A user by ID or display name."""
        if ref in self.users:
            return self.users[ref]
        for user in self.users.values():
            if user.display_name == ref:
                return user
        raise KeyError(f"no user {ref!r}")

    def chat(self, chat_id: str) -> Chat:
        """A chat by ID (or group name)."""
        if chat_id in self.chats:
            return self.chats[chat_id]
        for chat in self.chats.values():
            if chat.name == chat_id:
                return chat
        raise KeyError(f"no chat {chat_id!r}")

    def direct_chat(self, user_id: str) -> Chat:
        """The 1:1 chat with a user (made on first use)."""
        chat = self.chats.get(user_id)
        if chat is None:
            chat = Chat(chat_id=user_id, kind="user", members=[user_id], bot_in=False)
            self.chats[user_id] = chat
        return chat

    # --- changes -------------------------------------------------------------------------

    def add_user(self, display_name: str, *, consented: bool = True, friend: bool = False) -> User:
        """Add a user to the world."""
        user = User(
            user_id=new_id("U"),
            display_name=display_name,
            picture_url=f"https://profile.line-scdn.example/{display_name.lower()}.png",
            consented=consented,
            friend=friend,
        )
        self.users[user.user_id] = user
        if friend:
            self.direct_chat(user.user_id).bot_in = True
        return user

    def add_group(self, name: str, members: Iterable[str]) -> Chat:
        """Create a group with members (user IDs)."""
        chat = Chat(chat_id=new_id("C"), kind="group", name=name, members=list(members))
        self.chats[chat.chat_id] = chat
        return chat

    def add_room(self, members: Iterable[str]) -> Chat:
        """Create a room; it exists on the platform only once someone sends a message."""
        chat = Chat(chat_id=new_id("R"), kind="room", members=list(members), exists=False)
        self.chats[chat.chat_id] = chat
        return chat

    def note(self, chat_id: str, text: str) -> TimelineEntry:
        """Record a system line (joins, leaves) in a chat's timeline."""
        return self.record(chat_id, "system", None, {"type": "text", "text": text})

    def record(
        self,
        chat_id: str,
        kind: Literal["member", "bot", "system"],
        sender: str | None,
        message: dict[str, Any],
        via: str | None = None,
    ) -> TimelineEntry:
        """Append to a chat's timeline."""
        entry = TimelineEntry(
            seq=self.next_seq(),
            chat_id=chat_id,
            kind=kind,
            sender=sender,
            message=message,
            timestamp=int(time.time() * 1000),
            via=via,
            message_id=message.get("id") if kind == "member" else None,
            quote_token=message.get("quoteToken") if kind == "member" else None,
        )
        self.timeline.append(entry)
        chat = self.chats.get(chat_id)
        if kind == "bot" and chat is not None:
            chat.loading_until = None
        return entry

    # --- events ----------------------------------------------------------------------------

    def source(self, chat: Chat, user_id: str | None) -> dict[str, Any]:
        """The webhook ``source`` object; the userId only when the user agreed to the terms."""
        src: dict[str, Any] = {"type": chat.kind}
        if chat.kind == "group":
            src["groupId"] = chat.chat_id
        elif chat.kind == "room":
            src["roomId"] = chat.chat_id
        if user_id is not None and (chat.kind == "user" or self.users[user_id].consented):
            src["userId"] = user_id
        return src

    def event(
        self,
        kind: str,
        chat: Chat | None,
        user_id: str | None = None,
        *,
        reply: bool = False,
        **fields: Any,
    ) -> dict[str, Any]:
        """Build one webhook event as LINE sends it, issuing a reply token if asked."""
        event: dict[str, Any] = {
            "type": kind,
            "mode": "active",
            "timestamp": int(time.time() * 1000),
            "webhookEventId": new_ulid(),
            "deliveryContext": {"isRedelivery": False},
        }
        if chat is not None:
            event["source"] = self.source(chat, user_id)
        if reply and chat is not None:
            token = secrets.token_hex(16)
            self.reply_tokens[token] = ReplyToken(token, chat.chat_id, time.monotonic())
            event["replyToken"] = token
        event.update(fields)
        return event

    def mentions_in(self, chat: Chat, text: str) -> dict[str, Any] | None:
        """Mention metadata for ``@Name`` of members, ``@<bot name>`` and ``@All``.

        Only in groups and rooms: LINE has no mentions in 1:1 chats.
        """
        if chat.kind == "user":
            return None
        mentionees: list[dict[str, Any]] = []
        names = [(self.bot_name, self.bot_user_id, True)]
        names += [(self.users[m].display_name, m, False) for m in chat.members]
        position = 0
        while (at := text.find("@", position)) != -1:
            rest = text[at + 1 :]
            if rest.startswith("All"):
                mentionees.append({"index": at, "length": 4, "type": "all"})
                position = at + 4
                continue
            for name, user_id, is_self in sorted(names, key=lambda n: -len(n[0])):
                if rest.startswith(name):
                    item: dict[str, Any] = {"index": at, "length": len(name) + 1, "type": "user"}
                    if is_self or self.users[user_id].consented:
                        item["userId"] = user_id
                    if is_self:
                        item["isSelf"] = True
                    mentionees.append(item)
                    position = at + 1 + len(name)
                    break
            else:
                position = at + 1
        return {"mentionees": mentionees} if mentionees else None

    def end_quick_replies(self, chat_id: str) -> None:
        """A member acted in the chat: LINE takes the bot's quick reply buttons away."""
        for entry in reversed(self.timeline):
            if entry.chat_id == chat_id and entry.kind == "bot" and "quickReply" in entry.message:
                if entry.quick_reply_done:
                    break
                entry.quick_reply_done = True

    def entry(self, chat_id: str, message_id: str) -> TimelineEntry | None:
        """The timeline entry of a message in a chat (a member's or the bot's)."""
        for entry in reversed(self.timeline):
            if entry.chat_id == chat_id and entry.message_id == message_id:
                return entry
        return None

    def summary(self, *, recent: int = 300) -> dict[str, Any]:
        """The whole state as JSON for the web page (the last ``recent`` calls and deliveries)."""
        return {
            "bot": {"userId": self.bot_user_id, "name": self.bot_name},
            "users": [attrs.asdict(u) for u in self.users.values()],
            "chats": [attrs.asdict(c) for c in self.chats.values()],
            "timeline": [attrs.asdict(e) for e in self.timeline],
            "deliveries": [attrs.asdict(d) for d in self.deliveries[-recent:]],
            "calls": [attrs.asdict(c) for c in self.calls[-recent:]],
        }
