"""Filters decide which handler gets an event; they compose with ``&``, ``|`` and ``~``.

Any sync or async callable taking the :class:`~linegroupbot.context.Context` and
returning a truthy value is a filter. Filters may leave what they found on the
context (``ctx.command``, ``ctx.match``) for the handler. Plugin authors extend
matching by writing filters.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeAlias

import attrs

from . import events as ev
from .context import CommandMatch, Context

__all__ = [
    "And",
    "ChatId",
    "Command",
    "CommandMatch",
    "EventType",
    "Filter",
    "FilterLike",
    "FuncFilter",
    "MentionsBot",
    "MessageType",
    "Not",
    "Or",
    "PostbackData",
    "Regex",
    "Scope",
    "StartsWith",
    "Step",
    "Text",
    "UserId",
    "Where",
    "as_filter",
    "where",
]

FilterLike: TypeAlias = "Filter | Callable[[Context], bool | Awaitable[bool]]"
"""A :class:`Filter`, or a callable taking the context and returning a (maybe awaitable) bool."""


class Filter:
    """Base class of filters: override :meth:`check`; combine with ``&``, ``|``, ``~``."""

    __slots__ = ()

    async def check(self, ctx: Context) -> bool:
        """Whether the event in ``ctx`` passes."""
        raise NotImplementedError

    async def __call__(self, ctx: Context) -> bool:
        return await self.check(ctx)

    def __and__(self, other: FilterLike) -> Filter:
        return And(self, as_filter(other))

    def __rand__(self, other: FilterLike) -> Filter:
        return And(as_filter(other), self)

    def __or__(self, other: FilterLike) -> Filter:
        return Or(self, as_filter(other))

    def __ror__(self, other: FilterLike) -> Filter:
        return Or(as_filter(other), self)

    def __invert__(self) -> Filter:
        return Not(self)


@attrs.frozen
class FuncFilter(Filter):
    """Wraps ``func``, a sync or async callable taking the context, as a filter."""

    func: Callable[[Context], Any]

    async def check(self, ctx: Context) -> bool:
        """Call the function with ``ctx``, awaiting it if needed; its result's truth."""
        result = self.func(ctx)
        if inspect.isawaitable(result):
            result = await result
        return bool(result)


@attrs.frozen
class And(Filter):
    """Passes when both ``left`` and ``right`` pass (``right`` is not run if ``left`` fails)."""

    left: Filter
    right: Filter

    async def check(self, ctx: Context) -> bool:
        """Whether both filters pass for ``ctx``."""
        return await self.left.check(ctx) and await self.right.check(ctx)


@attrs.frozen
class Or(Filter):
    """Passes when ``left`` or ``right`` passes (``right`` is not run if ``left`` passes)."""

    left: Filter
    right: Filter

    async def check(self, ctx: Context) -> bool:
        """Whether either filter passes for ``ctx``."""
        return await self.left.check(ctx) or await self.right.check(ctx)


@attrs.frozen
class Not(Filter):
    """Passes when the ``inner`` filter does not."""

    inner: Filter

    async def check(self, ctx: Context) -> bool:
        """Whether the inner filter fails for ``ctx``."""
        return not await self.inner.check(ctx)


Test: TypeAlias = "Callable[[Context], object]"


def sync_test(value: Filter) -> Test | None:
    """A plain function whose truth is what ``await value.check(ctx)`` returns, when the
    filter needs nothing awaited (the built-in filters but :class:`Step`, and ``&``, ``|``,
    ``~`` of such); ``None`` otherwise. Routing calls it instead of awaiting ``check``,
    which saves a coroutine per filter per event. A subclass that overrides ``check``
    gets ``None``: its own ``check`` is awaited."""
    kind = type(value)
    owner = next(klass for klass in kind.__mro__ if "check" in klass.__dict__)
    if owner in _SYNC:
        return value._test  # type: ignore[attr-defined, no-any-return]
    if owner is Not:
        assert isinstance(value, Not)
        inner = sync_test(value.inner)
        if inner is None:
            return None
        return lambda ctx: not inner(ctx)
    if owner is And or owner is Or:
        assert isinstance(value, And | Or)
        left, right = sync_test(value.left), sync_test(value.right)
        if left is None or right is None:
            return None
        if owner is And:
            return lambda ctx: left(ctx) and right(ctx)
        return lambda ctx: left(ctx) or right(ctx)
    return None


def _check_owner(kind: type[Filter]) -> type[Filter]:
    return next(klass for klass in kind.__mro__ if "check" in klass.__dict__)


def _is_pure(value: Filter) -> bool:
    """Whether running the filter can do nothing but pass or fail (and set what a failed
    chain resets: ``ctx.command``, ``ctx.match``): the built-in sync filters and
    ``&``, ``|``, ``~`` of them."""
    owner = _check_owner(type(value))
    if owner in _SYNC:
        return True
    if owner is Not:
        assert isinstance(value, Not)
        return _is_pure(value.inner)
    if owner is And or owner is Or:
        assert isinstance(value, And | Or)
        return _is_pure(value.left) and _is_pure(value.right)
    return False


def required_commands(value: Filter) -> frozenset[str] | None:
    """The command names (under the bot's ``command_prefixes``) one of which an event's
    command must have for ``value`` to pass, when a failing ``value`` runs nothing but
    built-in filters on the way; ``None`` when there is no such set.

    Routing uses it to skip, without running them, the handlers of other commands.

    Args:
        value: A handler's filter.

    Returns:
        The casefolded names, or ``None``.
    """
    owner = _check_owner(type(value))
    if owner is Command:
        assert isinstance(value, Command)
        return frozenset(value.names) if value.prefixes is None else None
    if owner is And:
        assert isinstance(value, And)
        left = required_commands(value.left)
        if left is not None:
            return left  # the right side never runs when the left fails
        return required_commands(value.right) if _is_pure(value.left) else None
    if owner is Or:
        assert isinstance(value, Or)
        left = required_commands(value.left)
        right = required_commands(value.right) if left is not None else None
        return None if left is None or right is None else left | right
    return None


def as_filter(value: FilterLike) -> Filter:
    """A :class:`Filter` from a filter or a callable.

    Args:
        value: A :class:`Filter` (returned as it is) or a callable taking the context
            (wrapped in a :class:`FuncFilter`).

    Raises:
        TypeError: ``value`` is neither.
    """
    if isinstance(value, Filter):
        return value
    if callable(value):
        return FuncFilter(value)
    raise TypeError(f"{value!r} is not a filter: pass a Filter or a callable taking the context")


def _tuple(value: str | Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@attrs.frozen
class EventType(Filter):
    """Passes events that are instances of one of ``classes``."""

    classes: tuple[type[ev.Event], ...]

    async def check(self, ctx: Context) -> bool:
        """Whether ``ctx``'s event is one of the classes."""
        return self._test(ctx)

    def _test(self, ctx: Context) -> bool:
        return isinstance(ctx.event, self.classes)


@attrs.frozen
class Scope(Filter):
    """Passes events from the kinds of chat in ``scopes``: ``"group"``, ``"room"``, ``"user"``.

    Raises:
        ValueError: A scope is none of those.
    """

    scopes: tuple[str, ...] = attrs.field(converter=_tuple)

    def __attrs_post_init__(self) -> None:
        unknown = set(self.scopes) - {"group", "room", "user"}
        if unknown:
            raise ValueError(f"unknown scope(s) {sorted(unknown)}: use 'group', 'room' or 'user'")

    async def check(self, ctx: Context) -> bool:
        """Whether ``ctx`` comes from one of the scopes."""
        return self._test(ctx)

    def _test(self, ctx: Context) -> bool:
        return ctx.scope in self.scopes


@attrs.frozen
class Text(Filter):
    """Passes text messages equal to one of ``texts`` (``ignore_case`` optional)."""

    texts: tuple[str, ...] = attrs.field(converter=_tuple)
    ignore_case: bool = False

    async def check(self, ctx: Context) -> bool:
        """Whether ``ctx``'s text equals one of the texts."""
        return self._test(ctx)

    def _test(self, ctx: Context) -> bool:
        text = ctx.text
        if text is None:
            return False
        if self.ignore_case:
            return text.casefold() in {t.casefold() for t in self.texts}
        return text in self.texts


@attrs.frozen
class StartsWith(Filter):
    """Passes text messages starting with one of ``prefixes``."""

    prefixes: tuple[str, ...] = attrs.field(converter=_tuple)

    async def check(self, ctx: Context) -> bool:
        """Whether ``ctx``'s text starts with one of the prefixes."""
        return self._test(ctx)

    def _test(self, ctx: Context) -> bool:
        text = ctx.text
        return text is not None and text.startswith(self.prefixes)


def _compile(pattern: str | re.Pattern[str]) -> re.Pattern[str]:
    return re.compile(pattern) if isinstance(pattern, str) else pattern


@attrs.frozen
class Regex(Filter):
    """Passes text messages ``pattern`` matches (``re.search``); sets ``ctx.match``.

    ``pattern`` is a string (compiled here) or a compiled pattern.
    """

    pattern: re.Pattern[str] = attrs.field(converter=_compile)

    async def check(self, ctx: Context) -> bool:
        """Search ``ctx``'s text, and keep the match for the handler."""
        return self._test(ctx)

    def _test(self, ctx: Context) -> bool:
        text = ctx.text
        if text is None:
            return False
        match = self.pattern.search(text)
        if match is None:
            return False
        ctx.match = match
        return True


def _casefolded(value: str | Iterable[str]) -> tuple[str, ...]:
    return tuple(name.casefold() for name in _tuple(value))


@attrs.frozen
class Command(Filter):
    """Passes ``/name``, ``!name`` or ``/name@Bot`` (prefixes configurable); sets ``ctx.command``.

    ``names`` are the command names, matched case-insensitively. ``prefixes=None`` uses
    the bot's ``command_prefixes``.
    """

    names: tuple[str, ...] = attrs.field(converter=_casefolded)
    prefixes: tuple[str, ...] | None = None

    async def check(self, ctx: Context) -> bool:
        """Parse ``ctx``'s text as a command and compare its name."""
        return self._test(ctx)

    def _test(self, ctx: Context) -> bool:
        prefixes = self.prefixes if self.prefixes is not None else ctx.command_prefixes
        found = ctx.parsed_command(prefixes)
        if found is None or found.name not in self.names:
            return False
        ctx.command = found
        return True


@attrs.frozen
class MessageType(Filter):
    """Passes messages whose content type is one of ``types`` (``"text"``, ``"image"``...)."""

    types: tuple[str, ...] = attrs.field(converter=_tuple)

    async def check(self, ctx: Context) -> bool:
        """Whether ``ctx``'s message is of one of the types."""
        return self._test(ctx)

    def _test(self, ctx: Context) -> bool:
        message = ctx.message
        return message is not None and message.type in self.types


@attrs.frozen
class MentionsBot(Filter):
    """Passes text messages that mention the bot (``expected=False``: that do not)."""

    expected: bool = True

    async def check(self, ctx: Context) -> bool:
        """Whether ``ctx``'s message mentions the bot as ``expected``."""
        return self._test(ctx)

    def _test(self, ctx: Context) -> bool:
        return ctx.mentioned_bot is self.expected


@attrs.frozen
class UserId(Filter):
    """Passes events sent by one of ``user_ids``."""

    user_ids: tuple[str, ...] = attrs.field(converter=_tuple)

    async def check(self, ctx: Context) -> bool:
        """Whether ``ctx``'s sender is one of the users."""
        return self._test(ctx)

    def _test(self, ctx: Context) -> bool:
        return ctx.user_id is not None and ctx.user_id in self.user_ids


@attrs.frozen
class ChatId(Filter):
    """Passes events from one of ``chat_ids`` (group, room or user IDs)."""

    chat_ids: tuple[str, ...] = attrs.field(converter=_tuple)

    async def check(self, ctx: Context) -> bool:
        """Whether ``ctx``'s chat is one of the chats."""
        return self._test(ctx)

    def _test(self, ctx: Context) -> bool:
        return ctx.chat_id is not None and ctx.chat_id in self.chat_ids


@attrs.frozen
class Step(Filter):
    """Passes when the sender's conversation step (``chat=True``: the chat's) is one of
    ``steps``; ``"*"`` matches any step. Steps are set with ``ctx.member_state.set_step()``
    (or ``ctx.chat_state``) and read from the bot's store."""

    steps: tuple[str, ...] = attrs.field(converter=_tuple)
    chat: bool = False

    async def check(self, ctx: Context) -> bool:
        """Whether ``ctx``'s step is one of the steps (events without a chat, or without a
        sender for member steps, fail)."""
        if ctx.chat_id is None or (not self.chat and ctx.user_id is None):
            return False
        state = ctx.chat_state if self.chat else ctx.member_state
        current = await state.step()
        return current is not None and ("*" in self.steps or current in self.steps)


@attrs.frozen
class PostbackData(Filter):
    """Passes postbacks whose data equals ``data`` or starts with ``prefix``."""

    data: str | None = None
    prefix: str | None = None

    async def check(self, ctx: Context) -> bool:
        """Whether ``ctx``'s postback data matches."""
        return self._test(ctx)

    def _test(self, ctx: Context) -> bool:
        postback = ctx.postback
        if postback is None:
            return False
        if self.data is not None and postback.data != self.data:
            return False
        return self.prefix is None or postback.data.startswith(self.prefix)


def _is_standby(ctx: Context) -> bool:
    return ctx.event.mode == "standby"


def _is_redelivery(ctx: Context) -> bool:
    return ctx.event.is_redelivery


class Where:
    """Functions that build the built-in filters: ``where.command("who") & where.scope("group")``.

    Every member is a function returning a :class:`Filter` (there are no attribute
    expressions such as ``text == "hi"``: write ``where.text("hi")``). Use the instance
    :data:`where`.
    """

    __slots__ = ()

    @staticmethod
    def text(texts: str | Iterable[str], *, ignore_case: bool = False) -> Filter:
        """Text messages equal to one of ``texts`` (``ignore_case``: compared casefolded)."""
        return Text(texts, ignore_case)

    @staticmethod
    def startswith(prefixes: str | Iterable[str]) -> Filter:
        """Text messages starting with one of ``prefixes``."""
        return StartsWith(prefixes)

    @staticmethod
    def regex(pattern: str | re.Pattern[str]) -> Filter:
        """Text messages ``pattern`` matches (the handler gets ``ctx.match``)."""
        return Regex(pattern)

    @staticmethod
    def command(names: str | Iterable[str], *, prefixes: Iterable[str] | None = None) -> Filter:
        """The commands ``names`` (``/who``); the handler gets ``ctx.command``.

        ``prefixes`` replace the bot's ``command_prefixes`` for this filter.
        """
        return Command(names, tuple(prefixes) if prefixes is not None else None)

    @staticmethod
    def scope(scopes: str | Iterable[str]) -> Filter:
        """Events from the kinds of chat in ``scopes``: ``"group"``, ``"room"``, ``"user"``.

        Raises:
            ValueError: A scope is none of those.
        """
        return Scope(scopes)

    @staticmethod
    def message_type(types: str | Iterable[str]) -> Filter:
        """Messages of the content ``types`` (``"text"``, ``"image"``...)."""
        return MessageType(types)

    @staticmethod
    def user_id(user_ids: str | Iterable[str]) -> Filter:
        """Events sent by one of ``user_ids``."""
        return UserId(user_ids)

    @staticmethod
    def chat_id(chat_ids: str | Iterable[str]) -> Filter:
        """Events from one of ``chat_ids`` (groups, rooms or 1:1 chats)."""
        return ChatId(chat_ids)

    @staticmethod
    def postback(data: str | None = None, *, prefix: str | None = None) -> Filter:
        """Postbacks whose data equals ``data`` or starts with ``prefix``."""
        return PostbackData(data, prefix)

    @staticmethod
    def step(steps: str | Iterable[str], *, chat: bool = False) -> Filter:
        """The sender's (``chat=True``: the chat's) conversation step is one of ``steps``."""
        return Step(steps, chat)

    @staticmethod
    def event(*classes: type[ev.Event]) -> Filter:
        """Events that are instances of one of ``classes``."""
        return EventType(tuple(classes))

    @staticmethod
    def mentions_bot(expected: bool = True) -> Filter:
        """Text messages that mention the bot (``expected=False``: that do not)."""
        return MentionsBot(expected)

    @staticmethod
    def standby() -> Filter:
        """Events of chats in standby mode (another channel handles them)."""
        return FuncFilter(_is_standby)

    @staticmethod
    def redelivery() -> Filter:
        """Events LINE is sending again after a failed delivery."""
        return FuncFilter(_is_redelivery)


where = Where()
"""Builds the built-in filters: ``where.command("who") & ~where.scope("room")``."""

_SYNC: frozenset[type[Filter]] = frozenset(
    {EventType, Scope, Text, StartsWith, Regex, Command, MessageType, MentionsBot, UserId, ChatId}
    | {PostbackData}
)
"""The filters whose ``check`` only returns ``self._test(ctx)`` (see :func:`sync_test`)."""
