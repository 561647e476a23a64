"""pytest plugin (entry point ``pytest11``): fixtures for testing bots against the emulator.

- ``line_emulator``: an :class:`~linegroupbot.emulator.Emulator` serving on loopback.
- ``line``: an emulator wired to the bot your ``bot`` fixture returns, both running.

Needs ``pytest-asyncio`` (in linegroupbot's ``test`` extra); without it no fixtures
are defined and pytest runs as usual.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - fixtures need pytest-asyncio
    pytest_asyncio = None  # type: ignore[assignment]

if pytest_asyncio is not None:
    from ..bot import Bot
    from ..emulator import Emulator
    from .harness import connect

    @pytest_asyncio.fixture
    async def line_emulator() -> AsyncIterator[Emulator]:
        """An emulator of the LINE platform serving on 127.0.0.1 (no bot attached)."""
        async with Emulator() as emulator:
            yield emulator

    @pytest_asyncio.fixture
    async def line(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
        """The emulator wired to your ``bot`` fixture's Bot, both serving on loopback."""
        try:
            bot = request.getfixturevalue("bot")
        except pytest.FixtureLookupError:
            pytest.fail("the 'line' fixture needs a 'bot' fixture that returns your Bot")
        if not isinstance(bot, Bot):
            pytest.fail(f"the 'bot' fixture returned {type(bot).__name__}, not a linegroupbot.Bot")
        async with connect(bot) as emulator:
            yield emulator
