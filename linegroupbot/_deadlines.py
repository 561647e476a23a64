"""Long handler budgets expired by one timer a second instead of one timer per event.

``asyncio.timeout(60)`` puts a timer in the event loop's heap for every event and takes
it out again when the handler returns, which is a large share of handling a short event.
A budget longer than :data:`WATCH_AFTER` seconds is instead watched here: while any is
watched, one timer runs every :data:`PERIOD` seconds and expires, at once, the budgets
whose deadline has passed. Watching a budget only appends it to a list, and a budget
that ends only says so (most end long before anyone looks): each look gives the budgets
watched since the last one their deadline (counted from that look, so never early) and
forgets the ones that ended. Such a budget ends up to two periods (a second) late, which
is nothing against budgets of seconds. Shorter budgets keep their own timers.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

__all__ = ["PERIOD", "WATCH_AFTER", "Deadlines", "deadlines", "watch"]

WATCH_AFTER = 2.0
"""Budgets of more seconds than this are watched (shorter ones get their own timer)."""
PERIOD = 0.5
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


def watch(loop: asyncio.AbstractEventLoop, budget: Any) -> Deadlines:
    """:meth:`Deadlines.watch` on ``loop``'s deadlines, which it returns."""
    found = _last
    if found is None or found._loop is not loop:
        found = deadlines(loop)
    found.watch(budget)
    return found


class Deadlines:
    """The watched budgets of one event loop.

    A budget is watched while its ``_watch`` is these deadlines: it expires (``expire()``)
    once ``seconds`` (its attribute) have passed; it stops being watched by setting its
    ``_watch`` to anything else (when its handling ends, or a handler brings a budget of
    its own).
    """

    __slots__ = ("_items", "_loop", "_new", "_timer")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._items: dict[Any, float] = {}  # budget -> its deadline on the loop's clock
        self._new: list[Any] = []  # budgets watched since the last look
        self._loop = loop
        self._timer: asyncio.TimerHandle | None = None

    def __len__(self) -> int:
        """How many budgets are watched now."""
        return len({b for b in (*self._new, *self._items) if b._watch is self})

    def watch(self, budget: Any) -> None:
        """Watch ``budget`` (whose ``_watch`` is, or is about to be, these deadlines)."""
        self._new.append(budget)
        if self._timer is None:
            self._timer = self._loop.call_later(PERIOD, self._sweep)

    def _sweep(self) -> None:
        self._timer = None
        now = self._loop.time()
        items = self._items
        new, self._new = self._new, []
        for budget in new:
            if budget._watch is self:  # still running: its time counts from now
                items[budget] = now + budget.seconds
        for budget, deadline in list(items.items()):
            if budget._watch is not self:
                del items[budget]  # ended, or re-armed elsewhere
            elif now >= deadline:
                del items[budget]
                budget.expire()  # the task is cancelled
        if items or self._new:
            self._timer = self._loop.call_later(PERIOD, self._sweep)
