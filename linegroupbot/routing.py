"""Router: handlers, filters, middleware and error handlers, and the dispatch order.

Dispatch order: an event is offered to a router's entries in registration order; an
included router is entered (depth-first) at the place it was included, if its own
filters pass. The first handler whose event type and filters match handles the event.
A handler can pass it on with ``raise SkipHandler`` or ``ctx.skip()``; the search then
continues after that handler. Exceptions from handlers go to the ``on_error`` handlers of
the handler's router, then of each enclosing router up to the bot.
"""

from __future__ import annotations

import contextlib
import inspect
import re
import types
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Concatenate, Generic, ParamSpec, Protocol, TypeAlias, TypeVar, overload

import attrs

from . import events as ev
from .context import (
    CommandMatch,
    Context,
    EventContext,
    FollowContext,
    JoinContext,
    LeaveContext,
    MemberJoinedContext,
    MemberLeftContext,
    MessageContext,
    PostbackContext,
    SkipHandler,
    UnfollowContext,
)
from .filters import (
    And,
    ChatId,
    Command,
    Filter,
    FilterLike,
    MentionsBot,
    MessageType,
    Or,
    PostbackData,
    Regex,
    Scope,
    StartsWith,
    Step,
    Test,
    Text,
    UserId,
    as_filter,
    required_commands,
    sync_test,
)
from .middleware import Middleware, run_middleware
from .timeouts import enter_handler

__all__ = [
    "INJECTABLE",
    "ErrorHandler",
    "ErrorHandlerOf",
    "Handler",
    "HandlerOf",
    "HandlerSpec",
    "Hook",
    "Register",
    "Router",
]

Handler: TypeAlias = Callable[..., Awaitable[Any]]
"""``async def handler(ctx, ...) -> None``: the context, then any injected values."""
ErrorHandler: TypeAlias = Callable[[Context, BaseException], Awaitable[Any]]
"""``async def on_error(ctx, error) -> None``."""
Hook: TypeAlias = Callable[[], Awaitable[Any]]
"""A startup or shutdown hook: ``async def hook() -> None``."""

C = TypeVar("C", bound=Context)
P = ParamSpec("P")
R = TypeVar("R")
EV = TypeVar("EV", bound=ev.Event)
HandlerOf: TypeAlias = Callable[Concatenate[C, P], Awaitable[R]]
"""A handler whose first parameter takes a ``C`` (or any base of it, such as ``Context``)."""
X = TypeVar("X", bound=BaseException)
ErrorHandlerOf: TypeAlias = Callable[[C, X], Awaitable[Any]]
"""An error handler for exceptions of type ``X``: ``async def on_error(ctx, error: X)``."""
K = TypeVar("K", bound=Hook)
ScopeArg: TypeAlias = "str | tuple[str, ...] | None"
Filters: TypeAlias = "FilterLike | Iterable[FilterLike] | None"


class Register(Protocol, Generic[C]):
    """What a decorator called with filters returns: it registers and returns the handler,
    which takes a ``C`` (the typed context of the decorator's event) first."""

    def __call__(self, callback: HandlerOf[C, P, R], /) -> HandlerOf[C, P, R]: ...


@attrs.frozen
class HandlerSpec:
    """A registered handler: its callback, the event types it takes, and its filter.

    Attributes:
        callback: The handler function.
        event_types: The event classes it is offered.
        filter: The filters of its decorator, combined (``None``: no filter).
        name: Its qualified name, as logs show it.
    """

    callback: Handler
    event_types: tuple[type[ev.Event], ...]
    filter: Filter | None
    name: str
    injected: tuple[tuple[str, bool], ...] = ()
    """The parameters after the context the handler asks for, and whether each is required."""
    test: Test | None = attrs.field(init=False, default=None, eq=False, repr=False)
    """The filter as a plain function, when it needs nothing awaited (see ``sync_test``)."""
    commands: frozenset[str] | None = attrs.field(init=False, default=None, eq=False, repr=False)
    """The command names its filter requires, if any (see ``required_commands``)."""

    def __attrs_post_init__(self) -> None:
        if self.filter is not None:
            object.__setattr__(self, "test", sync_test(self.filter))
            object.__setattr__(self, "commands", required_commands(self.filter))


INJECTABLE: Mapping[str, Callable[[Context], Any]] = {
    "event": lambda ctx: ctx.event,
    "message": lambda ctx: ctx.message,
    "text": lambda ctx: ctx.text,
    "command": lambda ctx: ctx.command,
    "args": lambda ctx: ctx.command.args if ctx.command is not None else None,
    "match": lambda ctx: ctx.match,
    "postback": lambda ctx: ctx.postback,
    "chat_id": lambda ctx: ctx.chat_id,
    "user_id": lambda ctx: ctx.user_id,
    "scope": lambda ctx: ctx.scope,
}
"""What a handler may ask for by parameter name, after the context: ``command`` (the
:class:`~linegroupbot.context.CommandMatch`), ``args`` (its argument text), ``match`` (the
regex match), ``text``, ``message``, ``postback``, ``event``, ``chat_id``, ``user_id``,
``scope``. A parameter without a default is required: the handler is only offered events
that have it. With a default, the handler gets the default when the event has none."""

_NEEDS_FILTER: Mapping[str, tuple[type[Filter], str]] = {
    "command": (Command, "command="),
    "args": (Command, "command="),
    "match": (Regex, "regex="),
}


def _has_filter(found: Filter | None, kind: type[Filter]) -> bool:
    """Whether a chain of filters always runs a ``kind`` filter when it passes."""
    if isinstance(found, kind):
        return True
    if isinstance(found, And):
        return _has_filter(found.left, kind) or _has_filter(found.right, kind)
    if isinstance(found, Or):
        return _has_filter(found.left, kind) and _has_filter(found.right, kind)
    return False


_INJECTED_TYPES: Mapping[str, type[Any]] = {
    "command": CommandMatch,
    "args": str,
    "match": re.Match,
    "text": str,
    "chat_id": str,
    "user_id": str,
    "scope": str,
}
"""What the injected values are, for the names whose value has one type (the annotation of
such a parameter must admit it)."""


def _hints(callback: Handler) -> dict[str, Any]:
    """``callback``'s annotations that resolve in its module (one by one: an annotation that
    names something only the handler's own scope knows is not checked)."""
    try:
        raw = inspect.get_annotations(callback)
    except Exception:
        return {}
    scope = getattr(callback, "__globals__", {})
    hints: dict[str, Any] = {}
    for param, annotation in raw.items():
        if not isinstance(annotation, str):
            hints[param] = annotation
            continue
        with contextlib.suppress(Exception):  # unresolvable here: not checked
            hints[param] = eval(annotation, scope)  # noqa: S307 (the handler's own annotation)
    return hints


def _admits(hint: Any, value_type: type[Any]) -> bool:
    """Whether an annotation admits values of ``value_type`` (unknown shapes: yes)."""
    if hint is Any or hint is object:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_admits(arg, value_type) for arg in typing.get_args(hint))
    if origin is typing.Literal or isinstance(hint, typing.TypeVar):
        return True
    target = origin if origin is not None else hint
    if not isinstance(target, type):
        return True
    return issubclass(value_type, target)


def _check_annotation(name: str, param: str, hints: Mapping[str, Any]) -> None:
    value_type = _INJECTED_TYPES.get(param)
    if value_type is None or param not in hints or _admits(hints[param], value_type):
        return
    shown = getattr(hints[param], "__name__", None) or repr(hints[param])
    hint = " (or ask for args: str)" if param == "command" else ""
    raise TypeError(
        f"handler {name} asks for {param}: {shown}, but {param!r} is a {value_type.__name__}: "
        f"annotate it {param}: {value_type.__name__}{hint}"
    )


def _injected(callback: Handler, name: str, found: Filter | None) -> tuple[tuple[str, bool], ...]:
    """The injected parameters of ``callback``, checked against its filters now."""
    try:
        params = list(inspect.signature(callback).parameters.values())
    except (TypeError, ValueError):  # a callable without a signature: give it the context
        return ()
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if params and params[0].kind is inspect.Parameter.VAR_POSITIONAL:
        return ()
    if not params or params[0].kind not in positional:
        raise TypeError(
            f"handler {name} must take the context as its first parameter: "
            "async def handler(ctx) -> None"
        )
    wanted: list[tuple[str, bool]] = []
    for param in params[1:]:
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        required = param.default is inspect.Parameter.empty
        if param.name not in INJECTABLE:
            if not required:
                continue  # a parameter of its own, with its default
            raise TypeError(
                f"handler {name} asks for {param.name!r}, which no event gives: ask for one of "
                f"{', '.join(INJECTABLE)} (by parameter name), or give it a default"
            )
        need = _NEEDS_FILTER.get(param.name)
        if need is not None and not _has_filter(found, need[0]):
            raise TypeError(
                f"handler {name} asks for {param.name!r}, which only {need[1]} finds: register "
                f"it with {need[1]}..., or give {param.name!r} a default"
            )
        wanted.append((param.name, required))
    if wanted:
        hints = _hints(callback)
        for param_name, _ in wanted:
            _check_annotation(name, param_name, hints)
    return tuple(wanted)


def _arguments(ctx: Context, injected: tuple[tuple[str, bool], ...]) -> dict[str, Any] | None:
    """The values a handler asked for; ``None`` when a required one is missing here."""
    values: dict[str, Any] = {}
    for name, required in injected:
        value = INJECTABLE[name](ctx)
        if value is None:
            if required:
                return None
            continue
        values[name] = value
    return values


def _combine(filters: Iterable[Filter | None]) -> Filter | None:
    result: Filter | None = None
    for item in filters:
        if item is not None:
            result = item if result is None else result & item
    return result


def _message_filters(
    text: str | Iterable[str] | None,
    startswith: str | Iterable[str] | None,
    regex: str | re.Pattern[str] | None,
    command: str | Iterable[str] | None,
    message_type: str | Iterable[str] | None,
    scope: ScopeArg,
    mentions_bot: bool | None,
    user_id: str | Iterable[str] | None,
    chat_id: str | Iterable[str] | None,
    step: str | Iterable[str] | None,
    chat_step: str | Iterable[str] | None,
    filters: FilterLike | Iterable[FilterLike] | None,
) -> list[Filter | None]:
    """The filters ``on_message`` and ``on_message_edited`` build from their arguments."""
    return [
        Scope(scope) if scope is not None else None,
        MessageType(message_type) if message_type is not None else None,
        Text(text) if text is not None else None,
        StartsWith(startswith) if startswith is not None else None,
        Command(command) if command is not None else None,
        Regex(regex) if regex is not None else None,
        MentionsBot(mentions_bot) if mentions_bot is not None else None,
        UserId(user_id) if user_id is not None else None,
        ChatId(chat_id) if chat_id is not None else None,
        *_steps(step, chat_step),
        *_extra(filters),
    ]


def _steps(step: str | Iterable[str] | None, chat_step: str | Iterable[str] | None) -> list[Filter]:
    found: list[Filter] = []
    if step is not None:
        found.append(Step(step))
    if chat_step is not None:
        found.append(Step(chat_step, chat=True))
    return found


def _extra(filters: FilterLike | Iterable[FilterLike] | None) -> list[Filter]:
    if filters is None:
        return []
    if isinstance(filters, Filter) or callable(filters):
        return [as_filter(filters)]
    return [as_filter(f) for f in filters]


def _name(callback: Callable[..., Any]) -> str:
    module = getattr(callback, "__module__", None) or "?"
    qualname = getattr(callback, "__qualname__", None) or repr(callback)
    return f"{module}.{qualname}"


class Router:
    """A tree node of handlers. ``bot.include(router)``; routers nest.

    Args:
        name: The router's name, in logs and reprs (default ``"router"``).
        filters: Filters every handler in the router (and in routers it includes) must
            pass first: a :class:`~linegroupbot.filters.Filter`, a predicate taking the
            context, or several.
    """

    def __init__(self, *, name: str | None = None, filters: Filters = None) -> None:
        self.name = name or "router"
        self.filter = _combine(_extra(filters))
        self.entries: list[HandlerSpec | Router] = []
        self.middleware: list[Middleware] = []
        self.error_handlers: list[tuple[type[BaseException], ErrorHandler]] = []
        self.startup_hooks: list[Hook] = []
        self.shutdown_hooks: list[Hook] = []
        self.parent: Router | None = None
        # Per event class, the entries that may take it (see _entries_for).
        self._index: dict[type[ev.Event], _Candidates] = {}
        self._indexed = 0
        self._filter_test: tuple[Filter | None, Test | None] = (None, None)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, entries={len(self.entries)})"

    # --- structure --------------------------------------------------------------------------

    def include(self, router: Router) -> Router:
        """Add a router's handlers here, at this point of the dispatch order.

        Args:
            router: The router to include; a router is included once.

        Returns:
            The router included.

        Raises:
            ValueError: The router is this one, is already included somewhere, or would
                make a cycle.
        """
        if router is self:
            raise ValueError("a router cannot include itself")
        if router.parent is not None:
            raise ValueError(
                f"{router!r} is already included in {router.parent!r}; a router is included once"
            )
        node: Router | None = self
        while node is not None:
            if node is router:
                raise ValueError("including this router would make a cycle")
            node = node.parent
        router.parent = self
        self.entries.append(router)
        return router

    def iter_routers(self) -> Iterable[Router]:
        """This router and every router included below it, depth-first."""
        yield self
        for entry in self.entries:
            if isinstance(entry, Router):
                yield from entry.iter_routers()

    def add_middleware(self, middleware: Middleware) -> Middleware:
        """Register ``async def mw(ctx, call_next)``; also usable as a decorator.

        Args:
            middleware: A function or :class:`~linegroupbot.middleware.BaseMiddleware`
                wrapping this router's dispatch (see :mod:`linegroupbot.middleware`).

        Returns:
            The middleware.
        """
        self.middleware.append(middleware)
        return middleware

    @overload
    def on_error(
        self,
    ) -> Callable[[ErrorHandlerOf[Context, Exception]], ErrorHandlerOf[Context, Exception]]: ...
    @overload
    def on_error(
        self, kind: type[X], /
    ) -> Callable[[ErrorHandlerOf[Context, X]], ErrorHandlerOf[Context, X]]: ...
    @overload
    def on_error(self, *types: type[BaseException]) -> Callable[[ErrorHandler], ErrorHandler]: ...
    def on_error(self, *types: type[BaseException]) -> Any:
        """Handle exceptions of ``types`` (default: all) raised by this router's handlers.

        With one type, the handler's ``error`` parameter may be typed as it:
        ``@bot.on_error(LineApiError)`` takes ``async def h(ctx, error: LineApiError)``.

        Args:
            *types: The exception classes to handle; none: every ``Exception``.

        Returns:
            A decorator that registers ``async def h(ctx, error)`` and returns it.
        """
        kinds = types or (Exception,)

        def register(callback: ErrorHandler) -> ErrorHandler:
            for kind in kinds:
                self.error_handlers.append((kind, callback))
            return callback

        return register

    def on_startup(self, hook: K) -> K:
        """Run ``async def hook()`` when the bot starts (before serving).

        Args:
            hook: The coroutine function to run; a hook that raises stops the start.

        Returns:
            The hook, so that this works as a decorator.
        """
        self.startup_hooks.append(hook)
        return hook

    def on_shutdown(self, hook: K) -> K:
        """Run ``async def hook()`` when the bot stops (after draining handlers).

        Args:
            hook: The coroutine function to run.

        Returns:
            The hook, so that this works as a decorator.
        """
        self.shutdown_hooks.append(hook)
        return hook

    def add_handler(
        self,
        callback: Handler,
        event_types: tuple[type[ev.Event], ...],
        *filters: Filter | None,
    ) -> HandlerSpec:
        """Register a handler for ``event_types`` with filters (the decorators call this).

        Args:
            callback: ``async def handler(ctx, ...)``; parameters after the context are
                injected by name (see :data:`INJECTABLE`).
            event_types: The event classes the handler is offered.
            *filters: Filters that must all pass (``None`` entries are ignored).

        Returns:
            The registered :class:`HandlerSpec`.

        Raises:
            TypeError: The handler is not an async function, or asks for a parameter that
                cannot be injected (or is annotated with a type its value cannot have).
        """
        if not inspect.iscoroutinefunction(callback) and not inspect.iscoroutinefunction(
            getattr(callback, "__call__", None)  # noqa: B004
        ):
            raise TypeError(f"handler {_name(callback)} must be an async function (async def)")
        combined, name = _combine(filters), _name(callback)
        own = combined if self.filter is None or combined is None else self.filter & combined
        spec = HandlerSpec(
            callback, event_types, combined, name, _injected(callback, name, own or self.filter)
        )
        self.entries.append(spec)
        return spec

    # --- decorators -------------------------------------------------------------------------------

    def _decorate(
        self,
        callback: Handler | None,
        event_types: tuple[type[ev.Event], ...],
        filters: list[Filter | None],
    ) -> Any:
        def register(fn: Handler) -> Handler:
            self.add_handler(fn, event_types, *filters)
            return fn

        return register(callback) if callback is not None else register

    @overload
    def on_message(
        self, callback: HandlerOf[MessageContext, P, R], /
    ) -> HandlerOf[MessageContext, P, R]: ...
    @overload
    def on_message(
        self,
        *,
        text: str | Iterable[str] | None = None,
        startswith: str | Iterable[str] | None = None,
        regex: str | re.Pattern[str] | None = None,
        command: str | Iterable[str] | None = None,
        message_type: str | Iterable[str] | None = None,
        scope: ScopeArg = None,
        mentions_bot: bool | None = None,
        user_id: str | Iterable[str] | None = None,
        chat_id: str | Iterable[str] | None = None,
        step: str | Iterable[str] | None = None,
        chat_step: str | Iterable[str] | None = None,
        edits: bool = False,
        filters: Filters = None,
    ) -> Register[MessageContext]: ...
    def on_message(
        self,
        callback: Handler | None = None,
        *,
        text: str | Iterable[str] | None = None,
        startswith: str | Iterable[str] | None = None,
        regex: str | re.Pattern[str] | None = None,
        command: str | Iterable[str] | None = None,
        message_type: str | Iterable[str] | None = None,
        scope: ScopeArg = None,
        mentions_bot: bool | None = None,
        user_id: str | Iterable[str] | None = None,
        chat_id: str | Iterable[str] | None = None,
        step: str | Iterable[str] | None = None,
        chat_step: str | Iterable[str] | None = None,
        edits: bool = False,
        filters: Filters = None,
    ) -> Any:
        """Handle message events; every given filter must pass.

        ``command="who"`` matches ``/who`` and ``!who`` (see ``Bot(command_prefixes=)``)
        and puts the parsed command in ``ctx.command``; ``regex`` puts the match in
        ``ctx.match``. ``step`` matches the sender's conversation step, ``chat_step``
        the chat's (``"*"``: any step). ``edits=True`` also runs the handler for edits of
        messages (``messageEdited``; see :meth:`on_message_edited`).

        Args:
            callback: The handler, when the decorator is used without parentheses.
            text: The whole text equals this (or one of these).
            startswith: The text starts with this (or one of these).
            regex: The text matches this pattern (searched); the match goes in ``ctx.match``.
            command: The command's name (``"who"`` matches ``/who`` and ``!who``; see
                ``Bot(command_prefixes=)``); the parsed command goes in ``ctx.command``.
            message_type: The message's type (``"text"``, ``"image"``, ``"sticker"``...).
            scope: ``"group"``, ``"room"`` or ``"user"`` (or a tuple of them): only events
                from such chats.
            mentions_bot: True: only messages that mention the bot; False: only those
                that do not.
            user_id: Only messages from this user (or these).
            chat_id: Only messages in this group, room or 1:1 chat (or these).
            step: The sender's conversation step in this chat is this (or one of these;
                ``"*"``: any step).
            chat_step: The chat's conversation step is this (or one of these; ``"*"``: any).
            edits: Also run the handler for edits of messages.
            filters: More filters (a :class:`~linegroupbot.filters.Filter`, a predicate
                taking the context, or several), every one of which must pass.

        Returns:
            The handler, used bare; otherwise a decorator that registers the handler and
            returns it.
        """
        found = _message_filters(
            text, startswith, regex, command, message_type, scope, mentions_bot,
            user_id, chat_id, step, chat_step, filters,
        )  # fmt: skip
        kinds = (ev.MessageEvent, ev.MessageEditedEvent) if edits else (ev.MessageEvent,)
        return self._decorate(callback, kinds, found)

    @overload
    def on_message_edited(
        self, callback: HandlerOf[MessageContext, P, R], /
    ) -> HandlerOf[MessageContext, P, R]: ...
    @overload
    def on_message_edited(
        self,
        *,
        text: str | Iterable[str] | None = None,
        startswith: str | Iterable[str] | None = None,
        regex: str | re.Pattern[str] | None = None,
        command: str | Iterable[str] | None = None,
        message_type: str | Iterable[str] | None = None,
        scope: ScopeArg = None,
        mentions_bot: bool | None = None,
        user_id: str | Iterable[str] | None = None,
        chat_id: str | Iterable[str] | None = None,
        step: str | Iterable[str] | None = None,
        chat_step: str | Iterable[str] | None = None,
        filters: Filters = None,
    ) -> Register[MessageContext]: ...
    def on_message_edited(
        self,
        callback: Handler | None = None,
        *,
        text: str | Iterable[str] | None = None,
        startswith: str | Iterable[str] | None = None,
        regex: str | re.Pattern[str] | None = None,
        command: str | Iterable[str] | None = None,
        message_type: str | Iterable[str] | None = None,
        scope: ScopeArg = None,
        mentions_bot: bool | None = None,
        user_id: str | Iterable[str] | None = None,
        chat_id: str | Iterable[str] | None = None,
        step: str | Iterable[str] | None = None,
        chat_step: str | Iterable[str] | None = None,
        filters: Filters = None,
    ) -> Any:
        """Handle edits of text messages (groups only), with the filters of :meth:`on_message`.

        The filters see the message as edited. ``ctx.is_latest_edit`` says whether this is
        the newest edit of that message seen so far; older ones (LINE may deliver edits out
        of order) do not reach handlers unless ``Bot(skip_stale_edits=False)``.

        Args:
            callback: The handler, when the decorator is used without parentheses.
            text: The whole text equals this (or one of these).
            startswith: The text starts with this (or one of these).
            regex: The text matches this pattern (searched); the match goes in ``ctx.match``.
            command: The command's name (``"who"`` matches ``/who`` and ``!who``; see
                ``Bot(command_prefixes=)``); the parsed command goes in ``ctx.command``.
            message_type: The message's type (``"text"``, ``"image"``, ``"sticker"``...).
            scope: ``"group"``, ``"room"`` or ``"user"`` (or a tuple of them): only events
                from such chats.
            mentions_bot: True: only messages that mention the bot; False: only those
                that do not.
            user_id: Only messages from this user (or these).
            chat_id: Only messages in this group, room or 1:1 chat (or these).
            step: The sender's conversation step in this chat is this (or one of these;
                ``"*"``: any step).
            chat_step: The chat's conversation step is this (or one of these; ``"*"``: any).
            filters: More filters (a :class:`~linegroupbot.filters.Filter`, a predicate
                taking the context, or several), every one of which must pass.

        Returns:
            The handler, used bare; otherwise a decorator that registers the handler and
            returns it.
        """
        found = _message_filters(
            text, startswith, regex, command, message_type, scope, mentions_bot,
            user_id, chat_id, step, chat_step, filters,
        )  # fmt: skip
        return self._decorate(callback, (ev.MessageEditedEvent,), found)

    def _simple(
        self,
        event_types: tuple[type[ev.Event], ...],
        callback: Handler | None,
        scope: ScopeArg,
        filters: FilterLike | Iterable[FilterLike] | None,
    ) -> Any:
        found: list[Filter | None] = [Scope(scope) if scope is not None else None, *_extra(filters)]
        return self._decorate(callback, event_types, found)

    @overload
    def on_join(
        self, callback: HandlerOf[JoinContext, P, R], /
    ) -> HandlerOf[JoinContext, P, R]: ...
    @overload
    def on_join(
        self, *, scope: ScopeArg = None, filters: Filters = None
    ) -> Register[JoinContext]: ...
    def on_join(
        self, callback: Handler | None = None, *, scope: ScopeArg = None, filters: Filters = None
    ) -> Any:
        """Handle the bot joining a group (at once) or a room (on the room's next event).

        Args:
            callback: The handler, when the decorator is used without parentheses.
            scope: ``"group"``, ``"room"`` or ``"user"`` (or a tuple of them): only events
                from such chats.
            filters: More filters (a :class:`~linegroupbot.filters.Filter`, a predicate
                taking the context, or several), every one of which must pass.

        Returns:
            The handler, used bare; otherwise a decorator that registers the handler and
            returns it.
        """
        return self._simple((ev.JoinEvent,), callback, scope, filters)

    @overload
    def on_leave(
        self, callback: HandlerOf[LeaveContext, P, R], /
    ) -> HandlerOf[LeaveContext, P, R]: ...
    @overload
    def on_leave(
        self, *, scope: ScopeArg = None, filters: Filters = None
    ) -> Register[LeaveContext]: ...
    def on_leave(
        self, callback: Handler | None = None, *, scope: ScopeArg = None, filters: Filters = None
    ) -> Any:
        """Handle the bot being removed from a group or leaving a room (no reply token).

        Args:
            callback: The handler, when the decorator is used without parentheses.
            scope: ``"group"``, ``"room"`` or ``"user"`` (or a tuple of them): only events
                from such chats.
            filters: More filters (a :class:`~linegroupbot.filters.Filter`, a predicate
                taking the context, or several), every one of which must pass.

        Returns:
            The handler, used bare; otherwise a decorator that registers the handler and
            returns it.
        """
        return self._simple((ev.LeaveEvent,), callback, scope, filters)

    @overload
    def on_member_joined(
        self, callback: HandlerOf[MemberJoinedContext, P, R], /
    ) -> HandlerOf[MemberJoinedContext, P, R]: ...
    @overload
    def on_member_joined(
        self, *, scope: ScopeArg = None, filters: Filters = None
    ) -> Register[MemberJoinedContext]: ...
    def on_member_joined(
        self, callback: Handler | None = None, *, scope: ScopeArg = None, filters: Filters = None
    ) -> Any:
        """Handle members joining a group or room the bot is in.

        Args:
            callback: The handler, when the decorator is used without parentheses.
            scope: ``"group"``, ``"room"`` or ``"user"`` (or a tuple of them): only events
                from such chats.
            filters: More filters (a :class:`~linegroupbot.filters.Filter`, a predicate
                taking the context, or several), every one of which must pass.

        Returns:
            The handler, used bare; otherwise a decorator that registers the handler and
            returns it.
        """
        return self._simple((ev.MemberJoinedEvent,), callback, scope, filters)

    @overload
    def on_member_left(
        self, callback: HandlerOf[MemberLeftContext, P, R], /
    ) -> HandlerOf[MemberLeftContext, P, R]: ...
    @overload
    def on_member_left(
        self, *, scope: ScopeArg = None, filters: Filters = None
    ) -> Register[MemberLeftContext]: ...
    def on_member_left(
        self, callback: Handler | None = None, *, scope: ScopeArg = None, filters: Filters = None
    ) -> Any:
        """Handle members leaving a group or room (no reply token).

        Args:
            callback: The handler, when the decorator is used without parentheses.
            scope: ``"group"``, ``"room"`` or ``"user"`` (or a tuple of them): only events
                from such chats.
            filters: More filters (a :class:`~linegroupbot.filters.Filter`, a predicate
                taking the context, or several), every one of which must pass.

        Returns:
            The handler, used bare; otherwise a decorator that registers the handler and
            returns it.
        """
        return self._simple((ev.MemberLeftEvent,), callback, scope, filters)

    @overload
    def on_follow(
        self, callback: HandlerOf[FollowContext, P, R], /
    ) -> HandlerOf[FollowContext, P, R]: ...
    @overload
    def on_follow(self, *, filters: Filters = None) -> Register[FollowContext]: ...
    def on_follow(self, callback: Handler | None = None, *, filters: Filters = None) -> Any:
        """Handle a user adding the bot as a friend.

        Args:
            callback: The handler, when the decorator is used without parentheses.
            filters: More filters (a :class:`~linegroupbot.filters.Filter`, a predicate
                taking the context, or several), every one of which must pass.

        Returns:
            The handler, used bare; otherwise a decorator that registers the handler and
            returns it.
        """
        return self._simple((ev.FollowEvent,), callback, None, filters)

    @overload
    def on_unfollow(
        self, callback: HandlerOf[UnfollowContext, P, R], /
    ) -> HandlerOf[UnfollowContext, P, R]: ...
    @overload
    def on_unfollow(self, *, filters: Filters = None) -> Register[UnfollowContext]: ...
    def on_unfollow(self, callback: Handler | None = None, *, filters: Filters = None) -> Any:
        """Handle a user blocking the bot.

        Args:
            callback: The handler, when the decorator is used without parentheses.
            filters: More filters (a :class:`~linegroupbot.filters.Filter`, a predicate
                taking the context, or several), every one of which must pass.

        Returns:
            The handler, used bare; otherwise a decorator that registers the handler and
            returns it.
        """
        return self._simple((ev.UnfollowEvent,), callback, None, filters)

    @overload
    def on_unsend(
        self, callback: HandlerOf[EventContext[ev.UnsendEvent], P, R], /
    ) -> HandlerOf[EventContext[ev.UnsendEvent], P, R]: ...
    @overload
    def on_unsend(
        self, *, scope: ScopeArg = None, filters: Filters = None
    ) -> Register[EventContext[ev.UnsendEvent]]: ...
    def on_unsend(
        self, callback: Handler | None = None, *, scope: ScopeArg = None, filters: Filters = None
    ) -> Any:
        """Handle a user unsending a message.

        Args:
            callback: The handler, when the decorator is used without parentheses.
            scope: ``"group"``, ``"room"`` or ``"user"`` (or a tuple of them): only events
                from such chats.
            filters: More filters (a :class:`~linegroupbot.filters.Filter`, a predicate
                taking the context, or several), every one of which must pass.

        Returns:
            The handler, used bare; otherwise a decorator that registers the handler and
            returns it.
        """
        return self._simple((ev.UnsendEvent,), callback, scope, filters)

    @overload
    def on_postback(
        self, callback: HandlerOf[PostbackContext, P, R], /
    ) -> HandlerOf[PostbackContext, P, R]: ...
    @overload
    def on_postback(
        self,
        *,
        data: str | None = None,
        data_prefix: str | None = None,
        scope: ScopeArg = None,
        step: str | Iterable[str] | None = None,
        chat_step: str | Iterable[str] | None = None,
        filters: Filters = None,
    ) -> Register[PostbackContext]: ...
    def on_postback(
        self,
        callback: Handler | None = None,
        *,
        data: str | None = None,
        data_prefix: str | None = None,
        scope: ScopeArg = None,
        step: str | Iterable[str] | None = None,
        chat_step: str | Iterable[str] | None = None,
        filters: Filters = None,
    ) -> Any:
        """Handle postback taps (a button, quick reply or picker with a postback action).

        Args:
            callback: The handler, when the decorator is used without parentheses.
            data: The postback data equals this.
            data_prefix: The postback data starts with this.
            scope: ``"group"``, ``"room"`` or ``"user"`` (or a tuple of them): only events
                from such chats.
            step: The sender's conversation step is this (or one of these; ``"*"``: any).
            chat_step: The chat's conversation step is this (or one of these; ``"*"``: any).
            filters: More filters (a :class:`~linegroupbot.filters.Filter`, a predicate
                taking the context, or several), every one of which must pass.

        Returns:
            The handler, used bare; otherwise a decorator that registers the handler and
            returns it.
        """
        found: list[Filter | None] = [
            Scope(scope) if scope is not None else None,
            PostbackData(data, data_prefix)
            if data is not None or data_prefix is not None
            else None,
            *_steps(step, chat_step),
            *_extra(filters),
        ]
        return self._decorate(callback, (ev.PostbackEvent,), found)

    @overload
    def on_event(
        self, event_type: type[EV], /, *, scope: ScopeArg = None, filters: Filters = None
    ) -> Register[EventContext[EV]]: ...
    @overload
    def on_event(
        self, *event_types: type[ev.Event], scope: ScopeArg = None, filters: Filters = None
    ) -> Register[Context]: ...
    def on_event(
        self,
        *event_types: type[ev.Event],
        scope: ScopeArg = None,
        filters: Filters = None,
    ) -> Any:
        """Handle events of the given classes (``events.Event`` for all of them).

        Args:
            *event_types: The event classes (at least one), including ones a plugin
                registered (:func:`~linegroupbot.convert.register_event`).
            scope: ``"group"``, ``"room"`` or ``"user"`` (or a tuple of them): only events
                from such chats.
            filters: More filters (a :class:`~linegroupbot.filters.Filter`, a predicate
                taking the context, or several), every one of which must pass.

        Returns:
            A decorator that registers the handler and returns it.

        Raises:
            TypeError: No event class is given, or something that is not one.
        """
        if not event_types:
            raise TypeError("on_event needs at least one event class, e.g. on_event(BeaconEvent)")
        for event_type in event_types:
            if not (isinstance(event_type, type) and issubclass(event_type, ev.Event)):
                raise TypeError(
                    f"on_event takes event classes, not {event_type!r}: write "
                    "@bot.on_event(events.Event) for every event, or name the classes"
                )
        return self._simple(tuple(event_types), None, scope, filters)

    @overload
    def on_unknown(
        self, callback: HandlerOf[EventContext[ev.UnknownEvent], P, R], /
    ) -> HandlerOf[EventContext[ev.UnknownEvent], P, R]: ...
    @overload
    def on_unknown(self, *, filters: Filters = None) -> Register[EventContext[ev.UnknownEvent]]: ...
    def on_unknown(self, callback: Handler | None = None, *, filters: Filters = None) -> Any:
        """Handle event types this version of linegroupbot does not know (``UnknownEvent``).

        Args:
            callback: The handler, when the decorator is used without parentheses.
            filters: More filters (a :class:`~linegroupbot.filters.Filter`, a predicate
                taking the context, or several), every one of which must pass.

        Returns:
            The handler, used bare; otherwise a decorator that registers the handler and
            returns it.
        """
        return self._simple((ev.UnknownEvent,), callback, None, filters)

    # --- dispatch ---------------------------------------------------------------------------------

    async def dispatch(self, ctx: Context) -> bool:
        """Offer the event to this router's entries, in order, through its middleware.

        An exception a handler raises goes to the first matching ``on_error`` handler of
        this router, else up to the caller.

        Args:
            ctx: The event's context.

        Returns:
            Whether a handler handled the event.
        """
        own = self.filter
        if own is not None:
            known, test = self._filter_test
            if known is not own:
                test = sync_test(own)
                self._filter_test = (own, test)
            passed = test(ctx) if test is not None else await own.check(ctx)
            if not passed:
                ctx.command = ctx.match = None  # what a failed chain found belongs to nobody
                return False
        try:
            if not self.middleware:
                return await self._dispatch_entries(ctx)
            return await run_middleware(self.middleware, ctx, self._dispatch_entries)
        except SkipHandler:
            return False
        except Exception as error:
            handler = self._error_handler(error)
            if handler is None:
                raise
            await handler(ctx, error)
            return True

    def _error_handler(self, error: BaseException) -> ErrorHandler | None:
        for kind, handler in self.error_handlers:
            if isinstance(error, kind):
                return handler
        return None

    def _entries_for(self, kind: type[ev.Event]) -> _Candidates:
        """The entries, in order, that may take an event of class ``kind``: the handlers
        registered for it (or a base of it) and every included router. Rebuilt when
        entries were added since."""
        index = self._index
        if self._indexed != len(self.entries):
            index.clear()
            self._indexed = len(self.entries)
        found = index.get(kind)
        if found is None:
            found = index[kind] = _Candidates(
                tuple(
                    entry
                    for entry in self.entries
                    if isinstance(entry, Router) or issubclass(kind, entry.event_types)
                )
            )
        return found

    async def _dispatch_entries(self, ctx: Context) -> bool:
        # What filters find (ctx.command, ctx.match) reaches only the handler that wins: a
        # chain that fails, or a handler that skips, leaves them as they were before it.
        found = (ctx.command, ctx.match)
        candidates = self._entries_for(type(ctx.event))
        entries = candidates.entries
        if candidates.by_command is not None:  # skip other commands' handlers unrun
            command = ctx.parsed_command(ctx.command_prefixes)
            if command is None:
                entries = candidates.uncommanded
            else:
                entries = candidates.by_command.get(command.name, candidates.uncommanded)
        for entry in entries:
            if isinstance(entry, Router):
                if await entry.dispatch(ctx):
                    return True
                ctx.command, ctx.match = found
                continue
            test = entry.test
            if test is not None:
                if not test(ctx):
                    ctx.command, ctx.match = found
                    continue
            elif entry.filter is not None and not await entry.filter.check(ctx):
                ctx.command, ctx.match = found
                continue
            arguments = _arguments(ctx, entry.injected) if entry.injected else None
            if entry.injected and arguments is None:  # the event lacks what it requires
                ctx.command, ctx.match = found
                continue
            ctx.handler_name = entry.name
            enter_handler(entry.callback, entry.name)
            try:
                if arguments:
                    await entry.callback(ctx, **arguments)
                else:
                    await entry.callback(ctx)
            except SkipHandler:
                ctx.handler_name = None
                ctx.command, ctx.match = found
                continue
            return True
        return False


class _Candidates:
    """The entries that may take one event class, in order, and the same indexed by command.

    ``by_command`` maps each command name some handler's filter requires (see
    :func:`~linegroupbot.filters.required_commands`) to the entries that may take an event
    with that command: those requiring it and those requiring none. ``uncommanded`` are
    the latter only (for an event without a command, or with another one). ``by_command``
    is ``None`` when no entry requires a command.
    """

    __slots__ = ("by_command", "entries", "uncommanded")

    def __init__(self, entries: tuple[HandlerSpec | Router, ...]) -> None:
        self.entries = entries
        names: set[str] = set()
        for entry in entries:
            if isinstance(entry, HandlerSpec) and entry.commands is not None:
                names |= entry.commands
        self.by_command: dict[str, tuple[HandlerSpec | Router, ...]] | None = None
        self.uncommanded = entries
        if names:
            self.uncommanded = tuple(e for e in entries if _commands_of(e) is None)
            self.by_command = {
                name: tuple(e for e in entries if name in (_commands_of(e) or (name,)))
                for name in names
            }


def _commands_of(entry: HandlerSpec | Router) -> frozenset[str] | None:
    return entry.commands if isinstance(entry, HandlerSpec) else None
