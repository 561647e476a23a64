"""linegroupbot: a small, fast, testable framework for LINE bots that live in group chats.

Everything a bot author needs is importable from here; plugin authors find the
extension points in :mod:`linegroupbot.routing`, :mod:`linegroupbot.filters` and
:mod:`linegroupbot.middleware`.
"""

from . import actions, events, flex, messages
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
    "actions",
    "buttons",
    "configure_logging",
    "events",
    "flex",
    "handler_timeout",
    "mention",
    "messages",
    "parse_webhook",
    "verify_signature",
]
