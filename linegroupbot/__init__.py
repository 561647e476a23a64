"""linegroupbot: a small, fast, testable framework for LINE bots that live in group chats.

Everything a bot author needs is importable from here; plugin authors import from
:mod:`linegroupbot.ext`, the plugin API.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import actions, events, flex, messages
    from .bot import Bot
    from .client import GroupSummary, LineClient, Profile, RetryPolicy, SendResult
    from .context import (
        CommandMatch,
        Context,
        EventContext,
        ExtKey,
        FollowContext,
        JoinContext,
        LeaveContext,
        MemberJoinedContext,
        MemberLeftContext,
        MessageContext,
        PostbackContext,
        SkipHandler,
        UnfollowContext,
    )
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
    from .filters import Filter, where
    from .logging import configure_logging
    from .messages import buttons, mention
    from .routing import Router
    from .signature import parse_webhook, sign, verify_signature
    from .state import State
    from .timeouts import handler_timeout

_LAZY: dict[str, str] = {
    "actions": ".actions",
    "events": ".events",
    "flex": ".flex",
    "messages": ".messages",
    "Bot": ".bot",
    "GroupSummary": ".client",
    "LineClient": ".client",
    "Profile": ".client",
    "RetryPolicy": ".client",
    "SendResult": ".client",
    "CommandMatch": ".context",
    "Context": ".context",
    "EventContext": ".context",
    "ExtKey": ".context",
    "FollowContext": ".context",
    "JoinContext": ".context",
    "LeaveContext": ".context",
    "MemberJoinedContext": ".context",
    "MemberLeftContext": ".context",
    "MessageContext": ".context",
    "PostbackContext": ".context",
    "SkipHandler": ".context",
    "UnfollowContext": ".context",
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
    "Filter": ".filters",
    "where": ".filters",
    "configure_logging": ".logging",
    "buttons": ".messages",
    "mention": ".messages",
    "Router": ".routing",
    "parse_webhook": ".signature",
    "sign": ".signature",
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
    if module == f".{name}":  # a submodule (events, messages, flex, actions)
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
    "CommandMatch",
    "ConfigurationError",
    "ConflictError",
    "Context",
    "EventContext",
    "ExtKey",
    "Filter",
    "FollowContext",
    "ForbiddenError",
    "GroupSummary",
    "HandlerTimeoutError",
    "InvalidSignatureError",
    "InvalidWebhookBodyError",
    "JoinContext",
    "LeaveContext",
    "LineApiError",
    "LineClient",
    "LineConnectionError",
    "LineGroupBotError",
    "MemberJoinedContext",
    "MemberLeftContext",
    "MessageContext",
    "MessageValidationError",
    "NoReplyTokenError",
    "NoUserIdError",
    "NotFoundError",
    "PostbackContext",
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
    "UnfollowContext",
    "UnsupportedInScopeError",
    "WebhookBody",
    "__version__",
    "actions",
    "buttons",
    "configure_logging",
    "events",
    "flex",
    "handler_timeout",
    "mention",
    "messages",
    "parse_webhook",
    "sign",
    "verify_signature",
    "where",
]
