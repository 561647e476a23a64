"""Small helpers for tests: signing bodies like LINE does."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import orjson

from tests.payloads import body

SECRET = "test-channel-secret"
TOKEN = "test-access-token"


def sign(data: bytes, secret: str = SECRET) -> str:
    """The x-line-signature of ``data``."""
    return base64.b64encode(hmac.new(secret.encode(), data, hashlib.sha256).digest()).decode()


def signed(*events: dict[str, Any], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    """A webhook body carrying ``events`` and the headers LINE would send with it."""
    raw = orjson.dumps(body(*events))
    return raw, {"x-line-signature": sign(raw, secret), "Content-Type": "application/json"}
