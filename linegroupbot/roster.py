"""Rosters: who is in each group and room, kept in the bot's store.

The framework learns members from events (``join`` starts an empty roster, ``memberJoined``
adds, ``memberLeft`` removes, ``leave`` forgets the chat, and every event's ``userId`` adds
its sender) and from profile lookups (display names). ``ctx.roster`` reads it. Accounts
allowed to list member IDs (verified or premium ones) can :meth:`Roster.refresh` it from
LINE; others get a clear answer that it holds what events showed. Members who have not
agreed to the Official Account terms have no ``userId``: they are counted (from LINE's
member count), not named.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

import attrs

from .errors import ForbiddenError, UnsupportedInScopeError
from .state import State, Value
from .stores.protocol import Store

if TYPE_CHECKING:
    from .client import LineClient

__all__ = ["Headcount", "RefreshResult", "Roster", "RosterMember"]

_SLOT = "__roster__"


@attrs.frozen
class RosterMember:
    """A member the bot knows of: their user ID and, once looked up, their display name.

    Attributes:
        user_id: The member's user ID.
        display_name: Their display name (``None`` until looked up).
    """

    user_id: str
    display_name: str | None = None


@attrs.frozen
class Headcount:
    """How many members a chat has (LINE's count) and how many of them the roster names.

    Attributes:
        total: LINE's member count (the bot not counted).
        known: How many members the roster lists.
    """

    total: int
    known: int

    @property
    def anonymous(self) -> int:
        """Members the bot cannot identify (no ``userId``: they did not agree to the terms)."""
        return max(0, self.total - self.known)


@attrs.frozen
class RefreshResult:
    """What :meth:`Roster.refresh` did; ``complete`` is false when LINE refused the list.

    Attributes:
        complete: Whether the roster is now LINE's whole member list.
        added: Members added.
        removed: Members dropped (no longer in the chat).
        reason: Why the list is incomplete, when it is.
    """

    complete: bool
    added: int = 0
    removed: int = 0
    reason: str | None = None


class Roster:
    """The members of one group or room (see the module docs); handlers use ``ctx.roster``.

    Args:
        store: The store the roster lives in.
        client: The client for LINE's member list and profiles.
        chat_id: The group or room.
        scope: ``"group"`` or ``"room"``.

    Raises:
        UnsupportedInScopeError: ``scope`` is neither (1:1 chats have no roster).
    """

    __slots__ = ("_value", "chat_id", "client", "scope")

    def __init__(self, store: Store, client: LineClient, chat_id: str, scope: str) -> None:
        if scope not in ("group", "room"):
            raise UnsupportedInScopeError(
                f"rosters are kept for groups and rooms; this is a {scope} chat"
            )
        self.client = client
        self.chat_id = chat_id
        self.scope = scope
        self._value = Value(State(store, chat_id), _SLOT)

    def __repr__(self) -> str:
        return f"Roster({self.scope} {self.chat_id})"

    async def _load(self) -> dict[str, str | None]:
        data = await self._value.get()
        return dict(data) if isinstance(data, dict) else {}

    async def members(self) -> list[RosterMember]:
        """The members known so far, by display name (unnamed ones last)."""
        known = await self._load()
        found = [RosterMember(uid, name) for uid, name in known.items()]
        return sorted(
            found, key=lambda m: (m.display_name is None, m.display_name or "", m.user_id)
        )

    async def __contains__(self, user_id: object) -> bool:  # pragma: no cover - use is_member
        raise TypeError("use `await roster.is_member(user_id)`")

    async def is_member(self, user_id: str) -> bool:
        """Whether the roster lists ``user_id``."""
        return user_id in await self._load()

    async def headcount(self) -> Headcount:
        """LINE's member count next to the number of members the roster knows."""
        if self.scope == "group":
            total = await self.client.group_member_count(self.chat_id)
        else:
            total = await self.client.room_member_count(self.chat_id)
        return Headcount(total=total, known=len(await self._load()))

    async def refresh(self) -> RefreshResult:
        """Replace the roster with LINE's member list (verified or premium accounts only).

        Without that permission LINE answers 403: the roster then keeps what events showed
        and the result says so (``complete=False`` and the reason).
        """
        pages = (
            self.client.group_member_ids(self.chat_id)
            if self.scope == "group"
            else self.client.room_member_ids(self.chat_id)
        )
        try:
            listed = {user_id async for user_id in pages}
        except ForbiddenError:
            return RefreshResult(
                complete=False,
                reason=(
                    "LINE lets only verified or premium accounts list member IDs: the roster "
                    "holds the members seen in events (joins, leaves, messages)"
                ),
            )
        before = await self._load()

        def replace(current: dict[str, str | None] | None) -> dict[str, str | None]:
            names = current or {}
            return {user_id: names.get(user_id) for user_id in listed}

        await self._value.update(replace, default={})
        return RefreshResult(
            complete=True,
            added=len(listed - before.keys()),
            removed=len(before.keys() - listed),
        )

    async def fill_names(self, *, limit: int | None = None) -> int:
        """Look up the display names the roster lacks (one profile call each).

        Args:
            limit: At most this many lookups; ``None``: all of them.

        Returns:
            How many names were filled in.
        """
        missing = [uid for uid, name in (await self._load()).items() if name is None]
        filled = 0
        for user_id in missing[:limit]:
            if self.scope == "group":
                profile = await self.client.group_member_profile(self.chat_id, user_id)
            else:
                profile = await self.client.room_member_profile(self.chat_id, user_id)
            await self.add({user_id: profile.display_name})
            filled += 1
        return filled

    # --- bookkeeping (the framework calls these from events) ---

    async def add(self, members: Mapping[str, str | None]) -> None:
        """Add or rename ``members``: display names by user ID (a ``None`` name keeps the one
        known)."""

        def merge(current: dict[str, str | None] | None) -> dict[str, str | None]:
            merged = dict(current or {})
            for user_id, name in members.items():
                merged[user_id] = name if name is not None else merged.get(user_id)
            return merged

        await self._value.update(merge, default={})

    async def remove(self, user_ids: Collection[str]) -> None:
        """Drop the members who left, by ``user_ids``."""

        def drop(current: dict[str, str | None] | None) -> dict[str, str | None]:
            return {k: v for k, v in (current or {}).items() if k not in user_ids}

        await self._value.update(drop, default={})

    async def reset(self) -> None:
        """Forget every member (the bot joined anew)."""
        await self._value.delete()
