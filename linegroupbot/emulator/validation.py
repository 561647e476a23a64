"""Validation of message objects the way the Messaging API checks them.

Returns LINE-shaped ``details`` (``{"message", "property"}``) instead of raising, so the
emulator can answer 400 with all the problems of a request at once.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..limits import (
    MAX_ALT_TEXT,
    MAX_MESSAGES,
    MAX_QUICK_REPLY_ITEMS,
    MAX_TEXT_LENGTH,
    MAX_URL_LENGTH,
)

__all__ = ["validate_messages"]

_KNOWN = {
    "text",
    "textV2",
    "sticker",
    "image",
    "video",
    "audio",
    "location",
    "imagemap",
    "template",
    "flex",
    "coupon",
}


def _https(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > MAX_URL_LENGTH:
        return False
    parts = urlsplit(value)
    return parts.scheme == "https" and bool(parts.netloc)


def _check_one(message: Any, where: str) -> list[dict[str, str]]:
    problems: list[dict[str, str]] = []

    def bad(prop: str, text: str) -> None:
        problems.append({"message": text, "property": f"{where}.{prop}" if prop else where})

    if not isinstance(message, dict):
        bad("", "must be an object")
        return problems
    kind = message.get("type")
    if kind not in _KNOWN:
        bad("type", "must be one of " + ", ".join(sorted(_KNOWN)))
        return problems
    if kind in ("text", "textV2"):
        text = message.get("text")
        if not isinstance(text, str) or not text:
            bad("text", "must be specified")
        elif len(text) > MAX_TEXT_LENGTH:
            bad("text", f"Length must be between 0 and {MAX_TEXT_LENGTH}")
    elif kind == "sticker":
        for key in ("packageId", "stickerId"):
            if not isinstance(message.get(key), str) or not message.get(key):
                bad(key, "must be specified")
    elif kind in ("image", "video"):
        for key in ("originalContentUrl", "previewImageUrl"):
            if not _https(message.get(key)):
                bad(key, "must be a valid HTTPS URL")
    elif kind == "audio":
        if not _https(message.get("originalContentUrl")):
            bad("originalContentUrl", "must be a valid HTTPS URL")
        if not isinstance(message.get("duration"), int):
            bad("duration", "must be specified")
    elif kind == "location":
        for key in ("title", "address"):
            if not isinstance(message.get(key), str):
                bad(key, "must be specified")
        for key in ("latitude", "longitude"):
            if not isinstance(message.get(key), int | float):
                bad(key, "must be specified")
    elif kind in ("template", "flex", "imagemap"):
        alt = message.get("altText")
        if not isinstance(alt, str) or not 0 < len(alt) <= MAX_ALT_TEXT:
            bad("altText", f"Length must be between 1 and {MAX_ALT_TEXT}")
        body_key = {"template": "template", "flex": "contents", "imagemap": "baseSize"}[kind]
        if not isinstance(message.get(body_key), dict):
            bad(body_key, "must be specified")
        if kind == "imagemap" and not _https(message.get("baseUrl")):
            bad("baseUrl", "must be a valid HTTPS URL")
    quick = message.get("quickReply")
    if quick is not None:
        items = quick.get("items") if isinstance(quick, dict) else None
        if not isinstance(items, list) or not 0 < len(items) <= MAX_QUICK_REPLY_ITEMS:
            bad("quickReply.items", f"Size must be between 1 and {MAX_QUICK_REPLY_ITEMS}")
    return problems


def validate_messages(messages: Any) -> list[dict[str, str]]:
    """Problems with a request's ``messages`` array, as LINE would list them (empty if fine)."""
    if not isinstance(messages, list) or not messages:
        return [{"message": "must be specified", "property": "messages"}]
    if len(messages) > MAX_MESSAGES:
        return [{"message": f"Size must be between 1 and {MAX_MESSAGES}", "property": "messages"}]
    problems: list[dict[str, str]] = []
    for index, message in enumerate(messages):
        problems.extend(_check_one(message, f"messages[{index}]"))
    return problems
