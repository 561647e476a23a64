"""Time budgets for handlers: a handler that never returns must not stall its chat.

Every event is handled within ``Bot(handler_timeout=)`` seconds (60 by default): the
budget covers the middleware and the handler that wins. A handler can carry its own
budget with :func:`handler_timeout`; it replaces the bot's from the moment that handler
is chosen. When the budget runs out the handler is cancelled, ``handler_timed_out`` is
logged, and :class:`~linegroupbot.errors.HandlerTimeoutError` ends the event (it is
dead-lettered, not retried), so the chat's next events run.

A handler that blocks the event loop (``time.sleep``, CPU-bound work) cannot be
cancelled: run such work in a thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

__all__ = ["DEFAULT_HANDLER_TIMEOUT", "handler_timeout", "timeout_of"]

DEFAULT_HANDLER_TIMEOUT = 60.0
"""Seconds an event's handling may take unless the bot or the handler says otherwise."""

_ATTRIBUTE = "__linegroupbot_timeout__"
_UNSET: Any = object()

F = TypeVar("F", bound=Callable[..., Any])


def handler_timeout(seconds: float | None) -> Callable[[F], F]:
    """Give one handler its own time budget in seconds (``None``: no limit).

    Put it under the routing decorator::

        @bot.on_message(command="report")
        @handler_timeout(300)
        async def report(ctx: Context) -> None: ...

    Args:
        seconds: The budget, a positive number of seconds, or ``None`` for no limit.

    Raises:
        ValueError: ``seconds`` is not positive.
    """
    if seconds is not None and not seconds > 0:
        raise ValueError(f"handler_timeout takes a positive number of seconds or None: {seconds}")

    def mark(callback: F) -> F:
        setattr(callback, _ATTRIBUTE, seconds)
        return callback

    return mark


def timeout_of(callback: Callable[..., Any]) -> Any:
    """The budget :func:`handler_timeout` gave ``callback``, or an unset marker."""
    return getattr(callback, _ATTRIBUTE, _UNSET)


class Budget:
    """The time budget of one event's handling (see the module docs)."""

    __slots__ = ("expired", "handler", "scope", "seconds")

    def __init__(self, scope: asyncio.Timeout, seconds: float | None) -> None:
        self.scope = scope
        self.seconds = seconds
        self.handler: str | None = None
        self.expired = False

    def enter(self, callback: Callable[..., Any], name: str) -> None:
        """The handler ``callback`` was chosen: its own budget, if any, applies from now."""
        self.handler = name
        seconds = timeout_of(callback)
        if seconds is _UNSET:
            return
        self.seconds = seconds
        when = None if seconds is None else asyncio.get_running_loop().time() + seconds
        self.scope.reschedule(when)


_current: ContextVar[Budget | None] = ContextVar("linegroupbot_budget", default=None)


def current_budget() -> Budget | None:
    """The budget of the event being handled in this task, if any."""
    return _current.get()


def enter_handler(callback: Callable[..., Any], name: str) -> None:
    """Tell the event's budget (if any) which handler was chosen (routing calls this)."""
    budget = _current.get()
    if budget is not None:
        budget.enter(callback, name)


def set_budget(budget: Budget | None) -> Any:
    """Make ``budget`` current in this task; returns a token for :func:`reset_budget`."""
    return _current.set(budget)


def reset_budget(token: Any) -> None:
    """Undo :func:`set_budget`."""
    _current.reset(token)
