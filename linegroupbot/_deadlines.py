"""Long handler budgets expired by one timer a second instead of one timer per event.

``asyncio.timeout(60)`` puts a timer in the event loop's heap for every event and takes
it out again when the handler returns, which is a large share of handling a short event.
A budget longer than :data:`WATCH_AFTER` seconds is instead watched here: while any is
watched, one timer runs every :data:`PERIOD` seconds and expires, at once, the budgets
whose deadline has passed. Such a budget ends up to :data:`PERIOD` late, which is
nothing against budgets of seconds. Shorter budgets keep their own timers.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

__all__ = ["PERIOD", "WATCH_AFTER", "Deadlines", "deadlines", "watch"]

WATCH_AFTER = 2.0
"""Budgets of more seconds than this are watched (shorter ones get their own timer)."""
PERIOD = 1.0
"""Seconds between two looks at the watched budgets."""


_per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Deadlines] = (
    weakref.WeakKeyDictionary()
)


_last: Deadlines | None = None  # the last loop's, found without the weak dictionary


def deadlines(loop: asyncio.AbstractEventLoop | None = None) -> Deadlines:
    """The watched budgets of ``loop`` (default: the running event loop)."""
    global _last
    if loop is None:
        loop = asyncio.get_running_loop()
    last = _last
    if last is not None and last._loop is loop:
        return last
    found = _per_loop.get(loop)
    if found is None:
        found = _per_loop[loop] = Deadlines(loop)
    _last = found
    return found


def watch(loop: asyncio.AbstractEventLoop, budget: Any, seconds: float) -> Deadlines:
    """:meth:`Deadlines.watch` on ``loop``'s deadlines, which it returns (to unwatch with)."""
    found = _last
    if found is None or found._loop is not loop:
        found = deadlines(loop)
    found._items[budget] = loop.time() + seconds
    if found._timer is None:
        found._timer = loop.call_later(PERIOD, found._sweep)
    return found


class Deadlines:
    """The watched budgets of one event loop."""

    __slots__ = ("_items", "_loop", "_timer")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._items: dict[Any, float] = {}  # budget -> its deadline on the loop's clock
        self._loop = loop
        self._timer: asyncio.TimerHandle | None = None

    def __len__(self) -> int:
        return len(self._items)

    def watch(self, budget: Any, seconds: float) -> None:
        """Call ``budget.expire()`` after ``seconds`` unless :meth:`unwatch` is called first.

        ``budget`` is the event's :class:`~linegroupbot.timeouts.Budget`; it unwatches
        itself when the handling ends or the chosen handler brings its own budget.
        """
        loop = self._loop
        self._items[budget] = loop.time() + seconds
        if self._timer is None:
            self._timer = loop.call_later(PERIOD, self._sweep)

    def unwatch(self, budget: Any) -> None:
        """The handling ended: forget its deadline."""
        self._items.pop(budget, None)

    def _sweep(self) -> None:
        self._timer = None
        loop = self._loop
        now = loop.time()
        for budget, deadline in list(self._items.items()):
            if now < deadline:
                continue
            del self._items[budget]
            budget.expire()  # the task is cancelled
        if self._items:
            self._timer = loop.call_later(PERIOD, self._sweep)
