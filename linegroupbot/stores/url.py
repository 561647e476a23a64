"""One store URL selects where everything durable lives: ``memory://``, ``sqlite:///``, ``redis://``."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from ..errors import StoreError
from .memory import MemoryStore
from .protocol import Store
from .sqlite import SqliteStore

__all__ = ["DEFAULT_SHARDS", "open_store", "redact_url"]

DEFAULT_SHARDS = 16
"""Queue shards unless the URL (``?shards=``) or the bot says otherwise."""

_FORMS = "memory://, sqlite:///relative/bot.db, sqlite:////absolute/bot.db or redis://host:6379/0"


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for logs and errors)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def open_store(url: str, *, shards: int | None = None) -> Store:
    """The store a URL names (not yet connected: ``await store.open()``).

    Query options: ``shards=N`` (every backend), ``prefix=`` (Redis key prefix),
    ``synchronous=NORMAL|FULL`` (SQLite). A malformed URL raises :class:`StoreError`
    naming it (password redacted) and the accepted forms.
    """
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query, strict_parsing=False).items()}
    except ValueError as error:
        raise StoreError(f"store URL {shown!r} is malformed ({error}): use {_FORMS}") from None
    try:
        count = int(query.pop("shards", shards or DEFAULT_SHARDS))
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
        return SqliteStore(parts.path[1:], shards=count, synchronous=synchronous, url=shown)
    if scheme in {"redis", "rediss", "unix"}:
        from .redis import RedisStore

        prefix = query.pop("prefix", "linegroupbot:")
        # Other options (ssl_cert_reqs=..., socket_timeout=...) are redis-py's own.
        plain = urlunsplit(parts._replace(query=urlencode(query)))
        return RedisStore(plain, shards=count, prefix=prefix, display_url=shown)
    raise StoreError(f"store URL {shown!r} has an unknown scheme: use {_FORMS}")


def _no_options(shown: str, query: dict[str, str]) -> None:
    if query:
        names = ", ".join(sorted(query))
        raise StoreError(f"store URL {shown!r}: unknown option(s) {names}")
