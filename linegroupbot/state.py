"""Conversation state: values kept per chat or per member in a chat, in the bot's store.

``ctx.chat_state`` is the chat's state and ``ctx.member_state`` the sending member's in
this chat. A state holds named values (``ctx.chat_state["poll"]``) of any type the
project's converter knows (attrs classes, lists, dicts, numbers, strings), each with an
optional time to live, and one *step* (a conversation step, as in a small state machine)
that handlers can filter on: ``@bot.on_message(step="awaiting_answer")``.

Updates are atomic: :meth:`Value.update` reads, applies your function and writes back
only if nobody wrote in between (else it reads again). One chat's events are handled one
at a time, but other writers exist (member state written from several chats, scheduled
jobs, a stalled worker overlapping the one that took over): none of them loses an update.
"""

from __future__ import annotations

import asyncio
import inspect
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

import orjson

from .convert import converter
from .errors import StateConflictError
from .stores.protocol import ANY_VERSION, Store

__all__ = ["State", "StateConflictError", "Value"]

T = TypeVar("T")

_STEP = "__step__"


def _encode(value: Any) -> bytes:
    return orjson.dumps(converter.unstructure(value))


def _decode(raw: bytes, kind: Any) -> Any:
    data = orjson.loads(raw)
    return data if kind is None else converter.structure(data, kind)


class Value:
    """One named value of a chat's or member's state: ``state[name]``.

    Args:
        state: The chat's or member's state.
        name: The value's name.
    """

    __slots__ = ("_key", "_state", "name")

    def __init__(self, state: State, name: str) -> None:
        self._state = state
        self.name = name
        self._key = f"{state.key}:{name}"

    def __repr__(self) -> str:
        return f"Value({self._key!r})"

    @overload
    async def get(self, type: type[T], default: T | None = None) -> T | None: ...
    @overload
    async def get(self, type: None = None, default: Any = None) -> Any: ...
    async def get(self, type: Any = None, default: Any = None) -> Any:
        """The value, or ``default`` if unset or expired.

        Args:
            type: What to structure the stored JSON as (an attrs class, ``list[int]``...);
                ``None``: plain JSON values.
            default: What to return when there is no value.
        """
        found = await self._state.store.state_get(self._key)
        return default if found is None else _decode(found[0], type)

    async def set(self, value: Any, *, ttl: float | None = None) -> None:
        """Replace the value with ``value`` (JSON, or attrs objects).

        ``ttl`` seconds later it is gone (``None``: kept until deleted).
        """
        await self._put(_encode(value), ANY_VERSION, ttl)

    async def delete(self) -> None:
        """Forget the value."""
        await self._put(None, ANY_VERSION, None)

    async def update(
        self,
        change: Callable[[Any], Any] | Callable[[Any], Awaitable[Any]],
        *,
        type: Any = None,
        default: Any = None,
        ttl: float | None = None,
        attempts: int = 100,
    ) -> Any:
        """Apply ``change(current)`` atomically and return the new value.

        ``current`` is the stored value (structured as ``type``) or ``default``; returning
        ``None`` deletes the value. When another writer changed the value in between,
        ``change`` runs again on the fresh value, so it must only compute (no side
        effects); raise to give up without writing. ``ttl`` applies to what this call
        writes (a write without ``ttl`` keeps the value for good).

        Raises:
            StateConflictError: ``attempts`` races in a row were lost (nothing was written).
        """
        store = self._state.store
        for attempt in range(attempts):
            found = await store.state_get(self._key)
            current = default if found is None else _decode(found[0], type)
            new = change(current)
            if inspect.isawaitable(new):
                new = await new
            encoded = None if new is None else _encode(new)
            if await self._put(encoded, 0 if found is None else found[1], ttl):
                return new
            await asyncio.sleep(random.uniform(0, 0.002 * min(attempt + 1, 10)))
        raise StateConflictError(
            f"{self._key}: {attempts} concurrent writes in a row won; the update was not applied"
        )

    async def _put(self, value: bytes | None, expected: int, ttl: float | None) -> int:
        state = self._state
        return await state.store.state_put(
            self._key, value, chat=state.chat_id, member=state.user_id, expected=expected, ttl=ttl
        )


class State:
    """The state of a chat, or of one member in a chat (``user_id``).

    ``state["poll"]`` is a named :class:`Value`; ``await state.get()``/``set()``/
    ``update()`` use the value named ``"data"``. The step (``await state.step()``) is
    what conversation-step filters match. Handlers get theirs as ``ctx.chat_state`` and
    ``ctx.member_state``.

    Args:
        store: The store the values live in.
        chat_id: The group, room or user chat.
        user_id: The member, for a member's state; ``None``: the chat's.
    """

    __slots__ = ("chat_id", "key", "store", "user_id")

    def __init__(self, store: Store, chat_id: str, user_id: str | None = None) -> None:
        self.store = store
        self.chat_id = chat_id
        self.user_id = user_id
        self.key = f"chat:{chat_id}" if user_id is None else f"member:{chat_id}:{user_id}"

    def __repr__(self) -> str:
        return f"State({self.key!r})"

    def __getitem__(self, name: str) -> Value:
        if not name or name == _STEP:
            raise KeyError(f"{name!r} is not a usable value name")
        return Value(self, name)

    async def get(self, type: Any = None, default: Any = None) -> Any:
        """The ``"data"`` value, structured as ``type``, or ``default`` (see :meth:`Value.get`)."""
        return await self["data"].get(type, default)

    async def set(self, value: Any, *, ttl: float | None = None) -> None:
        """Replace the ``"data"`` value with ``value``, for ``ttl`` seconds (see
        :meth:`Value.set`)."""
        await self["data"].set(value, ttl=ttl)

    async def update(self, change: Callable[[Any], Any], **options: Any) -> Any:
        """Update the ``"data"`` value atomically with ``change``; ``**options`` are those of
        :meth:`Value.update`."""
        return await self["data"].update(change, **options)

    # --- conversation steps ---

    async def step(self) -> str | None:
        """The current step, or ``None`` (never set, cleared, or timed out)."""
        found = await self.store.state_get(f"{self.key}:{_STEP}")
        return None if found is None else str(orjson.loads(found[0]))

    async def set_step(self, step: str, *, timeout: float | None = None) -> None:
        """Move to ``step``; after ``timeout`` seconds it clears itself (a stale question)."""
        await self.store.state_put(
            f"{self.key}:{_STEP}",
            orjson.dumps(step),
            chat=self.chat_id,
            member=self.user_id,
            ttl=timeout,
        )

    async def clear_step(self) -> None:
        """Leave the conversation step."""
        await self.store.state_put(
            f"{self.key}:{_STEP}", None, chat=self.chat_id, member=self.user_id
        )

    async def clear(self) -> None:
        """Forget everything of this state (a chat's includes its members')."""
        await self.store.state_clear(self.chat_id, self.user_id)
