"""Loading a bot from ``MODULE_OR_FILE[:ATTR]``, for the command line and for tests."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from .bot import Bot
from .errors import ConfigurationError

__all__ = ["load_bot"]


def _import_file(location: str) -> ModuleType:
    path = Path(location).resolve()
    if not path.is_file():
        raise ConfigurationError(f"no such file: {location}")
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ConfigurationError(f"cannot load {location}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    try:
        spec.loader.exec_module(module)
    except ModuleNotFoundError as error:
        raise ConfigurationError(
            f"{location} imports {error.name!r}, which is not installed in this environment "
            f"({sys.prefix}): install it, or activate the environment that has it"
        ) from error
    return module


def _import_module(location: str) -> ModuleType:
    try:
        return importlib.import_module(location)
    except ModuleNotFoundError as error:
        if error.name and (location == error.name or location.startswith(error.name + ".")):
            raise ConfigurationError(
                f"no module named {location!r} (looked in the current folder and "
                f"{sys.prefix}): run from the folder that has it, or give a file, "
                "e.g. app.py:bot"
            ) from error
        raise ConfigurationError(
            f"{location} imports {error.name!r}, which is not installed in this environment "
            f"({sys.prefix}): install it, or activate the environment that has it"
        ) from error
    except ImportError as error:
        raise ConfigurationError(f"cannot import {location!r}: {error}") from error


def load_bot(target: str) -> Bot:
    """Load ``MODULE_OR_FILE:ATTR`` (``examples/echo.py:bot`` or ``mybot.app:bot``).

    Without ``:ATTR`` the module's one :class:`Bot` is used; a module with several names
    them, so that the caller can pick one.
    """
    location, _, attr = target.rpartition(":")
    if not location:
        location, attr = attr, ""
    if location.endswith(".py") or os.sep in location or "/" in location:
        module = _import_file(location)
    else:
        if "." not in sys.path and "" not in sys.path:
            sys.path.insert(
                0, ""
            )  # `linegroupbot run app:bot` finds app.py here, as python -m does
        module = _import_module(location)
    if attr:
        bot = getattr(module, attr, None)
        if not isinstance(bot, Bot):
            found = _bots(module)
            hint = f"; it has {', '.join(found)}" if found else ""
            raise ConfigurationError(f"{location} has no Bot named {attr!r}{hint}")
        return bot
    found = _bots(module)
    if len(found) == 1:
        bot = getattr(module, found[0])
        assert isinstance(bot, Bot)
        return bot
    if not found:
        raise ConfigurationError(f"{location} has no Bot: make one (bot = Bot()) at module level")
    choices = " or ".join(f"{location}:{name}" for name in found)
    raise ConfigurationError(f"{location} has several Bots: name one, {choices}")


def _bots(module: ModuleType) -> list[str]:
    """The module-level names bound to a Bot, without duplicates of the same object."""
    names: list[str] = []
    seen: set[int] = set()
    for name, value in vars(module).items():
        if isinstance(value, Bot) and not name.startswith("_") and id(value) not in seen:
            seen.add(id(value))
            names.append(name)
    return names
