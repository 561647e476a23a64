"""linegroupbot: a small, fast, testable framework for LINE bots that live in group chats.

Everything a bot author needs is importable from here; plugin authors import from
:mod:`linegroupbot.ext`, the plugin API.
"""

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
