"""Context: what a handler can see of an event and do about it.

``ctx.reply``, ``ctx.push_to_chat``, ``ctx.member_profile``, ``ctx.leave`` and the
member helpers pick the group, room or user endpoint from the event's source, and
every misuse (leaving a 1:1 chat, a profile without a userId, a second reply) fails
before any request is sent, with a message that says what to do instead.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, NoReturn, Self, TypeAlias, TypeVar

import aiohttp
import attrs

from . import events as ev
from .client import GroupSummary, LineClient, Profile, SendResult
from .errors import (
    BadRequestError,
    LineConnectionError,
    NoReplyTokenError,
    NoUserIdError,
    ReplyTokenUsedError,
    StoreError,
    UnsupportedInScopeError,
)
from .logging import base_logger
from .messages import Messages, normalize, quoting
from .roster import Roster
from .schedule import ScheduledPush, When, cancel, pending, schedule
from .state import State
from .stores.protocol import Store

if TYPE_CHECKING:
    from structlog.typing import FilteringBoundLogger
else:
    FilteringBoundLogger = Any  # structlog is imported when first used; hints resolve at runtime

__all__ = [
    "CommandMatch",
    "Context",
    "EventContext",
    "ExtKey",
    "Extensions",
    "FollowContext",
    "JoinContext",
    "LeaveContext",
    "MemberJoinedContext",
    "MemberLeftContext",
    "MessageContext",
    "PostbackContext",
    "SkipHandler",
    "UnfollowContext",
    "context_class",
    "parse_command",
]


T = TypeVar("T")
E = TypeVar("E", bound=ev.Event)

_new_object = object.__new__

_MESSAGE_EVENTS = (ev.MessageEvent, ev.MessageEditedEvent)
"""The events with a message (a tuple: ``A | B`` would make a union object at each use)."""


@attrs.frozen
class CommandMatch:
    """A recognised command: ``/remind 10m tea`` -> name ``remind``, args ``10m tea``.

    Attributes:
        name: The command's name, casefolded, without the prefix or an ``@Bot`` suffix.
        args: The text after the name, stripped (``""`` when there is none).
        prefix: The prefix the message used (``"/"``, ``"!"``...).
    """

    name: str
    args: str
    prefix: str

    @property
    def argv(self) -> list[str]:
        """The arguments split on whitespace."""
        return self.args.split()


def parse_command(text: str, prefixes: tuple[str, ...]) -> CommandMatch | None:
    """The command ``text`` starts with (name casefolded, ``@Bot`` dropped), or ``None``
    when it starts with none of ``prefixes``; the name is empty after a bare prefix."""
    stripped = text.lstrip()
    prefix = next((p for p in prefixes if stripped.startswith(p)), None)
    if prefix is None:
        return None
    rest = stripped[len(prefix) :]
    # Any whitespace ends the name: "/remind\n10m tea" is the command remind.
    parts = rest.split(maxsplit=1)
    head = parts[0] if parts and not rest[:1].isspace() else ""
    args = parts[1] if len(parts) > 1 and head else ""
    name = head.split("@", 1)[0].casefold()
    return CommandMatch(name=name, args=args.strip(), prefix=prefix)


class SkipHandler(Exception):
    """Raised by a handler (or ``ctx.skip()``) to pass the event on to the next match."""


class ExtKey(Generic[T]):
    """A typed key for a context extension: ``POLLS = ExtKey[PollStore]("polls")``.

    Args:
        name: The extension's name, in errors; unique among the bot's extensions.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"ExtKey({self.name!r})"


class Extensions:
    """What plugins added to the context, read with typed keys: ``ctx.ext[POLLS]``.

    Values come from factories registered with ``bot.add_context_extension(key, factory)``;
    each factory runs at most once per event, on first access. Reading a key no factory
    was registered for raises :class:`KeyError`, naming it.

    Args:
        ctx: The context the factories are called with.
        factories: The bot's factories, by key.
    """

    __slots__ = ("_ctx", "_factories", "_values")

    def __init__(self, ctx: Context, factories: Mapping[ExtKey[Any], Callable[[Context], Any]]):
        self._ctx = ctx
        self._factories = factories
        self._values: dict[ExtKey[Any], Any] = {}

    def __getitem__(self, key: ExtKey[T]) -> T:
        if key not in self._values:
            factory = self._factories.get(key)
            if factory is None:
                raise KeyError(
                    f"no context extension {key.name!r}: is the plugin that provides it loaded?"
                )
            self._values[key] = factory(self._ctx)
        value: T = self._values[key]
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._factories


class Context:
    """One event, the client to answer it with, and a logger bound to it.

    ``attempt`` is 1 the first time the event is handled and more when it is handled
    again (a handler raised, or a worker died before finishing it). For a message edit,
    ``is_latest_edit`` says whether it is the newest edit of that message seen so far
    (``None`` for other events, or without a store). ``command`` and ``match`` hold what
    a ``command=`` or ``regex=`` filter found; ``data`` is a dict middleware and handlers
    may share for this event.

    The bot makes contexts (:meth:`~linegroupbot.bot.Bot.make_context`); a test may make one
    by hand.

    Args:
        event: The parsed webhook event.
        client: The API client to answer with.
        command_prefixes: What starts a command (the bot's ``command_prefixes``).
        extensions: Context extensions, by key (read as ``ctx.ext[key]``).
        log: The logger to bind this event's keys to (default: linegroupbot's).
        store: The bot's store, for state, rosters and scheduled pushes; ``None``: those
            raise :class:`~linegroupbot.errors.StoreError`.
        on_schedule: Called with each push this context schedules (the bot wakes its
            scheduler with it).
    """

    __slots__ = (
        "_base_log",
        "_ext",
        "_extensions",
        "_handler_name",
        "_log",
        "_on_schedule",
        "_parsed",
        "_replied",
        "attempt",
        "client",
        "command",
        "command_prefixes",
        "data",
        "event",
        "is_latest_edit",
        "match",
        "store",
        "track_rosters",
    )

    def __init__(
        self,
        event: ev.Event,
        client: LineClient,
        *,
        command_prefixes: tuple[str, ...] = ("/", "!"),
        extensions: Mapping[ExtKey[Any], Callable[[Context], Any]] | None = None,
        log: FilteringBoundLogger | None = None,
        store: Store | None = None,
        on_schedule: Callable[[ScheduledPush], None] | None = None,
    ) -> None:
        self._setup(event, client, command_prefixes, extensions, log, store, on_schedule)

    @classmethod
    def _made(
        cls,
        event: ev.Event,
        client: LineClient,
        command_prefixes: tuple[str, ...],
        extensions: Mapping[ExtKey[Any], Callable[[Context], Any]] | None,
        store: Store | None,
        on_schedule: Callable[[ScheduledPush], None] | None,
    ) -> Self:
        """``cls(event, client, command_prefixes=..., ...)`` without the keyword call (the
        bot makes one per event; a subclass with an ``__init__`` of its own is made by it)."""
        if cls.__init__ is not Context.__init__:
            return cls(
                event,
                client,
                command_prefixes=command_prefixes,
                extensions=extensions,
                store=store,
                on_schedule=on_schedule,
            )
        ctx = _new_object(cls)
        ctx._setup(event, client, command_prefixes, extensions, None, store, on_schedule)
        return ctx

    def _setup(
        self,
        event: ev.Event,
        client: LineClient,
        command_prefixes: tuple[str, ...],
        extensions: Mapping[ExtKey[Any], Callable[[Context], Any]] | None,
        log: FilteringBoundLogger | None,
        store: Store | None,
        on_schedule: Callable[[ScheduledPush], None] | None,
    ) -> None:
        self.event = event
        self.client = client
        self.command_prefixes = command_prefixes
        self.command: CommandMatch | None = None
        self.match: re.Match[str] | None = None
        self.data: dict[str, Any] = {}
        # Made on first use: an Extensions refers back to the context, and that cycle
        # would keep every event's objects alive until the garbage collector runs.
        self._extensions = extensions
        self._ext: Extensions | None = None
        self._replied = False
        self.attempt = 1
        self.is_latest_edit: bool | None = None
        self.store = store
        self.track_rosters = True
        self._on_schedule = on_schedule
        self._handler_name: str | None = None
        self._base_log = log
        self._log: Any = None
        self._parsed: tuple[ev.Event, tuple[str, ...], CommandMatch | None] | None = None

    def parsed_command(self, prefixes: tuple[str, ...]) -> CommandMatch | None:
        """The command the text starts with for ``prefixes`` (see :func:`parse_command`),
        parsed once per event however many ``Command`` filters ask."""
        event, cached = self.event, self._parsed
        if cached is not None and cached[0] is event and cached[1] is prefixes:
            return cached[2]
        text = self.text
        found = parse_command(text, prefixes) if text else None
        self._parsed = (event, prefixes, found)
        return found

    @property
    def ext(self) -> Extensions:
        """What plugins added to the context, read with typed keys: ``ctx.ext[POLLS]``."""
        ext = self._ext
        if ext is None:
            ext = self._ext = Extensions(self, self._extensions or {})
        return ext

    @ext.setter
    def ext(self, value: Extensions) -> None:
        self._ext = value

    @property
    def handler_name(self) -> str | None:
        """The qualified name of the handler running (or that last ran) for this event."""
        return self._handler_name

    @handler_name.setter
    def handler_name(self, name: str | None) -> None:
        self._handler_name = name
        self._log = None  # rebind with the new handler name on next use

    @property
    def log(self) -> Any:
        """A structlog logger bound to this event: webhook_event_id, event_type, scope,
        chat_id and handler (bound on first use, so events that log nothing pay nothing)."""
        if self._log is None:
            event = self.event
            context: dict[str, Any] = {
                "webhook_event_id": event.webhook_event_id,
                "event_type": (
                    event.event_type if isinstance(event, ev.UnknownEvent) else event.type
                ),
                "scope": event.scope,
                "chat_id": event.chat_id,
            }
            if self._handler_name is not None:
                context["handler"] = self._handler_name
            base = self._base_log if self._base_log is not None else base_logger()
            self._log = base.bind(**context)
        return self._log

    def __repr__(self) -> str:
        return (
            f"Context({type(self.event).__name__}, scope={self.scope!r}, chat_id={self.chat_id!r})"
        )

    # --- what the event says ------------------------------------------------------------

    @property
    def source(self) -> ev.Source | None:
        """Where the event came from."""
        return self.event.source

    @property
    def scope(self) -> str | None:
        """``"group"``, ``"room"`` or ``"user"``."""
        return self.event.scope

    @property
    def chat_id(self) -> str | None:
        """The group, room or user ID of the chat."""
        return self.event.chat_id

    @property
    def user_id(self) -> str | None:
        """The acting user's ID; ``None`` when they have not agreed to the terms."""
        return self.event.user_id

    @property
    def message(self) -> ev.MessageContent | None:
        """The message content of a message event."""
        event = self.event
        if isinstance(event, _MESSAGE_EVENTS):
            return event.message
        return None

    @property
    def text(self) -> str | None:
        """The text of a text message (``None`` otherwise)."""
        message = self.message
        return message.text if isinstance(message, ev.TextMessageContent) else None

    @property
    def postback(self) -> ev.PostbackContent | None:
        """The postback of a postback event."""
        return self.event.postback if isinstance(self.event, ev.PostbackEvent) else None

    @property
    def mentions(self) -> tuple[ev.Mentionee, ...]:
        """Everyone the text message mentions."""
        message = self.message
        return message.mentionees if isinstance(message, ev.TextMessageContent) else ()

    @property
    def mentioned_bot(self) -> bool:
        """Whether the text message mentions the bot."""
        message = self.message
        return message is not None and message.mentions_bot

    @property
    def reply_token(self) -> str | None:
        """The event's reply token, if it has one and it was not used yet."""
        return None if self._replied else self.event.reply_token_or_none

    # --- state ------------------------------------------------------------------------------

    def _store(self, what: str) -> Store:
        if self.store is None:
            raise StoreError(
                f"{what} lives in the bot's store, and this context has none: run the bot "
                "(bot.create_app(), linegroupbot run) or test it with the line fixture / connect()"
            )
        return self.store

    @property
    def chat_state(self) -> State:
        """This chat's state (values and the conversation step), kept in the bot's store."""
        return State(self._store("ctx.chat_state"), self._chat("ctx.chat_state"))

    @property
    def roster(self) -> Roster:
        """Who is in this group or room, kept from events (see :mod:`linegroupbot.roster`)."""
        scope = self.scope
        if scope not in ("group", "room"):
            raise UnsupportedInScopeError(
                f"ctx.roster works in groups and rooms; this is a {scope} chat (use ctx.user_id)"
            )
        return Roster(self._store("ctx.roster"), self.client, self._chat("ctx.roster"), scope)

    @property
    def member_state(self) -> State:
        """The sending member's state in this chat; needs the event's ``userId``."""
        store = self._store("ctx.member_state")
        user_id = self.user_id
        if user_id is None:
            raise NoUserIdError(
                "ctx.member_state needs the sender's userId, and this event has none (the member "
                "has not agreed to the Official Account terms): use ctx.chat_state instead"
            )
        return State(store, self._chat("ctx.member_state"), user_id)

    # --- scheduled pushes ---------------------------------------------------------------------

    async def push_later(
        self,
        when: When,
        *messages: Messages,
        notification_disabled: bool = False,
        max_lateness: float | dt.timedelta | None = None,
    ) -> ScheduledPush:
        """Push to this chat later: ``when`` is seconds, a ``timedelta`` or an aware datetime.

        Kept in the bot's store, so a restart does not lose it; sent once by one worker.
        If the bot was down when it was due, it is sent on its return unless it is more
        than ``max_lateness`` (seconds or a timedelta) late. Returns it (``.id`` cancels it).
        Run again for the same event (after a crash), it schedules the same push, not a
        second one.

        Args:
            when: Seconds from now, a ``timedelta``, or an aware datetime.
            *messages: Up to five messages (or strings).
            notification_disabled: Deliver without a notification sound.
            max_lateness: Seconds (or a timedelta) past due after which a push missed while
                the bot was down is dropped; ``None``: always sent.

        Returns:
            The scheduled push.

        Raises:
            StoreError: The context has no store.
            UnsupportedInScopeError: The event has no chat.
        """
        push = await schedule(
            self._store("ctx.push_later()"),
            self._chat("push_later()"),
            when,
            messages,
            notification_disabled=notification_disabled,
            max_lateness=max_lateness,
        )
        self._poke(push)
        return push

    async def scheduled(self) -> list[ScheduledPush]:
        """This chat's pushes still to send, soonest first."""
        return await pending(self._store("ctx.scheduled()"), self._chat("scheduled()"))

    async def cancel_scheduled(self, schedule_id: str) -> bool:
        """Cancel one of this chat's scheduled pushes.

        Args:
            schedule_id: The push's ``id``.

        Returns:
            Whether it was cancelled: false if unknown, another chat's, or already sent.
        """
        store = self._store("ctx.cancel_scheduled()")
        chat_id = self._chat("cancel_scheduled()")
        if not any(p.id == schedule_id for p in await pending(store, chat_id)):
            return False
        return await cancel(store, schedule_id)

    def _poke(self, push: ScheduledPush) -> None:
        if self._on_schedule is not None:
            self._on_schedule(push)

    def skip(self) -> NoReturn:
        """Pass the event on to the next matching handler."""
        raise SkipHandler

    # --- what a handler can do -------------------------------------------------------------

    def _chat(self, action: str) -> str:
        chat_id = self.chat_id
        if chat_id is None:
            raise UnsupportedInScopeError(
                f"{action} needs a chat, and this {self.event.type} event has no source"
            )
        return chat_id

    def _quote_token(self) -> str:
        message = getattr(self.event, "message", None)
        token = getattr(message, "quote_token", None)
        if not isinstance(token, str):
            raise UnsupportedInScopeError(
                f"this {self.event.type} event has no message with a quote token to quote: "
                "reply without quote=True"
            )
        return token

    async def reply(
        self,
        *messages: Messages,
        fallback_to_push: bool = False,
        notification_disabled: bool = False,
        quote: bool = False,
    ) -> SendResult:
        """Reply with up to five messages, using the event's reply token once.

        ``quote=True`` quotes the message being answered (its quote token goes on the
        first text or sticker message); events without a message cannot be quoted.

        A second reply, or a reply to an event without a token, raises unless
        ``fallback_to_push=True``, which pushes to the chat instead (counts against quota).
        A token LINE rejects (expired) is handled the same way, except when the event is
        handled again after a crash (``ctx.attempt > 1``): then the earlier run most likely
        replied, so the reply is skipped (logged as ``reply_skipped_on_rerun``) rather than
        risk a duplicate.

        Args:
            *messages: Up to five messages: strings (text messages), message objects, or
                iterables of them.
            fallback_to_push: Push to the chat when the token is missing, used or rejected.
            notification_disabled: Deliver without a notification sound.
            quote: Quote the message being answered.

        Returns:
            What LINE answered (request ID, sent message IDs).

        Raises:
            NoReplyTokenError: The event has no reply token (and no fallback).
            ReplyTokenUsedError: The token was used or rejected (and no fallback).
            UnsupportedInScopeError: The chat is in standby mode, or ``quote`` on an event
                without a message.
            MessageValidationError: A message LINE would refuse (the token is not used).
            LineApiError: LINE refused the call.
        """
        token = self.event.reply_token_or_none
        if quote:
            messages = quoting(messages, self._quote_token())
        if self.event.mode == "standby":
            raise UnsupportedInScopeError(
                "this chat is in standby mode (another channel handles it): do not reply"
            )
        if token is None or self._replied:
            if fallback_to_push:
                return await self.push_to_chat(
                    *messages, notification_disabled=notification_disabled
                )
            if token is None:
                raise NoReplyTokenError(
                    f"{self.event.type} events carry no reply token: use ctx.push_to_chat(), "
                    "or ctx.reply(..., fallback_to_push=True)"
                )
            raise ReplyTokenUsedError(
                "this event was already replied to (reply tokens are single use): use "
                "ctx.push_to_chat(), or ctx.reply(..., fallback_to_push=True)"
            )
        checked = normalize(messages)  # a message LINE would refuse must not use up the token
        self._replied = True
        try:
            return await self.client.reply(
                token, checked, notification_disabled=notification_disabled
            )
        except LineConnectionError as error:
            if isinstance(error.__cause__, aiohttp.ClientConnectorError):
                self._replied = False  # never reached LINE: the token is still good
            raise
        except BadRequestError as error:
            if "reply token" not in error.message.lower():
                raise
            if self.attempt > 1:
                # A re-run after a crash: the earlier run most likely used the token, so the
                # reply was delivered then. Pushing now could send it twice.
                self.log.warning(
                    "reply_skipped_on_rerun", attempt=self.attempt, request_id=error.request_id
                )
                return SendResult(request_id=error.request_id)
            if fallback_to_push:
                self.log.info("reply_token_rejected_pushing", request_id=error.request_id)
                return await self.push_to_chat(
                    *messages, notification_disabled=notification_disabled
                )
            raise ReplyTokenUsedError(
                f"LINE rejected the reply token (expired or used): {error}. Reply sooner, or "
                "pass fallback_to_push=True"
            ) from error

    async def push_to_chat(
        self, *messages: Messages, notification_disabled: bool = False
    ) -> SendResult:
        """Push up to five messages to the group, room or user this event came from.

        Args:
            *messages: Up to five messages: strings, message objects, or iterables of them.
            notification_disabled: Deliver without a notification sound.

        Returns:
            What LINE answered.

        Raises:
            UnsupportedInScopeError: The event has no chat.
            MessageValidationError: A message LINE would refuse.
            LineApiError: LINE refused the call (a quota error is a
                :class:`~linegroupbot.errors.QuotaExceededError`).
        """
        return await self.client.push(
            self._chat("push_to_chat()"), *messages, notification_disabled=notification_disabled
        )

    async def member_profile(self, user_id: str | None = None) -> Profile:
        """A member's profile, from the endpoint that fits the chat (group, room or 1:1).

        With a store, the name is kept in the chat's roster.

        Args:
            user_id: The member; defaults to the event's sender.

        Raises:
            NoUserIdError: No ``user_id`` is given and the event has none (the sender has
                not agreed to the terms).
            NotFoundError: LINE does not know the user in this chat.
        """
        target = user_id if user_id is not None else self.user_id
        if target is None:
            raise NoUserIdError(
                "this event has no userId: the member has not agreed to the Official Account "
                "terms, so LINE does not say who they are; pass user_id= explicitly or handle "
                "anonymous members"
            )
        source = self.source
        if isinstance(source, ev.GroupSource):
            profile = await self.client.group_member_profile(source.group_id, target)
        elif isinstance(source, ev.RoomSource):
            profile = await self.client.room_member_profile(source.room_id, target)
        else:
            return await self.client.profile(target)
        if self.store is not None and self.track_rosters:  # cache the name in the roster
            await self.roster.add({target: profile.display_name})
        return profile

    async def leave(self) -> None:
        """Make the bot leave this group or room.

        Raises:
            UnsupportedInScopeError: This is a 1:1 chat (the user blocks the bot instead).
        """
        source = self.source
        if isinstance(source, ev.GroupSource):
            await self.client.leave_group(source.group_id)
        elif isinstance(source, ev.RoomSource):
            await self.client.leave_room(source.room_id)
        else:
            raise UnsupportedInScopeError(
                "a bot cannot leave a one-on-one chat (the user blocks the bot instead); "
                "leave() works in groups and rooms"
            )

    def member_ids(self) -> AsyncIterator[str]:
        """Every member's user ID, all pages (verified or premium accounts only).

        Raises:
            UnsupportedInScopeError: This is a 1:1 chat.
        """
        source = self.source
        if isinstance(source, ev.GroupSource):
            return self.client.group_member_ids(source.group_id)
        if isinstance(source, ev.RoomSource):
            return self.client.room_member_ids(source.room_id)
        raise UnsupportedInScopeError("member_ids() works in groups and rooms, not 1:1 chats")

    async def member_count(self) -> int:
        """How many members the group or room has.

        Raises:
            UnsupportedInScopeError: This is a 1:1 chat.
        """
        source = self.source
        if isinstance(source, ev.GroupSource):
            return await self.client.group_member_count(source.group_id)
        if isinstance(source, ev.RoomSource):
            return await self.client.room_member_count(source.room_id)
        raise UnsupportedInScopeError("member_count() works in groups and rooms, not 1:1 chats")

    async def group_summary(self) -> GroupSummary:
        """The group's name and icon.

        Raises:
            UnsupportedInScopeError: This is a room (rooms have no name) or a 1:1 chat.
        """
        source = self.source
        if not isinstance(source, ev.GroupSource):
            raise UnsupportedInScopeError(
                f"group_summary() works in groups only; this is a {self.scope} chat"
                + (" (rooms have no name)" if self.scope == "room" else "")
            )
        return await self.client.group_summary(source.group_id)

    async def get_content(self) -> bytes:
        """The binary content of this image, video, audio or file message.

        Raises:
            UnsupportedInScopeError: The event is not such a message.
        """
        message = self.message
        if not isinstance(
            message,
            ev.ImageMessageContent
            | ev.VideoMessageContent
            | ev.AudioMessageContent
            | ev.FileMessageContent,
        ):
            raise UnsupportedInScopeError(
                "get_content() needs an image, video, audio or file message"
            )
        return await self.client.get_content(message.id)


class EventContext(Context, Generic[E]):
    """A context whose event is known to be an ``E``: what the typed decorators hand over.

    ``@bot.on_join`` handlers get an ``EventContext[JoinEvent]`` (``JoinContext``), so
    ``ctx.event`` is a :class:`~linegroupbot.events.JoinEvent` to the type checker too.
    At run time every context the bot makes is an ``EventContext``.
    """

    __slots__ = ()
    event: E


class MessageContext(EventContext["ev.MessageEvent | ev.MessageEditedEvent"]):
    """What ``on_message`` and ``on_message_edited`` handlers get: ``message`` is never None."""

    __slots__ = ()

    @property
    def message(self) -> ev.MessageContent:
        """The message (for an edit, the message as edited)."""
        return self.event.message

    @property
    def text(self) -> str | None:
        """The text of a text message (``None`` otherwise)."""
        message = self.event.message
        return message.text if isinstance(message, ev.TextMessageContent) else None


class PostbackContext(EventContext[ev.PostbackEvent]):
    """What ``on_postback`` handlers get: ``postback`` is never None."""

    __slots__ = ()

    @property
    def postback(self) -> ev.PostbackContent:
        """The postback: its data and, for pickers, the chosen params."""
        return self.event.postback


JoinContext: TypeAlias = EventContext[ev.JoinEvent]
"""What ``on_join`` handlers get."""
LeaveContext: TypeAlias = EventContext[ev.LeaveEvent]
"""What ``on_leave`` handlers get."""
MemberJoinedContext: TypeAlias = EventContext[ev.MemberJoinedEvent]
"""What ``on_member_joined`` handlers get: ``ctx.event.joined.members``."""
MemberLeftContext: TypeAlias = EventContext[ev.MemberLeftEvent]
"""What ``on_member_left`` handlers get: ``ctx.event.left.members``."""
FollowContext: TypeAlias = EventContext[ev.FollowEvent]
"""What ``on_follow`` handlers get."""
UnfollowContext: TypeAlias = EventContext[ev.UnfollowEvent]
"""What ``on_unfollow`` handlers get."""


def context_class(event: ev.Event) -> type[Context]:
    """The context class for ``event``: :class:`MessageContext` for messages and their
    edits, :class:`PostbackContext` for postbacks, :class:`EventContext` otherwise."""
    if isinstance(event, _MESSAGE_EVENTS):
        return MessageContext
    if isinstance(event, ev.PostbackEvent):
        return PostbackContext
    return EventContext
