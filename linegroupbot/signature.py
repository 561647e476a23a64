"""Webhook signature verification and parsing: the first two steps of every request."""

from __future__ import annotations

import binascii
import hmac
from base64 import b64encode
from binascii import a2b_base64
from collections.abc import Callable
from hmac import compare_digest, digest

import orjson

from .convert import structure_body
from .errors import InvalidSignatureError, InvalidWebhookBodyError
from .events import WebhookBody

__all__ = ["parse_webhook", "sign", "verify_signature"]


_decode_body: Callable[[bytes], WebhookBody | None] | None = None


def _load_decoder() -> Callable[[bytes], WebhookBody | None]:
    """The bytes decoder, imported on the first parse (msgspec is not needed before)."""
    global _decode_body
    from ._decode import decode_body

    _decode_body = decode_body
    return decode_body


def sign(body: bytes, channel_secret: str) -> str:
    """The ``x-line-signature`` LINE sends with ``body``: base64 of its HMAC-SHA256 under the
    channel secret. For tests, emulators and tools that act as LINE; a bot only verifies.

    Args:
        body: The raw request body.
        channel_secret: The channel secret the signature is made with.
    """
    return b64encode(hmac.digest(channel_secret.encode(), body, "sha256")).decode()


def verify_signature(body: bytes, signature: str, channel_secret: str) -> bool:
    """Whether ``signature`` is the base64 HMAC-SHA256 of the raw ``body`` under the secret.

    The comparison runs in constant time. An empty, truncated or non-base64
    signature is simply invalid: this function never raises for bad input.

    Args:
        body: The raw request body, exactly as received (not re-serialized JSON).
        signature: The ``x-line-signature`` header.
        channel_secret: The channel secret (an empty one verifies nothing).
    """
    if not signature or not channel_secret:
        return False
    try:
        # What ``b64decode(signature, validate=True)`` does, minus its wrapper: only the
        # base64 alphabet, padding only at the end; a non-ASCII str raises ValueError.
        expected = a2b_base64(signature, strict_mode=True)
    except (binascii.Error, ValueError):
        return False
    return compare_digest(digest(channel_secret.encode(), body, "sha256"), expected)


def parse_webhook(body: bytes, signature: str | None, channel_secret: str) -> WebhookBody:
    """Verify the signature over the raw ``body`` bytes, then parse it into typed events.

    Args:
        body: The raw request body, exactly as received.
        signature: The ``x-line-signature`` header (``None`` when missing).
        channel_secret: The channel secret.

    Returns:
        The request's destination and events, typed (unknown event types as
        :class:`~linegroupbot.events.UnknownEvent`).

    Raises:
        InvalidSignatureError: The signature is missing or wrong (the body is not even
            decoded then).
        InvalidWebhookBodyError: The body is not JSON, or not shaped like a webhook
            request.
    """
    if not signature or not verify_signature(body, signature, channel_secret):
        raise InvalidSignatureError("x-line-signature does not match the request body")
    decode = _decode_body if _decode_body is not None else _load_decoder()
    parsed = decode(body)
    if parsed is not None:
        return parsed
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise InvalidWebhookBodyError(f"webhook body is not valid JSON: {error}") from None
    return structure_body(data)
