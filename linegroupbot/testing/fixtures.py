"""Fixture helpers for tests of a bot that lives in a file or module."""

from __future__ import annotations

import functools
import os
from typing import Any

from ..bot import Bot
from ..loading import load_bot

__all__ = ["bot_fixture", "cached_bot"]


@functools.cache
def cached_bot(target: str) -> Bot:
    """Load a bot once per test session (a module's bot is built once).

    Args:
        target: ``MODULE_OR_FILE:ATTR``, as :func:`~linegroupbot.loading.load_bot` takes it.

    Raises:
        ConfigurationError: Nothing loadable is there, or it is not a bot.
    """
    return load_bot(target)


def bot_fixture(target: str | os.PathLike[str], attr: str = "bot") -> Any:
    """A pytest fixture returning the bot at ``target``; assign it to ``bot`` in a test module.

    ``bot = bot_fixture(Path(__file__).parent.parent / "app.py")`` lets the ``line`` fixture
    run that bot against the emulator. A path without ``:ATTR`` uses ``attr``.
    """
    import pytest

    spec = os.fspath(target)
    if spec.endswith(".py"):
        spec = f"{spec}:{attr}"

    @pytest.fixture(name="bot")
    def bot_from_target() -> Bot:
        return cached_bot(spec)

    return bot_from_target
