"""structlog configuration: pretty console lines in development, JSON lines in production.

Secrets registered with :func:`redact` are replaced by ``[redacted]`` in every log line,
whatever key, message or traceback they hide in: values are scrubbed before rendering,
and every rendered line is scrubbed again. Tracebacks are always formatted here, as
plain text without local variables, whatever optional packages (``rich``,
``better-exceptions``) are installed, so a frame's locals (a headers dict, say) never
reach a log; uncaught exceptions are printed scrubbed too. The standard library's
logging (aiohttp's, for one) goes through the same processors, so ``json`` means one
JSON object per line for everything.
"""

from __future__ import annotations

import logging
import sys
import traceback
import types
from collections.abc import Callable, MutableMapping
from typing import Any, Literal

import orjson

__all__ = ["LogFormat", "configure_logging", "get_logger", "redact", "redact_secrets", "scrub"]

LogFormat = Literal["console", "json"]

_SECRETS: set[str] = set()
_REDACTED = "[redacted]"


def redact(*secrets: str | None) -> None:
    """Never let these strings appear in a log line (channel secret, access token).

    Args:
        *secrets: The strings to replace by ``[redacted]`` wherever they appear; ``None``
            and strings shorter than four characters are ignored.
    """
    _SECRETS.update(s for s in secrets if s and len(s) >= 4)


def scrub(text: str) -> str:
    """``text`` with every registered secret replaced by ``[redacted]``."""
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, _REDACTED)
    return text


_get_config: Callable[[], dict[str, Any]] | None = None
"""``structlog.get_config``, once structlog is imported."""


def structlog_config() -> dict[str, Any]:
    """``structlog.get_config()``, importing structlog on the first call only."""
    global _get_config
    get_config = _get_config
    if get_config is None:
        import structlog

        get_config = _get_config = structlog.get_config
    return get_config()


class _LateLogger:
    """A structlog logger that imports structlog when it is first used."""

    __slots__ = ("__weakref__", "_logger", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: Any = None

    def __getattr__(self, attr: str) -> Any:
        # Special names (copy's, inspect's, doctest's probes) and the slots themselves, when
        # not yet set, are not the logger's: looking them up must neither recurse nor import.
        if attr.startswith("__") or attr in ("_logger", "_name"):
            raise AttributeError(attr)
        logger = self._logger
        if logger is None:
            import structlog

            logger = self._logger = structlog.get_logger(self._name)
        return getattr(logger, attr)

    def __reduce__(self) -> tuple[Callable[[str], Any], tuple[str]]:
        return get_logger, (self._name,)

    def __repr__(self) -> str:
        return f"<logger {self._name!r}>"


def get_logger(name: str) -> Any:
    """``structlog.get_logger(name)``, with structlog imported when the logger is first used.

    structlog imports ``rich`` when it is installed; a module that only defines a bot's
    handlers logs nothing, so importing it need not pay for that. First use is a log line
    or a ``bind()`` (a worker binds its logger when an app or runtime is made). The
    logger follows the structlog configuration in force at each call, as structlog's own
    does.

    Args:
        name: The logger's name (``logger_name`` in the standard library's records).
    """
    return _LateLogger(name)


_bound: tuple[tuple[Any, ...], Any] | None = None


def base_logger() -> Any:
    """The ``linegroupbot`` logger, built once per structlog configuration.

    ``structlog.get_logger()`` returns a proxy that builds a new logger on every
    ``bind()`` (~10 us); ``cache_logger_on_first_use`` would keep the first one even
    after ``configure_logging()`` is called again. This one is rebuilt whenever the
    configuration in force (processors, wrapper and context class, logger factory) or
    ``sys.stdout``/``sys.stderr`` changed; ``capture_logs`` changes the processors in
    place, which the built logger sees.
    """
    global _bound
    config = structlog_config()
    processors, wrapper = config["processors"], config["wrapper_class"]
    factory, context = config["logger_factory"], config["context_class"]
    out, err = sys.stdout, sys.stderr
    cached = _bound
    if cached is not None:
        old = cached[0]
        if (
            old[0] is processors
            and old[1] is wrapper
            and old[2] is factory
            and old[3] is context
            and old[4] is out
            and old[5] is err
        ):
            return cached[1]
    key = (processors, wrapper, factory, context, out, err)
    logger = get_logger("linegroupbot").bind()
    _bound = (key, logger)
    return logger


def _scrub(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if depth > 32:  # a value nested this deep is not worth walking: log its text
        return scrub(_safe_repr(value))
    if isinstance(value, dict):
        return {k: _scrub(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v, depth + 1) for v in value)
    if isinstance(value, BaseException):
        return scrub(_safe_repr(value))
    return value


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except RecursionError:
        return f"<{type(value).__name__} nested too deep to show>"


def redact_secrets(
    _: Any, __: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor that removes registered secrets from every value."""
    if not _SECRETS:
        return event_dict
    for key, value in list(event_dict.items()):
        event_dict[key] = _scrub(value)
    return event_dict


def _format_exception(
    _: Any, __: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Turn ``exc_info`` into a plain ``exception`` string (no locals), before redaction."""
    exc_info = event_dict.pop("exc_info", None)
    if not exc_info:
        return event_dict
    if isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    elif not isinstance(exc_info, tuple):
        exc_info = sys.exc_info()
    if exc_info[0] is not None:
        try:
            text = "".join(traceback.format_exception(*exc_info))
        except RecursionError:  # a cyclic or very deep chain of causes
            text = f"{exc_info[0].__name__}: (traceback too deep to format)"
        event_dict["exception"] = text.rstrip("\n")
    return event_dict


def _scrubbed(renderer: Callable[..., Any]) -> Callable[..., str]:
    """A renderer whose output is scrubbed once more (whatever repr a value rendered with)."""

    def render(logger: Any, name: str, event_dict: MutableMapping[str, Any]) -> str:
        out = renderer(logger, name, event_dict)
        text = out.decode() if isinstance(out, bytes) else str(out)
        return scrub(text) if _SECRETS else text

    return render


class _StdlibHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The root handler configure_logging installs (replaced when called again)."""


def _excepthook(
    kind: type[BaseException], error: BaseException, tb: types.TracebackType | None
) -> None:
    """Uncaught exceptions print as usual, scrubbed of secrets."""
    try:
        text = "".join(traceback.format_exception(kind, error, tb))
    except RecursionError:
        text = f"{kind.__name__}: (traceback too deep to format)\n"
    sys.stderr.write(scrub(text))
    sys.stderr.flush()


def configure_logging(format: LogFormat = "console", level: int | str = "INFO") -> None:
    """Set up structlog and the standard ``logging`` root for a bot process.

    ``format`` is ``"console"`` (aligned, coloured when stderr is a terminal) or
    ``"json"`` (one object per line: ``event``, ``level``, ``timestamp``, the bound
    context, and ``exception`` with the traceback as text). ``level`` filters both: a
    name (``"debug"``, ``"INFO"``...) or a ``logging`` number.

    Raises:
        ValueError: An unknown format or level.
    """
    if format not in ("console", "json"):
        raise ValueError(f"log format must be 'console' or 'json', not {format!r}")
    numeric = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}: use debug, info, warning or error")
    import structlog

    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _format_exception,
        redact_secrets,
    ]
    renderer: Any
    if format == "json":
        renderer = structlog.processors.JSONRenderer(
            serializer=lambda o, **_: orjson.dumps(o, default=_safe_repr).decode()
        )
    else:
        renderer = structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    render = _scrubbed(renderer)
    structlog.configure(
        processors=[*shared, render],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    # The standard library's records (aiohttp's errors, other libraries) through the same
    # processors and renderer.
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, render],
    )
    handler = _StdlibHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StdlibHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    sys.excepthook = _excepthook
