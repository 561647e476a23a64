"""Middleware: ``async def mw(ctx, call_next)`` runs around dispatch.

A middleware may act before and after ``await call_next(ctx)``, change ``ctx.data``,
catch exceptions raised by handlers, or short-circuit by not calling ``call_next``
(the event then counts as handled). Middleware registered on the bot runs around every
event in registration order (first registered is outermost); middleware on a router
runs around that router's handlers whenever an event enters the router.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from .context import Context

__all__ = ["BaseMiddleware", "CallNext", "Middleware", "run_middleware"]

CallNext: TypeAlias = "Callable[[Context], Awaitable[bool]]"
"""What a middleware calls to go on; it returns whether a handler handled the event."""

Middleware: TypeAlias = "Callable[[Context, CallNext], Awaitable[bool | None]]"
"""``async def mw(ctx, call_next) -> bool | None``; ``None`` counts as handled."""


class BaseMiddleware(abc.ABC):
    """A middleware with state of its own: subclass it, implement ``__call__``, and pass an
    instance to ``bot.add_middleware()``."""

    @abc.abstractmethod
    async def __call__(self, ctx: Context, call_next: CallNext) -> bool | None:
        """Act around ``await call_next(ctx)`` and return what it returned."""


async def run_middleware(chain: Sequence[Middleware], ctx: Context, endpoint: CallNext) -> bool:
    """Run ``endpoint`` wrapped by ``chain`` (first element outermost).

    Args:
        chain: The middleware, outermost first.
        ctx: The event's context, passed down the chain.
        endpoint: What the innermost middleware's ``call_next`` runs (the dispatch).

    Returns:
        Whether the event was handled (a middleware that returns ``None`` counts as
        handled).
    """
    if not chain:
        return await endpoint(ctx)

    async def step(index: int, ctx: Context) -> bool:
        if index == len(chain):
            return await endpoint(ctx)
        result = await chain[index](ctx, lambda c: step(index + 1, c))
        return True if result is None else bool(result)

    return await step(0, ctx)
