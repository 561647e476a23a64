"""Loading a bot from ``MODULE_OR_FILE:ATTR``, for the command line and for tests."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path

from .bot import Bot
from .errors import ConfigurationError

__all__ = ["load_bot"]


def load_bot(target: str) -> Bot:
    """Load ``MODULE_OR_FILE:ATTR`` (``examples/echo.py:bot`` or ``mybot.app:bot``)."""
    location, _, attr = target.rpartition(":")
    if not location:
        location, attr = attr, "bot"
    if location.endswith(".py") or os.sep in location or "/" in location:
        path = Path(location).resolve()
        if not path.is_file():
            raise ConfigurationError(f"no such file: {location}")
        sys.path.insert(0, str(path.parent))
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None:
            raise ConfigurationError(f"cannot load {location}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(location)
        except ImportError as error:
            raise ConfigurationError(f"cannot import {location!r}: {error}") from error
    bot = getattr(module, attr, None)
    if not isinstance(bot, Bot):
        raise ConfigurationError(f"{location} has no Bot named {attr!r}")
    return bot
