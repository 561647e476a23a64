"""structlog configuration: pretty console lines in development, JSON lines in production.

Secrets registered with :func:`redact` are replaced by ``[redacted]`` in every log line,
whatever key or message they hide in.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, Literal

import orjson
import structlog

__all__ = ["LogFormat", "configure_logging", "redact"]

LogFormat = Literal["console", "json"]

_SECRETS: set[str] = set()


def redact(*secrets: str | None) -> None:
    """Never let these strings appear in a log line (channel secret, access token)."""
    _SECRETS.update(s for s in secrets if s and len(s) >= 4)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        for secret in _SECRETS:
            if secret in value:
                value = value.replace(secret, "[redacted]")
        return value
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v) for v in value)
    if isinstance(value, BaseException):
        return _scrub(repr(value))
    return value


def redact_secrets(
    _: Any, __: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor that removes registered secrets from every value."""
    if not _SECRETS:
        return event_dict
    for key, value in list(event_dict.items()):
        event_dict[key] = _scrub(value)
    return event_dict


def configure_logging(format: LogFormat = "console", level: int | str = "INFO") -> None:
    """Set up structlog (and the standard ``logging`` root) for a bot process."""
    numeric = logging.getLevelName(level) if isinstance(level, str) else level
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any
    if format == "json":
        shared += [structlog.processors.format_exc_info, redact_secrets]
        renderer = structlog.processors.JSONRenderer(
            serializer=lambda o, **_: orjson.dumps(o, default=str).decode()
        )
    else:
        shared += [redact_secrets]
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=numeric, stream=sys.stderr, format="%(message)s")
