"""pytest plugin (entry point ``pytest11``): fixtures for testing bots against the emulator.

- ``line_emulator``: an :class:`~linegroupbot.emulator.Emulator` serving on loopback.
- ``line``: an emulator wired to the bot your ``bot`` fixture returns, both running.

A handler's exception (one no ``on_error`` handled) fails the test that ``line`` serves:
the emulator's waits raise it at once instead of timing out. The ``line`` marker sets
the emulator (any :class:`~linegroupbot.emulator.EmulatorSettings` field) and opts out::

    @pytest.mark.line(verified=True, reply_token_ttl=0.5)
    async def test_roster(line): ...

    @pytest.mark.line(raise_handler_errors=False)  # handler errors are only logged
    async def test_retries(line): ...

``pytestmark = pytest.mark.line(...)`` sets it for a module; the nearest marker wins.

Needs ``pytest-asyncio`` (in linegroupbot's ``test`` extra); without it no fixtures
are defined and pytest runs as usual.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - fixtures need pytest-asyncio
    pytest_asyncio = None  # type: ignore[assignment]


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``line`` marker."""
    config.addinivalue_line(
        "markers",
        "line(**settings): emulator settings for the line fixture (verified=True, "
        "reply_token_ttl=..., raise_handler_errors=False...)",
    )


def _line_options(request: pytest.FixtureRequest) -> tuple[dict[str, Any], bool]:
    """The emulator settings and the raise_handler_errors flag the ``line`` markers give."""
    from ..emulator import EmulatorSettings

    merged: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("line"))):  # nearest last: wins
        if marker.args:
            pytest.fail("@pytest.mark.line takes keyword arguments only, e.g. verified=True")
        merged.update(marker.kwargs)
    raise_errors = bool(merged.pop("raise_handler_errors", True))
    known = {field.name for field in attrs.fields(EmulatorSettings)}
    unknown = sorted(set(merged) - known)
    if unknown:
        pytest.fail(
            f"@pytest.mark.line: unknown setting(s) {unknown}; the emulator's settings are "
            f"{sorted(known)}, plus raise_handler_errors"
        )
    return merged, raise_errors


if pytest_asyncio is not None:
    from ..bot import Bot
    from ..emulator import Emulator
    from .harness import connect

    @pytest_asyncio.fixture
    async def line_emulator(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
        """An emulator of the LINE platform serving on 127.0.0.1 (no bot attached);
        the ``line`` marker's settings apply."""
        settings, _ = _line_options(request)
        async with Emulator(**settings) as emulator:
            yield emulator

    @pytest_asyncio.fixture
    async def line(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
        """The emulator wired to your ``bot`` fixture's Bot, both serving on loopback.

        Handler errors fail the test (see the module docs for the ``line`` marker)."""
        try:
            bot = request.getfixturevalue("bot")
        except pytest.FixtureLookupError:
            pytest.fail("the 'line' fixture needs a 'bot' fixture that returns your Bot")
        if not isinstance(bot, Bot):
            pytest.fail(f"the 'bot' fixture returned {type(bot).__name__}, not a linegroupbot.Bot")
        settings, raise_errors = _line_options(request)
        async with connect(bot, raise_handler_errors=raise_errors, **settings) as emulator:
            yield emulator
