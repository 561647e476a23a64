"""URL settings read from the environment, checked before the command that reads them starts.

A bad ``LINE_API_BASE_URL`` would otherwise surface only at the first API call, as a handler
failure, long after ``linegroupbot run`` said it had started.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from .errors import ConfigurationError
from .stores.url import redact_url

URL_SETTINGS: tuple[str, ...] = ("LINE_API_BASE_URL", "LINE_DATA_API_BASE_URL")
"""The environment variables that hold a URL of the LINE platform (or of an emulator)."""


def url_problem(value: str) -> str | None:
    """Why ``value`` is not an ``http(s)://host[:port][/path]`` base URL, or ``None``."""
    if value != value.strip() or any(ch.isspace() or ord(ch) < 32 for ch in value):
        return "has spaces or control characters in it"
    try:
        parts = urlsplit(value)
    except ValueError:
        return "is not a URL"
    try:
        parts.port  # noqa: B018 (raises on a port that is not a number in range)
    except ValueError:
        return "has a port that is not a number from 0 to 65535"
    if parts.scheme not in ("http", "https"):
        return "is not an http:// or https:// URL"
    if not parts.hostname:
        return "has no host"
    if parts.query or parts.fragment:
        return "has a query or fragment (a base URL has neither)"
    return None


def check_url(name: str, value: str) -> None:
    """Raise :class:`ConfigurationError` naming ``name`` if ``value`` is not an http(s) URL.

    ``name`` is what the user set (a variable such as ``LINE_API_BASE_URL``, or an option);
    ``value`` is its value, shown with any password hidden.
    """
    problem = url_problem(value)
    if problem is not None:
        raise ConfigurationError(
            f"{name} {problem} ({redact_url(value)!r}): set it to a base URL such as "
            "https://api.line.me (LINE) or http://127.0.0.1:8787 (the emulator), or "
            + ("leave it out" if name.startswith("-") else "unset it")
        )


def check_url_settings(environ: Mapping[str, str] | None = None) -> None:
    """Check every :data:`URL_SETTINGS` variable that is set (and not empty) in ``environ``.

    ``environ`` defaults to ``os.environ``. The first bad one raises
    :class:`ConfigurationError`, naming the variable.
    """
    environ = os.environ if environ is None else environ
    for name in URL_SETTINGS:
        value = environ.get(name)
        if value:
            check_url(name, value)
