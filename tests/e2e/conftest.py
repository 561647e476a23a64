"""Fixtures of the tests that run the bot as real processes: an emulator, and the processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from linegroupbot.emulator import Emulator
from tests.e2e.test_durability import Fleet


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator(redelivery=False) as emu:
        yield emu


@pytest.fixture
def fleet(emulator: Emulator, tmp_path: Path) -> Iterator[Fleet]:
    """The bot processes of one test, each stopped by PID when it ends."""
    group = Fleet(emulator, tmp_path)
    try:
        yield group
    finally:
        group.stop_all()
