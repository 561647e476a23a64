"""One store URL selects where everything durable lives: ``memory://``, ``sqlite:///``, ``redis://``."""

from __future__ import annotations

import os
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import StoreError
from .memory import MemoryStore
from .protocol import Store

__all__ = ["DEFAULT_SHARDS", "open_store", "redact_url"]

DEFAULT_SHARDS = 16
"""Queue shards unless the URL (``?shards=``) or the bot says otherwise."""

_FORMS = "memory://, sqlite:///relative/bot.db, sqlite:////absolute/bot.db or redis://host:6379/0"


_SECRET_OPTIONS = ("pass", "pwd", "secret", "token", "key")


def redact_url(url: str) -> str:
    """``url`` with any password (``user:pw@``, ``?password=``) replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    shown = url
    if "@" in parts.netloc and ":" in parts.netloc.rpartition("@")[0]:
        user = parts.netloc.rpartition("@")[0].partition(":")[0]
        host = parts.netloc.rpartition("@")[2]
        shown = shown.replace(parts.netloc, f"{user}:***@{host}", 1)
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if any(word in name.lower() for name, _ in pairs for word in _SECRET_OPTIONS):
            hidden = [
                (name, "***" if any(w in name.lower() for w in _SECRET_OPTIONS) else value)
                for name, value in pairs
            ]
            shown = shown.replace(parts.query, urlencode(hidden, safe="*:"), 1)
    return shown


def open_store(url: str, *, shards: int | None = None) -> Store:
    """The store a URL names (not yet connected: ``await store.open()``).

    Query options: ``shards=N`` (every backend), ``prefix=`` (Redis key prefix),
    ``synchronous=NORMAL|FULL`` (SQLite).

    Args:
        url: ``memory://``, ``sqlite:///relative.db``, ``sqlite:////absolute.db``,
            ``redis://host:port/db`` or ``rediss://`` (TLS).
        shards: How many queue shards, unless the URL says (``?shards=``); default
            :data:`~linegroupbot.stores.url.DEFAULT_SHARDS`.

    Raises:
        StoreError: The URL is malformed, of an unknown scheme, or has an unknown option;
            the message names it (password redacted) and the accepted forms.
    """
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query, strict_parsing=False).items()}
    except ValueError as error:
        raise StoreError(f"store URL {shown!r} is malformed ({error}): use {_FORMS}") from None
    try:
        count = int(query.pop("shards", DEFAULT_SHARDS if shards is None else shards))
    except ValueError:
        raise StoreError(f"store URL {shown!r}: shards must be a whole number") from None
    if not 1 <= count <= 1024:
        raise StoreError(f"store URL {shown!r}: shards must be between 1 and 1024")
    scheme = parts.scheme.lower()
    if scheme == "memory":
        _no_options(shown, query)
        return MemoryStore(shards=count)
    if scheme == "sqlite":
        if parts.netloc or not parts.path.startswith("/") or len(parts.path) < 2:
            raise StoreError(
                f"store URL {shown!r} names no file: use sqlite:///bot.db (relative to the "
                "working directory) or sqlite:////var/lib/bot/bot.db (absolute)"
            )
        synchronous = query.pop("synchronous", "NORMAL")
        _no_options(shown, query)
        path = (
            os.path.expanduser(parts.path[1:]) if parts.path[1:].startswith("~") else parts.path[1:]
        )
        from .sqlite import SqliteStore  # imported when used: sqlite3 and its thread pool

        return SqliteStore(path, shards=count, synchronous=synchronous, url=shown)
    if scheme in {"redis", "rediss", "unix"}:
        from .redis import RedisStore

        database = parts.path.strip("/")
        if scheme != "unix" and database and not (database.isascii() and database.isdigit()):
            raise StoreError(
                f"store URL {shown!r}: the database must be a number, as in redis://host:6379/0"
            )
        prefix = query.pop("prefix", "linegroupbot:")
        # Other options (ssl_cert_reqs=..., socket_timeout=...) are redis-py's own.
        plain = urlunsplit(parts._replace(query=urlencode(query)))
        return RedisStore(plain, shards=count, prefix=prefix, display_url=shown)
    raise StoreError(f"store URL {shown!r} has an unknown scheme: use {_FORMS}")


def _no_options(shown: str, query: dict[str, str]) -> None:
    if query:
        names = ", ".join(sorted(query))
        raise StoreError(f"store URL {shown!r}: unknown option(s) {names}")
