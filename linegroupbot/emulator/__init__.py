"""A local stand-in for the LINE platform: the Messaging API, webhooks and a browser chat.

``Emulator`` serves the endpoints a group bot calls (rejecting what LINE rejects, with
LINE's error shapes and headers: used reply tokens, unknown quote tokens, rooms nobody has
spoken in, message objects over LINE's limits, per-endpoint rate limits), keeps a small world
of users, groups and rooms, and sends the bot the signed webhooks LINE would send when members
act. Tests script it directly (every helper takes a ``Chat``, an ID or a name; a ``User``
stands for their 1:1 chat); people use its web page at ``/``, a group chat with an inspector
of every webhook and API call.
"""

from __future__ import annotations

import asyncio
import collections
import re
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

import attrs
import orjson
from aiohttp import web

from . import api, control
from .api import EMULATOR_KEY, FaultRule
from .webhooks import WebhookSender, sign
from .world import ApiCall, Chat, Delivery, User, World

__all__ = [
    "LINE_RATE_LIMITS",
    "ApiCall",
    "Chat",
    "Delivery",
    "Emulator",
    "EmulatorSettings",
    "FaultRule",
    "User",
    "World",
    "sign",
]

# A 1x1 PNG, the content of emulated image messages unless a test gives its own bytes.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db00000000049454e44ae426082"
)


@attrs.frozen(kw_only=True)
class EmulatorSettings:
    """How the emulated platform behaves.

    ``reply_token_ttl``: seconds a reply token stays valid (LINE: about a minute).
    ``verified``: whether the account may list member IDs (LINE: verified/premium only).
    ``rate_limit``: requests per second before 429, over all endpoints (``None``: unlimited).
    ``line_rate_limits``: LINE's own per-endpoint limits (:data:`LINE_RATE_LIMITS`), each
    endpoint counted on its own as LINE does; past one, that endpoint answers 429.
    ``redelivery``: resend failed webhooks with ``isRedelivery: true``.
    ``monthly_quota``: messages push/multicast/broadcast may send (``None``: no limit); past
    it, they answer 429 as LINE does.
    ``channel_secret`` and ``access_token``: the credentials the bot must use (the test
    helpers give them to the bot). ``webhook_url``: where webhooks go (the bot's callback;
    :meth:`Emulator.set_webhook_url` changes it). ``redelivery_delay``: seconds before a
    failed webhook is resent; ``max_redeliveries``: how often. ``webhook_timeout``: seconds
    the bot has to answer a webhook. ``member_ids_page_size``: IDs per page of the member
    list. ``bot_name``: the bot's display name (``@Bot`` in a text mentions it).
    """

    channel_secret: str = "emulator-channel-secret"  # noqa: S105 (a local emulator default)
    access_token: str = "emulator-access-token"  # noqa: S105
    webhook_url: str | None = None
    reply_token_ttl: float = 60.0
    verified: bool = False
    rate_limit: float | None = None
    line_rate_limits: bool = True
    redelivery: bool = True
    redelivery_delay: float = 1.0
    max_redeliveries: int = 3
    webhook_timeout: float = 5.0
    member_ids_page_size: int = 100
    monthly_quota: int | None = None
    bot_name: str = "Bot"


LINE_RATE_LIMITS: dict[str, tuple[int, float]] = {
    "default": (2000, 1.0),
    "/v2/bot/message/multicast": (200, 1.0),
    "/v2/bot/message/broadcast": (60, 3600.0),
    "/v2/bot/message/narrowcast": (60, 3600.0),
}
"""LINE's published per-channel limits: endpoint -> (requests, per seconds); others: default."""


def _fits(window: collections.deque[float], count: float, per: float, now: float) -> bool:
    while window and now - window[0] > per:
        window.popleft()
    if len(window) >= count:
        return False
    window.append(now)
    return True


class Emulator:
    """The emulated LINE platform; ``async with Emulator(...) as emu:`` serves it on loopback.

    Its methods take a ``chat`` as a ``Chat``, its ID, a group's name, or a
    ``User`` (for their 1:1 chat with the bot), and a ``user`` as a ``User``, its
    ID or its display name. Those that act return the webhook event the bot was sent (or
    the ``Delivery``).

    Args:
        settings: How the platform behaves (default: ``EmulatorSettings()``).
        **overrides: :class:`EmulatorSettings` fields to change (``verified=True``...).
    """

    def __init__(self, settings: EmulatorSettings | None = None, **overrides: Any) -> None:
        self.settings = attrs.evolve(settings or EmulatorSettings(), **overrides)
        self.world = World(bot_name=self.settings.bot_name)
        self.retry_keys: dict[str, tuple[str, Any]] = {}
        self.quota_used = 0
        self.narrowcasts: dict[str, int] = {}
        self.faults: list[FaultRule] = []
        self._calls_window: collections.deque[float] = collections.deque()
        self._endpoint_windows: dict[str, collections.deque[float]] = {}
        self._changed = asyncio.Event()
        self._listeners: list[Callable[[], None]] = []
        self._last_action: dict[str, int] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.sender = WebhookSender(
            self.world,
            channel_secret=self.settings.channel_secret,
            webhook_url=self.settings.webhook_url,
            timeout=self.settings.webhook_timeout,
            redelivery=self.settings.redelivery,
            redelivery_delay=self.settings.redelivery_delay,
            max_redeliveries=self.settings.max_redeliveries,
            on_change=self.changed,
        )
        self._runner: web.AppRunner | None = None
        self.url: str = ""

    # --- serving ---

    def create_app(self) -> web.Application:
        """The aiohttp application serving the API, the data host, control API and page."""
        app = web.Application(middlewares=[api.api_middleware], client_max_size=8 * 1024 * 1024)
        app[EMULATOR_KEY] = self
        api.add_routes(app)
        control.add_routes(app)
        app.on_cleanup.append(self._cleanup)
        return app

    async def _cleanup(self, _: web.Application) -> None:
        await self.close()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host`` (a loopback address) and ``port`` (``0`` picks a free one).

        Returns:
            The base URL (``http://127.0.0.1:PORT``).
        """
        from ..serving import start_site

        self._runner, bound_port = await start_site(self.create_app(), host, port)
        self.url = f"http://{host}:{bound_port}"
        return self.url

    async def close(self) -> None:
        """Stop pending work (redeliveries, leave events)."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.sender.close()

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.close()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def set_webhook_url(self, url: str | None) -> None:
        """Send webhooks to ``url`` (the bot's callback URL; ``None``: nowhere)."""
        self.sender.webhook_url = url

    # --- change notification ---

    def changed(self) -> None:
        """Wake everyone waiting on the world (tests, the web page)."""
        event, self._changed = self._changed, asyncio.Event()
        event.set()
        for listener in list(self._listeners):
            listener()

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` after every change; returns a function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def wait_until(self, predicate: Callable[[], Any], *, timeout: float = 5.0) -> Any:
        """Wait until ``predicate()`` is truthy and return its value.

        ``predicate`` is called after every change of the world, for at most ``timeout``
        seconds.

        Raises:
            TimeoutError: It was still falsy after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"nothing matched within {timeout} s")
            waiter = self._changed
            try:
                await asyncio.wait_for(waiter.wait(), remaining)
            except TimeoutError:
                continue

    # --- faults and limits ---

    def fail_next(
        self,
        path: str,
        *,
        count: int = 1,
        status: int | None = 500,
        delay: float = 0.0,
        drop: bool = False,
        after: bool = False,
        retry_after: float | None = None,
    ) -> FaultRule:
        """Make the next ``count`` calls to ``path`` (exact or regex) fail.

        ``status``, ``delay``, ``drop``, ``after`` and ``retry_after`` are those of
        :class:`FaultRule`.

        Returns:
            The rule (its ``count`` goes down as calls fail).
        """
        rule = FaultRule(path, count, status, delay, drop, after, retry_after)
        self.faults.append(rule)
        return rule

    def _take_fault(self, path: str) -> FaultRule | None:
        for rule in self.faults:
            if rule.count > 0 and rule.matches(path):
                rule.count -= 1
                if rule.count == 0:
                    self.faults.remove(rule)
                return rule
        return None

    def _rate_ok(self, endpoint: str = "") -> bool:
        """Whether one more call fits the limits (and count it if so)."""
        now = time.monotonic()
        limit = self.settings.rate_limit
        if limit is not None and not _fits(self._calls_window, limit, 1.0, now):
            return False
        if self.settings.line_rate_limits and endpoint:
            count, per = LINE_RATE_LIMITS.get(endpoint, LINE_RATE_LIMITS["default"])
            window = self._endpoint_windows.setdefault(endpoint, collections.deque())
            if not _fits(window, count, per, now):
                if limit is not None:
                    self._calls_window.pop()
                return False
        return True

    # --- the world, scripted ---

    def add_user(self, name: str, *, consented: bool = True, friend: bool = False) -> User:
        """Add a LINE user called ``name``.

        ``consented=False`` users' IDs never reach the bot in groups; ``friend=True`` users
        have added the bot as a friend already.
        """
        user = self.world.add_user(name, consented=consented, friend=friend)
        self.changed()
        return user

    def _user(self, ref: str | User) -> User:
        if isinstance(ref, User):
            return ref
        if not ref or not str(ref).strip() or ref == "None":
            raise ValueError("say who: a user's name or ID (pick someone who is in this chat)")
        try:
            return self.world.user(ref)
        except KeyError:
            return self.add_user(ref)

    def _chat(self, ref: str | Chat | User) -> Chat:
        if isinstance(ref, Chat):
            return ref
        if isinstance(ref, User):
            return self.world.direct_chat(ref.user_id)
        return self.world.chat(ref)

    def chat(self, ref: str | Chat | User) -> Chat:
        """A chat by ``ref``: a ``Chat``, an ID or a group name; a ``User`` means the 1:1 chat
        with them."""
        return self._chat(ref)

    def user(self, ref: str | User) -> User:
        """A user by ``ref``: a ``User``, an ID or a display name (``KeyError`` if there is
        none)."""
        return ref if isinstance(ref, User) else self.world.user(ref)

    def direct_chat(self, user: str | User) -> Chat:
        """The 1:1 chat between ``user`` and the bot (the bot is in it once they follow)."""
        return self.world.direct_chat(self._user(user).user_id)

    def set_consent(self, user: str | User, consented: bool) -> None:
        """Change whether ``user`` agreed to the Official Account terms (``consented``)."""
        self._user(user).consented = consented
        self.changed()

    async def _send(self, chat: Chat, events: list[dict[str, Any]]) -> Delivery | None:
        self._last_action[chat.chat_id] = self.world.next_seq()
        self.changed()
        return await self.sender.deliver(events)

    async def create_group(
        self, name: str, members: Iterable[str | User] = (), *, invite_bot: bool = True
    ) -> Chat:
        """Create a group called ``name`` of ``members`` (names are created as users).

        ``invite_bot=True`` invites the bot at once (it gets ``join``).
        """
        ids = [self._user(m).user_id for m in members]
        chat = self.world.add_group(name, ids)
        self.world.note(chat.chat_id, f"Group {name!r} created")
        self.changed()
        if invite_bot:
            await self.invite_bot(chat)
        return chat

    async def create_room(self, members: Iterable[str | User], *, with_bot: bool = True) -> Chat:
        """Create a room of ``members``; it exists (and the bot's join is sent) only once
        someone speaks. ``with_bot=False`` leaves the bot out."""
        ids = [self._user(m).user_id for m in members]
        chat = self.world.add_room(ids)
        if with_bot:
            chat.bot_in = True
            chat.join_pending = True
        self.world.note(chat.chat_id, "Room created" + (" with the bot" if with_bot else ""))
        self.changed()
        return chat

    async def invite_bot(self, chat: str | Chat | User) -> Delivery | None:
        """Invite the bot to ``chat``: a group sends ``join`` now, a room on its next event.

        Returns the delivery (``None`` for a room, or if the bot is there already). A 1:1
        chat starts with :meth:`follow` instead.
        """
        chat = self._chat(chat)
        if chat.kind == "user":
            raise ValueError(
                "the bot is not invited to a 1:1 chat: follow(user) adds it as a friend"
            )
        if chat.bot_in:
            return None
        chat.bot_in = True
        self.world.note(chat.chat_id, f"{self.world.bot_name} joined")
        if chat.kind == "room":
            chat.join_pending = True
            self.changed()
            return None
        return await self._send(chat, [self.world.event("join", chat, reply=True)])

    def _room_preamble(self, chat: Chat) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        chat.exists = True
        if chat.bot_in and chat.join_pending:
            chat.join_pending = False
            events.append(self.world.event("join", chat, reply=True))
        return events

    async def _member_event(
        self, chat: Chat, user: User, kind: str, **fields: Any
    ) -> dict[str, Any]:
        self._require_member(chat, user)
        self.world.end_quick_replies(chat.chat_id)
        events = self._room_preamble(chat) if chat.kind == "room" else []
        event = self.world.event(kind, chat, user.user_id, reply=True, **fields)
        events.append(event)
        if chat.bot_in:
            await self._send(chat, events)
        else:
            self._last_action[chat.chat_id] = self.world.next_seq()
            self.changed()
        return event

    @staticmethod
    def _require_member(chat: Chat, user: User) -> None:
        if user.user_id not in chat.members:
            raise ValueError(
                f"{user.display_name} is not a member of this chat: add_member() them first"
            )

    async def _post(self, chat: Chat, user: User, message: dict[str, Any]) -> dict[str, Any]:
        """A member's message: shown in the timeline, sent to the bot as a message event."""
        self._require_member(chat, user)
        self.world.record(chat.chat_id, "member", user.user_id, message)
        return await self._member_event(chat, user, "message", message=message)

    def _new_message(self, chat: Chat, kind: str, *, quotable: bool = True) -> dict[str, Any]:
        """The start of a member's message: its ID and, for quotable kinds, a quote token."""
        message_id = self.world.next_message_id()
        message: dict[str, Any] = {"type": kind, "id": message_id}
        if quotable:
            message["quoteToken"] = self.world.issue_quote_token(chat.chat_id, message_id)
        return message

    async def say(
        self,
        chat: str | Chat | User,
        user: str | User,
        text: str,
        *,
        quote: str | None = None,
        mentions: Iterable[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """``user`` sends ``text`` in ``chat``; returns the webhook event.

        ``@Name``, ``@Bot`` and ``@All`` in ``text`` become mentions unless ``mentions`` gives
        them explicitly: ``{"index", "length", "user"}`` (a user ID or name, or the bot's
        user ID) or ``{"index", "length", "type": "all"}``, as the page's autocomplete sends.
        ``quote`` is the ID of a message in this chat that the member quotes.
        """
        chat, user = self._chat(chat), self._user(user)
        message = self._new_message(chat, "text")
        message["text"] = text
        mention = (
            self.world.mentions_in(chat, text)
            if mentions is None
            else self._explicit_mentions(chat, text, list(mentions))
        )
        if mention:
            message["mention"] = mention
        if quote:
            if self.world.entry(chat.chat_id, quote) is None:
                raise ValueError(f"no message {quote} in this chat to quote")
            message["quotedMessageId"] = quote
        return await self._post(chat, user, message)

    def _explicit_mentions(
        self, chat: Chat, text: str, given: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        if given and chat.kind == "user":
            raise ValueError("LINE has no mentions in 1:1 chats, only in groups and rooms")
        mentionees: list[dict[str, Any]] = []
        for item in sorted(given, key=lambda m: int(m.get("index", -1))):
            index, length = int(item.get("index", -1)), int(item.get("length", 0))
            if index < 0 or length < 2 or index + length > len(text) or text[index] != "@":
                raise ValueError(f"a mention must cover an @name in the text: {item!r}")
            if item.get("type") == "all":
                mentionees.append({"index": index, "length": length, "type": "all"})
                continue
            ref = item.get("user") or item.get("userId") or ""
            entry: dict[str, Any] = {"index": index, "length": length, "type": "user"}
            if ref in (self.world.bot_user_id, self.world.bot_name):
                entry.update(userId=self.world.bot_user_id, isSelf=True)
            else:
                try:
                    mentioned = self.user(ref)
                except KeyError:
                    raise ValueError(f"no user {ref!r} to mention") from None
                if mentioned.user_id not in chat.members:
                    raise ValueError(f"{mentioned.display_name} is not in this chat")
                if mentioned.consented:
                    entry["userId"] = mentioned.user_id
            mentionees.append(entry)
        return {"mentionees": mentionees} if mentionees else None

    async def unsend(
        self, chat: str | Chat | User, user: str | User, message_id: str
    ) -> dict[str, Any]:
        """``user`` unsends their own message ``message_id`` in ``chat``: it leaves the timeline,
        the bot gets ``unsend``."""
        chat, user = self._chat(chat), self._user(user)
        self._require_member(chat, user)
        entry = self.world.entry(chat.chat_id, message_id)
        if entry is None or entry.kind != "member" or entry.unsent:
            raise ValueError(f"no message {message_id} in this chat to unsend")
        if entry.sender != user.user_id:
            raise ValueError("members can unsend only their own messages")
        entry.unsent = True
        self.world.contents.pop(message_id, None)
        for token, target in list(self.world.quote_tokens.items()):
            if target.message_id == message_id:
                del self.world.quote_tokens[token]
        events = self._room_preamble(chat) if chat.kind == "room" else []
        event = self.world.event("unsend", chat, user.user_id, unsend={"messageId": message_id})
        events.append(event)
        if chat.bot_in:
            await self._send(chat, events)
        else:
            self.changed()
        return event

    def edit_event(
        self,
        chat: str | Chat | User,
        user: str | User,
        message_id: str,
        text: str,
        *,
        timestamp: int | None = None,
    ) -> dict[str, Any]:
        """``user``'s edit of their own text message ``message_id`` in ``chat`` to ``text``, as
        LINE sends it (not delivered yet; ``timestamp`` in epoch ms, default now).

        The timeline shows the new text, marked edited. Build several and pass them to
        :meth:`deliver` in any order to test edits that arrive out of order.
        """
        chat, user = self._chat(chat), self._user(user)
        self._require_member(chat, user)
        if chat.kind != "group":
            raise ValueError("LINE lets members edit messages in groups only")
        entry = next(
            (
                e
                for e in self.world.timeline
                if e.chat_id == chat.chat_id
                and e.kind == "member"
                and e.message.get("id") == message_id
            ),
            None,
        )
        if entry is None or entry.message.get("type") != "text":
            raise ValueError(f"no text message {message_id} in this chat to edit")
        if entry.sender != user.user_id:
            raise ValueError("members can edit only their own messages")
        message: dict[str, Any] = {
            "type": "text",
            "id": message_id,
            "quoteToken": entry.message.get("quoteToken") or self.world.next_message_id(),
            "text": text,
        }
        mention = self.world.mentions_in(chat, text)
        if mention:
            message["mention"] = mention
        entry.message = {**entry.message, **message}
        entry.edited = True
        event = self.world.event("messageEdited", chat, user.user_id, reply=True, message=message)
        if timestamp is not None:
            event["timestamp"] = timestamp
        self.changed()
        return event

    async def edit(
        self,
        chat: str | Chat | User,
        user: str | User,
        message_id: str,
        text: str,
        *,
        timestamp: int | None = None,
    ) -> dict[str, Any]:
        """``user`` edits their own text message ``message_id`` in ``chat`` (groups only) to
        ``text``: the bot gets ``messageEdited`` (``timestamp`` as for :meth:`edit_event`)."""
        event = self.edit_event(chat, user, message_id, text, timestamp=timestamp)
        await self._send(self._chat(chat), [event])
        return event

    async def redeliver(self, delivery: Delivery | int) -> Delivery | None:
        """Send a past delivery's events again, marked ``isRedelivery`` as LINE marks them.

        What LINE does when the bot did not answer 2xx; here on demand, to test that the bot
        handles each ``webhookEventId`` once. ``delivery`` is a ``Delivery`` or its ``seq``.
        """
        seq = delivery if isinstance(delivery, int) else delivery.seq
        found = next((d for d in self.world.deliveries if d.seq == seq), None)
        if found is None:
            raise KeyError(f"no delivery {seq}")
        events = orjson.loads(found.body)["events"]
        for event in events:
            event["deliveryContext"] = {"isRedelivery": True}
        self.changed()
        return await self.sender.deliver(events, attempt=found.attempt + 1)

    async def deliver(self, events: list[dict[str, Any]]) -> Delivery | None:
        """Send already built ``events`` to the bot, in the order given, in one webhook."""
        self.changed()
        return await self.sender.deliver(events)

    async def send_sticker(
        self,
        chat: str | Chat | User,
        user: str | User,
        package_id: str = "446",
        sticker_id: str = "1988",
    ) -> dict[str, Any]:
        """``user`` sends the sticker ``sticker_id`` of package ``package_id`` in ``chat``."""
        chat, user = self._chat(chat), self._user(user)
        message = self._new_message(chat, "sticker")
        message.update(packageId=package_id, stickerId=sticker_id, stickerResourceType="STATIC")
        return await self._post(chat, user, message)

    async def _send_content(
        self,
        chat: str | Chat | User,
        user: str | User,
        kind: str,
        data: bytes,
        content_type: str,
        **fields: Any,
    ) -> dict[str, Any]:
        chat, user = self._chat(chat), self._user(user)
        message = self._new_message(chat, kind, quotable=kind in ("image", "video"))
        if kind != "file":
            message["contentProvider"] = {"type": "line"}
        message.update(fields)
        self.world.contents[message["id"]] = (data, content_type)
        return await self._post(chat, user, message)

    async def send_image(
        self,
        chat: str | Chat | User,
        user: str | User,
        data: bytes = TINY_PNG,
        content_type: str = "image/png",
    ) -> dict[str, Any]:
        """``user`` sends an image in ``chat``: ``data`` of ``content_type``, served on the data
        host (``get_content``)."""
        return await self._send_content(chat, user, "image", data, content_type)

    async def send_video(
        self,
        chat: str | Chat | User,
        user: str | User,
        data: bytes,
        content_type: str = "video/mp4",
        *,
        duration: int = 1000,
    ) -> dict[str, Any]:
        """``user`` sends a video in ``chat`` (``duration`` in ms): ``data`` of
        ``content_type``, on the data host."""
        return await self._send_content(chat, user, "video", data, content_type, duration=duration)

    async def send_audio(
        self,
        chat: str | Chat | User,
        user: str | User,
        data: bytes,
        content_type: str = "audio/mp4",
        *,
        duration: int = 1000,
    ) -> dict[str, Any]:
        """``user`` sends a voice message in ``chat`` (``duration`` in ms): ``data`` of
        ``content_type``, on the data host."""
        return await self._send_content(chat, user, "audio", data, content_type, duration=duration)

    async def send_file(
        self,
        chat: str | Chat | User,
        user: str | User,
        data: bytes,
        file_name: str,
        content_type: str = "application/octet-stream",
    ) -> dict[str, Any]:
        """``user`` sends a file in ``chat``: ``data`` named ``file_name``, of
        ``content_type`` (LINE gives the bot its name and size), on the data host."""
        if not file_name:
            raise ValueError("a file message needs a file name")
        return await self._send_content(
            chat, user, "file", data, content_type, fileName=file_name, fileSize=len(data)
        )

    async def send_upload(
        self,
        chat: str | Chat | User,
        user: str | User,
        data: bytes,
        content_type: str,
        file_name: str = "file",
    ) -> dict[str, Any]:
        """``user`` sends a picked file in ``chat``: ``data`` of ``content_type`` goes as an
        image, video or audio by its type, else as a file named ``file_name``."""
        kind = content_type.split("/", 1)[0]
        if kind == "image":
            return await self.send_image(chat, user, data, content_type)
        if kind in ("video", "audio"):
            send = self.send_video if kind == "video" else self.send_audio
            return await send(chat, user, data, content_type)
        return await self.send_file(chat, user, data, file_name or "file", content_type)

    async def send_location(
        self,
        chat: str | Chat | User,
        user: str | User,
        *,
        title: str = "Here",
        address: str = "1-1 Somewhere",
        latitude: float = 35.68,
        longitude: float = 139.76,
    ) -> dict[str, Any]:
        """``user`` shares a location in ``chat``: ``title``, ``address``, ``latitude`` and
        ``longitude``."""
        chat, user = self._chat(chat), self._user(user)
        message = {
            "type": "location",
            "id": self.world.next_message_id(),
            "title": title,
            "address": address,
            "latitude": latitude,
            "longitude": longitude,
        }
        return await self._post(chat, user, message)

    async def tap_postback(
        self,
        chat: str | Chat | User,
        user: str | User,
        data: str,
        *,
        params: dict[str, str] | None = None,
        display_text: str | None = None,
    ) -> dict[str, Any]:
        """``user`` taps a postback button with ``data`` in ``chat`` (``display_text`` is shown
        as their message).

        ``params`` is what a datetime picker sends: ``{"date": "2026-12-01"}``,
        ``{"time": "18:30"}`` or ``{"datetime": "2026-12-01T18:30"}`` (checked as LINE
        formats them); :meth:`pick_datetime` builds it.
        """
        chat, user = self._chat(chat), self._user(user)
        self._require_member(chat, user)
        _check_postback_params(params)
        if display_text:
            self.world.record(
                chat.chat_id, "member", user.user_id, {"type": "text", "text": display_text}
            )
        postback: dict[str, Any] = {"data": data}
        if params:
            postback["params"] = params
        return await self._member_event(chat, user, "postback", postback=postback)

    async def pick_datetime(
        self,
        chat: str | Chat | User,
        user: str | User,
        data: str,
        value: str,
        *,
        mode: str = "datetime",
    ) -> dict[str, Any]:
        """``user`` picks ``value``, a date, time or datetime (``mode``), in a datetime picker
        action with ``data`` in ``chat``."""
        if mode not in _PICKER_FORMATS:
            raise ValueError("mode must be 'date', 'time' or 'datetime'")
        return await self.tap_postback(chat, user, data, params={mode: value})

    @staticmethod
    def _member(user: User) -> dict[str, Any]:
        """A joined/left member as LINE lists it: the userId only with consent."""
        member: dict[str, Any] = {"type": "user"}
        if user.consented:
            member["userId"] = user.user_id
        return member

    async def add_member(self, chat: str | Chat | User, user: str | User) -> dict[str, Any] | None:
        """``user`` joins ``chat``, a group or room: ``memberJoined`` if the bot is there.

        Returns the event, or ``None`` if they were already a member. A 1:1 chat with the
        bot cannot have other members (``ValueError``): make a room instead.
        """
        return await self.add_members(chat, [user])

    async def add_members(
        self, chat: str | Chat | User, users: Iterable[str | User]
    ) -> dict[str, Any] | None:
        """Several ``users`` join ``chat`` at once: one ``memberJoined`` listing them all (as
        LINE does)."""
        chat = self._chat(chat)
        if chat.kind == "user":
            raise ValueError(
                "a 1:1 chat with the bot cannot have other members:"
                " create_room([...]) for a chat of several people"
            )
        joining = [
            u for u in _unique(self._user(u) for u in users) if u.user_id not in chat.members
        ]
        if not joining:
            return None
        for user in joining:
            chat.members.append(user.user_id)
        self.world.note(chat.chat_id, f"{_names(joining)} joined")
        events = self._room_preamble(chat) if chat.kind == "room" else []
        members = [self._member(u) for u in joining]
        event = self.world.event("memberJoined", chat, reply=True, joined={"members": members})
        events.append(event)
        if chat.bot_in:
            await self._send(chat, events)
        else:
            self.changed()
        return event

    async def remove_member(
        self, chat: str | Chat | User, user: str | User
    ) -> dict[str, Any] | None:
        """``user`` leaves ``chat``, a group or room: ``memberLeft`` if the bot is there.

        Returns the event, or ``None`` if they were not a member.
        """
        return await self.remove_members(chat, [user])

    async def remove_members(
        self, chat: str | Chat | User, users: Iterable[str | User]
    ) -> dict[str, Any] | None:
        """Several ``users`` leave ``chat`` at once: one ``memberLeft`` listing them all."""
        chat = self._chat(chat)
        if chat.kind == "user":
            raise ValueError("a 1:1 chat has no members to remove: unfollow() blocks the bot")
        leaving = [u for u in _unique(self._user(u) for u in users) if u.user_id in chat.members]
        if not leaving:
            return None
        for user in leaving:
            chat.members.remove(user.user_id)
        self.world.note(chat.chat_id, f"{_names(leaving)} left")
        event = self.world.event(
            "memberLeft", chat, left={"members": [self._member(u) for u in leaving]}
        )
        if chat.bot_in and chat.exists:
            await self._send(chat, [event])
        else:
            self.changed()
        return event

    async def remove_bot(self, chat: str | Chat | User) -> Delivery | None:
        """A member removes the bot from ``chat``, a group or room: the bot gets ``leave``.

        A room nobody has spoken in yet never told the bot it joined, so it gets nothing.
        A 1:1 chat is left by blocking: :meth:`unfollow`.
        """
        chat = self._chat(chat)
        if chat.kind == "user":
            raise ValueError("the bot cannot be removed from a 1:1 chat: unfollow() blocks it")
        if not chat.bot_in:
            return None
        chat.bot_in = False
        never_joined = chat.join_pending
        chat.join_pending = False
        self.world.note(chat.chat_id, f"{self.world.bot_name} was removed")
        if never_joined:
            self.changed()
            return None
        return await self._send(chat, [self.world.event("leave", chat)])

    def _bot_left(self, chat: Chat) -> None:
        """The bot left through the API; LINE then sends it a ``leave`` event."""
        chat.bot_in = False
        self.world.note(chat.chat_id, f"{self.world.bot_name} left")
        task = asyncio.create_task(self._send(chat, [self.world.event("leave", chat)]))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def follow(self, user: str | User) -> Delivery | None:
        """``user`` adds the bot as a friend, or unblocks it: ``follow`` in their 1:1 chat.

        ``follow.isUnblocked`` is true when they had blocked the bot before. Returns the
        delivery, or ``None`` if they were a friend already.
        """
        user = self._user(user)
        if user.friend:
            return None
        unblocked = user.blocked
        user.friend, user.blocked = True, False
        chat = self.world.direct_chat(user.user_id)
        chat.bot_in = True
        self.world.note(
            chat.chat_id,
            f"{user.display_name} {'unblocked' if unblocked else 'added'} {self.world.bot_name}",
        )
        event = self.world.event(
            "follow", chat, user.user_id, reply=True, follow={"isUnblocked": unblocked}
        )
        return await self._send(chat, [event])

    async def unfollow(self, user: str | User) -> Delivery | None:
        """``user`` blocks the bot: ``unfollow`` (no reply token); ``None`` if not a friend."""
        user = self._user(user)
        if not user.friend:
            return None
        user.friend, user.blocked = False, True
        chat = self.world.direct_chat(user.user_id)
        chat.bot_in = False
        self.world.note(chat.chat_id, f"{user.display_name} blocked {self.world.bot_name}")
        return await self._send(chat, [self.world.event("unfollow", chat, user.user_id)])

    async def seed_demo(self) -> Chat:
        """A demo world: Alice, Bob and Carol (who has not agreed to the terms) in a group."""
        alice = self.add_user("Alice", friend=True)
        bob = self.add_user("Bob")
        carol = self.add_user("Carol", consented=False)
        group = await self.create_group("Demo group", [alice, bob, carol])
        await self.create_room([alice, bob])
        return group

    # --- observing ---

    def bot_messages(self, chat: str | Chat | User, *, since: int = 0) -> list[dict[str, Any]]:
        """What the bot sent to ``chat`` (reply, push, multicast...) after seq ``since``."""
        chat_id = self._chat(chat).chat_id
        return [
            e.message
            for e in self.world.timeline
            if e.chat_id == chat_id and e.kind == "bot" and e.seq > since
        ]

    async def wait_for_bot_messages(
        self,
        chat: str | Chat | User,
        count: int = 1,
        *,
        since: int | None = None,
        timeout: float = 5.0,
    ) -> list[dict[str, Any]]:
        """Wait for ``count`` bot messages in ``chat`` sent after the last member action there.

        Pass ``since=0`` to count every message since the start (or another seq).

        Raises:
            TimeoutError: They did not all come within ``timeout`` seconds.
        """
        chat_id = self._chat(chat).chat_id
        mark = self._last_action.get(chat_id, 0) if since is None else since

        def enough() -> list[dict[str, Any]]:
            found = self.bot_messages(chat_id, since=mark)
            return found if len(found) >= count else []

        result: list[dict[str, Any]] = await self.wait_until(enough, timeout=timeout)
        return result

    def calls_to(self, path: str, *, chat: str | Chat | User | None = None) -> list[ApiCall]:
        """Recorded API calls whose path equals ``path`` or matches it as a regex.

        ``chat`` keeps only the calls about that chat (a push to it, a reply to one of its
        events, its member or leave endpoints).
        """
        rule = FaultRule(path)
        chat_id = None if chat is None else self._chat(chat).chat_id
        return [
            c
            for c in self.world.calls
            if rule.matches(c.path) and (chat_id is None or c.chat_id == chat_id)
        ]

    async def wait_for_call(
        self,
        path: str,
        count: int = 1,
        *,
        chat: str | Chat | User | None = None,
        timeout: float = 5.0,
    ) -> list[ApiCall]:
        """Wait until ``count`` calls to ``path`` (about ``chat``) were made; returns them all.

        Raises:
            TimeoutError: They were not made within ``timeout`` seconds.
        """

        def enough() -> list[ApiCall]:
            found = self.calls_to(path, chat=chat)
            return found if len(found) >= count else []

        result: list[ApiCall] = await self.wait_until(enough, timeout=timeout)
        return result

    async def wait_for_delivery(
        self, predicate: Callable[[Delivery], bool], *, timeout: float = 5.0
    ) -> Delivery:
        """Wait for a webhook delivery matching ``predicate``.

        Raises:
            TimeoutError: None came within ``timeout`` seconds.
        """

        def found() -> Delivery | None:
            return next((d for d in self.world.deliveries if predicate(d)), None)

        result: Delivery = await self.wait_until(found, timeout=timeout)
        return result


_PICKER_FORMATS = {
    "date": (re.compile(r"\d{4}-\d{2}-\d{2}"), "YYYY-MM-DD"),
    "time": (re.compile(r"\d{2}:\d{2}"), "HH:MM"),
    "datetime": (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"), "YYYY-MM-DDTHH:MM"),
}
_OTHER_PARAMS = frozenset({"newRichMenuAliasId", "status"})


def _check_postback_params(params: dict[str, str] | None) -> None:
    """Postback params as LINE sends them: one datetime picker value, or a rich menu switch."""
    if not params:
        return
    picked = [k for k in params if k in _PICKER_FORMATS]
    unknown = [k for k in params if k not in _PICKER_FORMATS and k not in _OTHER_PARAMS]
    if unknown:
        raise ValueError(
            f"postback params {unknown} are not sent by LINE: use date, time or datetime"
            " (datetime picker) or newRichMenuAliasId and status (rich menu switch)"
        )
    if len(picked) > 1:
        raise ValueError("a datetime picker sends one of date, time or datetime, not several")
    for key in picked:
        pattern, shape = _PICKER_FORMATS[key]
        if not isinstance(params[key], str) or not pattern.fullmatch(params[key]):
            raise ValueError(f"postback params {key} must look like {shape}, not {params[key]!r}")


def _unique(users: Iterable[User]) -> list[User]:
    return list({u.user_id: u for u in users}.values())


def _names(users: list[User]) -> str:
    names = [u.display_name for u in users]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
