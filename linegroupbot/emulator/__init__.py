"""A local stand-in for the LINE platform: the Messaging API, webhooks and a browser chat.

``Emulator`` serves the endpoints a group bot calls (rejecting what LINE rejects, with
LINE's error shapes and headers), keeps a small world of users, groups and rooms, and
sends the bot the signed webhooks LINE would send when members act. Tests script it
directly; people use its web page at ``/``.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

import attrs
from aiohttp import web

from . import api, control
from .api import EMULATOR_KEY, FaultRule
from .webhooks import WebhookSender, sign
from .world import ApiCall, Chat, Delivery, User, World

__all__ = [
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
    ``rate_limit``: requests per second before 429 (``None``: unlimited).
    ``redelivery``: resend failed webhooks with ``isRedelivery: true``.
    ``monthly_quota``: messages push/multicast/broadcast may send (``None``: no limit); past
    it, they answer 429 as LINE does.
    """

    channel_secret: str = "emulator-channel-secret"  # noqa: S105 (a local emulator default)
    access_token: str = "emulator-access-token"  # noqa: S105
    webhook_url: str | None = None
    reply_token_ttl: float = 60.0
    verified: bool = False
    rate_limit: float | None = None
    redelivery: bool = True
    redelivery_delay: float = 1.0
    max_redeliveries: int = 3
    webhook_timeout: float = 5.0
    member_ids_page_size: int = 100
    monthly_quota: int | None = None
    bot_name: str = "Bot"


class Emulator:
    """The emulated LINE platform; ``async with Emulator(...) as emu:`` serves it on loopback."""

    def __init__(self, settings: EmulatorSettings | None = None, **overrides: Any) -> None:
        self.settings = attrs.evolve(settings or EmulatorSettings(), **overrides)
        self.world = World(bot_name=self.settings.bot_name)
        self.retry_keys: dict[str, tuple[str, Any]] = {}
        self.quota_used = 0
        self.narrowcasts: dict[str, int] = {}
        self.faults: list[FaultRule] = []
        self._calls_window: collections.deque[float] = collections.deque()
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
        """Serve on ``host:port`` (0 picks a free port); returns the base URL."""
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
        """Where webhooks go (the bot's callback URL)."""
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
        """Wait until ``predicate()`` is truthy and return its value; ``TimeoutError`` if not."""
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
        """Make the next ``count`` calls to ``path`` (exact or regex) fail (see FaultRule)."""
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

    def _rate_ok(self) -> bool:
        limit = self.settings.rate_limit
        if limit is None:
            return True
        now = time.monotonic()
        window = self._calls_window
        while window and now - window[0] > 1.0:
            window.popleft()
        if len(window) >= limit:
            return False
        window.append(now)
        return True

    # --- the world, scripted ---

    def add_user(self, name: str, *, consented: bool = True, friend: bool = False) -> User:
        """Add a LINE user; ``consented=False`` users' IDs never reach the bot in groups."""
        user = self.world.add_user(name, consented=consented, friend=friend)
        self.changed()
        return user

    def _user(self, ref: str | User) -> User:
        if isinstance(ref, User):
            return ref
        try:
            return self.world.user(ref)
        except KeyError:
            return self.add_user(ref)

    def _chat(self, ref: str | Chat) -> Chat:
        return ref if isinstance(ref, Chat) else self.world.chat(ref)

    def set_consent(self, user: str | User, consented: bool) -> None:
        """Change whether a user agreed to the Official Account terms."""
        self._user(user).consented = consented
        self.changed()

    async def _send(self, chat: Chat, events: list[dict[str, Any]]) -> Delivery | None:
        self._last_action[chat.chat_id] = self.world.next_seq()
        self.changed()
        return await self.sender.deliver(events)

    async def create_group(
        self, name: str, members: Iterable[str | User] = (), *, invite_bot: bool = True
    ) -> Chat:
        """Create a group of members (names are created as users); invite the bot at once."""
        ids = [self._user(m).user_id for m in members]
        chat = self.world.add_group(name, ids)
        self.world.note(chat.chat_id, f"Group {name!r} created")
        self.changed()
        if invite_bot:
            await self.invite_bot(chat)
        return chat

    async def create_room(self, members: Iterable[str | User], *, with_bot: bool = True) -> Chat:
        """Create a room; it exists (and the bot's join is sent) only once someone speaks."""
        ids = [self._user(m).user_id for m in members]
        chat = self.world.add_room(ids)
        if with_bot:
            chat.bot_in = True
            chat.join_pending = True
        self.world.note(chat.chat_id, "Room created" + (" with the bot" if with_bot else ""))
        self.changed()
        return chat

    async def invite_bot(self, chat: str | Chat) -> Delivery | None:
        """Invite the bot: a group sends ``join`` now, a room on its next event."""
        chat = self._chat(chat)
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

    async def say(
        self, chat: str | Chat, user: str | User, text: str, *, quote: str | None = None
    ) -> dict[str, Any]:
        """A member sends text (``@Name``, ``@Bot`` and ``@All`` become mentions)."""
        chat, user = self._chat(chat), self._user(user)
        message: dict[str, Any] = {
            "type": "text",
            "id": self.world.next_message_id(),
            "quoteToken": self.world.next_message_id(),
            "text": text,
        }
        mention = self.world.mentions_in(chat, text)
        if mention:
            message["mention"] = mention
        if quote:
            message["quotedMessageId"] = quote
        return await self._post(chat, user, message)

    def edit_event(
        self,
        chat: str | Chat,
        user: str | User,
        message_id: str,
        text: str,
        *,
        timestamp: int | None = None,
    ) -> dict[str, Any]:
        """A member's edit of their own text message, as LINE sends it (not delivered yet).

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
        chat: str | Chat,
        user: str | User,
        message_id: str,
        text: str,
        *,
        timestamp: int | None = None,
    ) -> dict[str, Any]:
        """A member edits their own text message (groups only): the bot gets ``messageEdited``."""
        event = self.edit_event(chat, user, message_id, text, timestamp=timestamp)
        await self._send(self._chat(chat), [event])
        return event

    async def deliver(self, events: list[dict[str, Any]]) -> Delivery | None:
        """Send already built events to the bot, in the order given, in one webhook."""
        self.changed()
        return await self.sender.deliver(events)

    async def send_sticker(
        self, chat: str | Chat, user: str | User, package_id: str = "446", sticker_id: str = "1988"
    ) -> dict[str, Any]:
        """A member sends a sticker."""
        chat, user = self._chat(chat), self._user(user)
        message = {
            "type": "sticker",
            "id": self.world.next_message_id(),
            "quoteToken": self.world.next_message_id(),
            "packageId": package_id,
            "stickerId": sticker_id,
            "stickerResourceType": "STATIC",
        }
        return await self._post(chat, user, message)

    async def send_image(
        self,
        chat: str | Chat,
        user: str | User,
        data: bytes = TINY_PNG,
        content_type: str = "image/png",
    ) -> dict[str, Any]:
        """A member sends an image; its bytes are served on the data host."""
        chat, user = self._chat(chat), self._user(user)
        message_id = self.world.next_message_id()
        self.world.contents[message_id] = (data, content_type)
        message = {
            "type": "image",
            "id": message_id,
            "quoteToken": self.world.next_message_id(),
            "contentProvider": {"type": "line"},
        }
        return await self._post(chat, user, message)

    async def send_location(
        self,
        chat: str | Chat,
        user: str | User,
        *,
        title: str = "Here",
        address: str = "1-1 Somewhere",
        latitude: float = 35.68,
        longitude: float = 139.76,
    ) -> dict[str, Any]:
        """A member shares a location."""
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
        chat: str | Chat,
        user: str | User,
        data: str,
        *,
        params: dict[str, str] | None = None,
        display_text: str | None = None,
    ) -> dict[str, Any]:
        """A member taps a postback button (``display_text`` is shown as their message)."""
        chat, user = self._chat(chat), self._user(user)
        self._require_member(chat, user)
        if display_text:
            self.world.record(
                chat.chat_id, "member", user.user_id, {"type": "text", "text": display_text}
            )
        postback: dict[str, Any] = {"data": data}
        if params:
            postback["params"] = params
        return await self._member_event(chat, user, "postback", postback=postback)

    @staticmethod
    def _member(user: User) -> dict[str, Any]:
        """A joined/left member as LINE lists it: the userId only with consent."""
        member: dict[str, Any] = {"type": "user"}
        if user.consented:
            member["userId"] = user.user_id
        return member

    async def add_member(self, chat: str | Chat, user: str | User) -> dict[str, Any] | None:
        """A user joins a group or room: ``memberJoined`` if the bot is there."""
        chat, user = self._chat(chat), self._user(user)
        if user.user_id in chat.members:
            return None
        chat.members.append(user.user_id)
        self.world.note(chat.chat_id, f"{user.display_name} joined")
        events = self._room_preamble(chat) if chat.kind == "room" else []
        member = self._member(user)
        event = self.world.event("memberJoined", chat, reply=True, joined={"members": [member]})
        events.append(event)
        if chat.bot_in:
            await self._send(chat, events)
        else:
            self.changed()
        return event

    async def remove_member(self, chat: str | Chat, user: str | User) -> dict[str, Any] | None:
        """A user leaves a group or room: ``memberLeft`` if the bot is there."""
        chat, user = self._chat(chat), self._user(user)
        if user.user_id not in chat.members:
            return None
        chat.members.remove(user.user_id)
        self.world.note(chat.chat_id, f"{user.display_name} left")
        member = self._member(user)
        event = self.world.event("memberLeft", chat, left={"members": [member]})
        if chat.bot_in:
            await self._send(chat, [event])
        else:
            self.changed()
        return event

    async def remove_bot(self, chat: str | Chat) -> Delivery | None:
        """A member removes the bot from a group: the bot gets ``leave``."""
        chat = self._chat(chat)
        if not chat.bot_in:
            return None
        chat.bot_in = False
        chat.join_pending = False
        self.world.note(chat.chat_id, f"{self.world.bot_name} was removed")
        return await self._send(chat, [self.world.event("leave", chat)])

    def _bot_left(self, chat: Chat) -> None:
        """The bot left through the API; LINE then sends it a ``leave`` event."""
        chat.bot_in = False
        self.world.note(chat.chat_id, f"{self.world.bot_name} left")
        task = asyncio.create_task(self._send(chat, [self.world.event("leave", chat)]))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def follow(self, user: str | User) -> Delivery | None:
        """A user adds the bot as a friend (``follow``)."""
        user = self._user(user)
        user.friend = True
        chat = self.world.direct_chat(user.user_id)
        chat.bot_in = True
        event = self.world.event(
            "follow", chat, user.user_id, reply=True, follow={"isUnblocked": False}
        )
        return await self._send(chat, [event])

    async def unfollow(self, user: str | User) -> Delivery | None:
        """A user blocks the bot (``unfollow``)."""
        user = self._user(user)
        user.friend = False
        chat = self.world.direct_chat(user.user_id)
        chat.bot_in = False
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

    def bot_messages(self, chat: str | Chat, *, since: int = 0) -> list[dict[str, Any]]:
        """What the bot sent to a chat (reply, push, multicast...) after seq ``since``."""
        chat_id = self._chat(chat).chat_id
        return [
            e.message
            for e in self.world.timeline
            if e.chat_id == chat_id and e.kind == "bot" and e.seq > since
        ]

    async def wait_for_bot_messages(
        self,
        chat: str | Chat,
        count: int = 1,
        *,
        since: int | None = None,
        timeout: float = 5.0,
    ) -> list[dict[str, Any]]:
        """Wait for ``count`` bot messages in a chat sent after the last member action there.

        Pass ``since=0`` to count every message since the start.
        """
        chat_id = self._chat(chat).chat_id
        mark = self._last_action.get(chat_id, 0) if since is None else since

        def enough() -> list[dict[str, Any]]:
            found = self.bot_messages(chat_id, since=mark)
            return found if len(found) >= count else []

        result: list[dict[str, Any]] = await self.wait_until(enough, timeout=timeout)
        return result

    def calls_to(self, path: str) -> list[ApiCall]:
        """Recorded API calls whose path equals ``path`` or matches it as a regex."""
        rule = FaultRule(path)
        return [c for c in self.world.calls if rule.matches(c.path)]

    async def wait_for_call(
        self, path: str, count: int = 1, *, timeout: float = 5.0
    ) -> list[ApiCall]:
        """Wait until ``count`` calls to ``path`` were made; returns them all."""

        def enough() -> list[ApiCall]:
            found = self.calls_to(path)
            return found if len(found) >= count else []

        result: list[ApiCall] = await self.wait_until(enough, timeout=timeout)
        return result

    async def wait_for_delivery(
        self, predicate: Callable[[Delivery], bool], *, timeout: float = 5.0
    ) -> Delivery:
        """Wait for a webhook delivery matching ``predicate``."""

        def found() -> Delivery | None:
            return next((d for d in self.world.deliveries if predicate(d)), None)

        result: Delivery = await self.wait_until(found, timeout=timeout)
        return result
