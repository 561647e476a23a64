"""Loading objects from ``MODULE_OR_FILE:ATTR``: the bot for the command line and tests, and
routers for ``bot.include("pkg.handlers")``. One set of rules for both."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, TypeVar

from .errors import ConfigurationError

if TYPE_CHECKING:
    from .bot import Bot

__all__ = ["load_bot", "load_object"]

T = TypeVar("T")


def _split(target: str, default_attr: str) -> tuple[str, str]:
    location, colon, attr = target.rpartition(":")
    if not colon or not location or not attr or "/" in attr or os.sep in attr:
        return target, default_attr  # no ":ATTR" (or the colon was a drive letter's)
    return location, attr


def _is_file(location: str) -> bool:
    return location.endswith(".py") or os.sep in location or "/" in location


def _import(location: str) -> ModuleType:
    if not _is_file(location):
        try:
            return importlib.import_module(location)
        except ImportError as error:
            raise ConfigurationError(f"cannot import {location!r}: {error}") from error
    path = Path(location).resolve()
    if not path.is_file():
        raise ConfigurationError(f"no such file: {location}")
    sys.path.insert(0, str(path.parent))  # so the file's own imports of its neighbours work
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ConfigurationError(f"cannot load {location}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def load_object(target: str, kind: type[T], *, default_attr: str) -> T:
    """The ``kind`` instance at ``MODULE_OR_FILE:ATTR`` (``ATTR`` defaults to ``default_attr``).

    ``pkg.handlers``, ``pkg.handlers:admin``, ``handlers/admin.py`` or ``app.py:bot``: a
    path (with ``/`` or ending in ``.py``) is run as a file, its folder put on
    ``sys.path``; anything else is imported as a module. A missing file or module, or an
    attribute that is missing or not a ``kind``, raises :class:`ConfigurationError`.
    """
    location, attr = _split(target, default_attr)
    module = _import(location)
    found = getattr(module, attr, None)
    if not isinstance(found, kind):
        what = "missing" if found is None else f"of type {type(found).__name__}"
        raise ConfigurationError(
            f"{location} has no {kind.__name__} named {attr!r} ({attr!r} is {what}): "
            f"write {location}:NAME for the {kind.__name__} it defines"
        )
    return found


def load_bot(target: str) -> Bot:
    """Load ``MODULE_OR_FILE:ATTR`` (``examples/echo.py:bot`` or ``mybot.app:bot``)."""
    from .bot import Bot

    return load_object(target, Bot, default_attr="bot")
