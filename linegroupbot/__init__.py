"""linegroupbot: a small, fast, testable framework for LINE bots that live in group chats."""

from .errors import (
    InvalidSignatureError,
    InvalidWebhookBodyError,
    LineApiError,
    LineGroupBotError,
)
from .events import WebhookBody
from .signature import parse_webhook, verify_signature

__version__ = "0.1.0.dev0"

__all__ = [
    "InvalidSignatureError",
    "InvalidWebhookBodyError",
    "LineApiError",
    "LineGroupBotError",
    "WebhookBody",
    "__version__",
    "parse_webhook",
    "verify_signature",
]
