"""Loading objects from ``MODULE_OR_FILE[:ATTR]``: the bot for the command line and tests, and
routers for ``bot.include("pkg.handlers")``. One set of rules for both."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
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


def _split(target: str) -> tuple[str, str]:
    """``(location, attr)``; ``attr`` is empty when the target names none."""
    location, colon, attr = target.rpartition(":")
    if not colon or not location or not attr or "/" in attr or os.sep in attr:
        return target, ""  # no ":ATTR" (or the colon was a drive letter's)
    return location, attr


def _is_file(location: str) -> bool:
    return location.endswith(".py") or os.sep in location or "/" in location


def _missing_dependency(location: str, error: ModuleNotFoundError) -> ConfigurationError:
    return ConfigurationError(
        f"{location} imports {error.name!r}, which is not installed in this environment "
        f"({sys.prefix}): install it, or activate the environment that has it"
    )


def _import_file(location: str) -> ModuleType:
    path = Path(location).resolve()
    if not path.is_file():
        raise ConfigurationError(f"no such file: {location}")
    sys.path.insert(0, str(path.parent))  # so the file's own imports of its neighbours work
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ConfigurationError(f"cannot load {location}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    try:
        spec.loader.exec_module(module)
    except ModuleNotFoundError as error:
        raise _missing_dependency(location, error) from error
    return module


def _import_module(location: str) -> ModuleType:
    if "." not in sys.path and "" not in sys.path:
        sys.path.insert(0, "")  # `linegroupbot run app:bot` finds app.py here, as python -m does
    try:
        return importlib.import_module(location)
    except ModuleNotFoundError as error:
        if error.name and (location == error.name or location.startswith(error.name + ".")):
            raise ConfigurationError(
                f"no module named {location!r} (looked in the current folder and "
                f"{sys.prefix}): run from the folder that has it, or give a file, "
                "e.g. app.py:bot"
            ) from error
        raise _missing_dependency(location, error) from error
    except ImportError as error:
        raise ConfigurationError(f"cannot import {location!r}: {error}") from error


def _import(location: str) -> ModuleType:
    return _import_file(location) if _is_file(location) else _import_module(location)


def _instances(module: ModuleType, kind: type[T]) -> list[str]:
    """The module-level names bound to a ``kind``, without duplicates of the same object."""
    names: list[str] = []
    seen: set[int] = set()
    for name, value in vars(module).items():
        if isinstance(value, kind) and not name.startswith("_") and id(value) not in seen:
            seen.add(id(value))
            names.append(name)
    return names


def load_object(target: str, kind: type[T], *, default_attr: str) -> T:
    """The ``kind`` instance at ``MODULE_OR_FILE:ATTR`` (``ATTR`` defaults to ``default_attr``).

    ``pkg.handlers``, ``pkg.handlers:admin``, ``handlers/admin.py`` or ``app.py:bot``: a
    path (with ``/`` or ending in ``.py``) is run as a file, its folder put on
    ``sys.path``; anything else is imported as a module. A missing file or module (or a
    dependency it imports), or an attribute that is missing or not a ``kind``, raises
    :class:`~linegroupbot.errors.ConfigurationError`.

    Args:
        target: ``MODULE_OR_FILE`` or ``MODULE_OR_FILE:ATTR``.
        kind: The class the object must be an instance of.
        default_attr: The attribute to take when ``target`` names none.
    """
    location, attr = _split(target)
    module = _import(location)
    return _pick(module, location, attr or default_attr, kind)


_ABSENT = object()


def _what(attr: str, found: object, kind: type) -> str:
    """What the module's ``attr`` is instead of a ``kind``, in words (empty when absent)."""
    if found is _ABSENT:
        return ""
    if found is None:
        return f" ({attr!r} is None)"
    if isinstance(found, type):
        if issubclass(found, kind):
            return f" ({attr!r} is the class {found.__name__} itself, not an instance of it)"
        return f" ({attr!r} is the class {found.__name__})"
    if isinstance(found, ModuleType):
        return f" ({attr!r} is a module)"
    if inspect.isfunction(found) or inspect.ismethod(found) or inspect.isbuiltin(found):
        return f" ({attr!r} is a function)"
    return f" ({attr!r} is of type {type(found).__name__})"


def _pick(module: ModuleType, location: str, attr: str, kind: type[T]) -> T:
    found = getattr(module, attr, _ABSENT)
    if isinstance(found, kind):
        return found
    name = kind.__name__
    others = _instances(module, kind)
    if others:
        choices = " or ".join(f"{location}:{other}" for other in others)
        expected = f"it has {', '.join(others)}: write {choices}"
    else:
        expected = f"it defines none: make one at module level ({attr} = {name}())"
    raise ConfigurationError(
        f"{location} has no {name} named {attr!r}{_what(attr, found, kind)}; {expected}"
    )


def load_bot(target: str) -> Bot:
    """Load ``MODULE_OR_FILE[:ATTR]`` (``examples/echo.py:bot`` or ``mybot.app:bot``).

    Without ``:ATTR`` the module's one :class:`~linegroupbot.bot.Bot` is used.

    Args:
        target: A module or file, with ``:ATTR`` to pick a bot by name.

    Raises:
        ConfigurationError: The file, module or attribute is missing, or is no bot, or
            the module has no bot or several (the message names them, so that the caller
            can pick one).
    """
    from .bot import Bot

    location, attr = _split(target)
    module = _import(location)
    if attr:
        return _pick(module, location, attr, Bot)
    found = _instances(module, Bot)
    if len(found) == 1:
        bot = getattr(module, found[0])
        assert isinstance(bot, Bot)
        return bot
    if not found:
        raise ConfigurationError(f"{location} has no Bot: make one (bot = Bot()) at module level")
    choices = " or ".join(f"{location}:{name}" for name in found)
    raise ConfigurationError(f"{location} has several Bots: name one, {choices}")
