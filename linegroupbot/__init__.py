"""linegroupbot: a small, fast, testable framework for LINE bots that live in group chats.

Everything a bot author needs is importable from here; plugin authors find the
extension points in :mod:`linegroupbot.routing`, :mod:`linegroupbot.filters` and
:mod:`linegroupbot.middleware`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import events, messages
    from .bot import Bot
    from .client import GroupSummary, LineClient, Profile, RetryPolicy, SendResult
    from .context import Context, ExtKey, SkipHandler
    from .errors import (
        BadRequestError,
        ConfigurationError,
        ConflictError,
        ForbiddenError,
        HandlerTimeoutError,
        InvalidSignatureError,
        InvalidWebhookBodyError,
        LineApiError,
        LineConnectionError,
        LineGroupBotError,
        MessageValidationError,
        NoReplyTokenError,
        NotFoundError,
        NoUserIdError,
        QuotaExceededError,
        RateLimitError,
        ReplyTokenUsedError,
        ServerError,
        StateConflictError,
        StoreError,
        UnauthorizedError,
        UnsupportedInScopeError,
    )
    from .events import WebhookBody
    from .filters import F, Filter
    from .logging import configure_logging
    from .messages import buttons, mention
    from .routing import Router
    from .signature import parse_webhook, verify_signature
    from .state import State
    from .timeouts import handler_timeout

_LAZY: dict[str, str] = {
    "events": ".events",
    "messages": ".messages",
    "Bot": ".bot",
    "GroupSummary": ".client",
    "LineClient": ".client",
    "Profile": ".client",
    "RetryPolicy": ".client",
    "SendResult": ".client",
    "Context": ".context",
    "ExtKey": ".context",
    "SkipHandler": ".context",
    "BadRequestError": ".errors",
    "ConfigurationError": ".errors",
    "ConflictError": ".errors",
    "ForbiddenError": ".errors",
    "HandlerTimeoutError": ".errors",
    "InvalidSignatureError": ".errors",
    "InvalidWebhookBodyError": ".errors",
    "LineApiError": ".errors",
    "LineConnectionError": ".errors",
    "LineGroupBotError": ".errors",
    "MessageValidationError": ".errors",
    "NoReplyTokenError": ".errors",
    "NotFoundError": ".errors",
    "NoUserIdError": ".errors",
    "QuotaExceededError": ".errors",
    "RateLimitError": ".errors",
    "ReplyTokenUsedError": ".errors",
    "ServerError": ".errors",
    "StateConflictError": ".errors",
    "StoreError": ".errors",
    "UnauthorizedError": ".errors",
    "UnsupportedInScopeError": ".errors",
    "WebhookBody": ".events",
    "F": ".filters",
    "Filter": ".filters",
    "configure_logging": ".logging",
    "buttons": ".messages",
    "mention": ".messages",
    "Router": ".routing",
    "parse_webhook": ".signature",
    "verify_signature": ".signature",
    "State": ".state",
    "handler_timeout": ".timeouts",
}
"""Public name -> the module that defines it: imported on first use (PEP 562)."""


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use, so that ``import linegroupbot`` is cheap."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if module == f".{name}":  # a submodule (events, messages)
        value: Any = importlib.import_module(module, __name__)
    else:
        value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__version__ = "0.1.0.dev0"

__all__ = [
    "BadRequestError",
    "Bot",
    "ConfigurationError",
    "ConflictError",
    "Context",
    "ExtKey",
    "F",
    "Filter",
    "ForbiddenError",
    "GroupSummary",
    "HandlerTimeoutError",
    "InvalidSignatureError",
    "InvalidWebhookBodyError",
    "LineApiError",
    "LineClient",
    "LineConnectionError",
    "LineGroupBotError",
    "MessageValidationError",
    "NoReplyTokenError",
    "NoUserIdError",
    "NotFoundError",
    "Profile",
    "QuotaExceededError",
    "RateLimitError",
    "ReplyTokenUsedError",
    "RetryPolicy",
    "Router",
    "SendResult",
    "ServerError",
    "SkipHandler",
    "State",
    "StateConflictError",
    "StoreError",
    "UnauthorizedError",
    "UnsupportedInScopeError",
    "WebhookBody",
    "__version__",
    "buttons",
    "configure_logging",
    "events",
    "handler_timeout",
    "mention",
    "messages",
    "parse_webhook",
    "verify_signature",
]
