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
from contextvars import ContextVar, Token
from typing import Any, TypeVar

from . import _deadlines

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
    """The time budget of one event's handling (see the module docs), and its cancel scope.

    Made in the task that handles the event, it is that task's current budget (what
    :func:`enter_handler` tells of the chosen handler) until :meth:`close`, which the same
    task calls when the handling ends. A budget of more than ``_deadlines.WATCH_AFTER``
    seconds arms nothing of its own: the event loop's
    :class:`~linegroupbot._deadlines.Deadlines` expires it; a shorter one gets a timer.
    When it expires the task is cancelled, as ``asyncio.timeout`` does.
    """

    __slots__ = (
        "_cancelling",
        "_task",
        "_timer",
        "_token",
        "_watch",
        "expired",
        "handler",
        "seconds",
    )

    def __init__(self, seconds: float | None) -> None:
        loop = asyncio.get_running_loop()  # once: current_task() would look it up again
        task = asyncio.current_task(loop)
        if task is None:
            raise RuntimeError("a handler budget is made inside the task that handles the event")
        self._task: asyncio.Task[Any] | None = task
        self._cancelling = task.cancelling()
        self.seconds = seconds
        self.handler: str | None = None
        self.expired = False
        self._timer: asyncio.TimerHandle | None = None
        self._watch: _deadlines.Deadlines | None = None  # who watches this budget, if anyone
        if seconds is not None:
            self._arm(loop, seconds)
        self._token: Token[Budget | None] | None = _current.set(self)

    def _arm(self, loop: asyncio.AbstractEventLoop, seconds: float) -> None:
        if seconds > _deadlines.WATCH_AFTER:
            self._watch = _deadlines.watch(loop, self)
        else:
            self._timer = loop.call_later(seconds, self.expire)

    def _disarm(self) -> None:
        self._watch = None  # the watcher forgets it at its next look
        timer = self._timer
        if timer is not None:
            timer.cancel()
            self._timer = None

    def enter(self, callback: Callable[..., Any], name: str) -> None:
        """The handler ``callback`` was chosen: its own budget, if any, applies from now."""
        self.handler = name
        seconds = timeout_of(callback)
        if seconds is _UNSET:
            return
        self.seconds = seconds
        task = self._task
        if not self.expired and task is not None:
            self._disarm()
            if seconds is not None:
                self._arm(task.get_loop(), seconds)

    def expire(self) -> None:
        """Time is up: cancel the task (unless the handling has ended already)."""
        if self.expired or self._task is None:
            return
        self.expired = True
        self._timer = None
        self._watch = None  # the watcher let go of it
        self._task.cancel()

    def close(self, error: BaseException | None = None) -> None:
        """The handling ended (``error``: with that exception): disarm, and stop being the
        task's current budget. If this budget expired and no other cancellation was asked
        for since, the ``CancelledError`` on its way is this budget's: raise
        ``TimeoutError`` from it, as ``asyncio.timeout`` does."""
        task, self._task = self._task, None
        self._disarm()
        token, self._token = self._token, None
        if token is not None:
            _current.reset(token)
        if not self.expired or task is None:
            return
        if task.uncancel() <= self._cancelling and isinstance(error, asyncio.CancelledError):
            raise TimeoutError from error


_current: ContextVar[Budget | None] = ContextVar("linegroupbot_budget", default=None)


def current_budget() -> Budget | None:
    """The budget of the event being handled in this task, if any."""
    return _current.get()


def enter_handler(callback: Callable[..., Any], name: str) -> None:
    """Tell the event's budget (if any) which handler was chosen (routing calls this)."""
    budget = _current.get()
    if budget is not None:
        budget.handler = name
        if getattr(callback, _ATTRIBUTE, _UNSET) is not _UNSET:  # its own budget
            budget.enter(callback, name)
