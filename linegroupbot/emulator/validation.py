"""Validation of message objects the way the Messaging API checks them.

Returns LINE-shaped ``details`` (``{"message", "property"}``) instead of raising, so the
emulator can answer 400 with all the problems of a request at once.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

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
    if not isinstance(value, str) or len(value) > 2000:
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
        elif len(text) > 5000:
            bad("text", "Length must be between 0 and 5000")
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
        if not isinstance(alt, str) or not 0 < len(alt) <= 1500:
            bad("altText", "Length must be between 1 and 1500")
        body_key = {"template": "template", "flex": "contents", "imagemap": "baseSize"}[kind]
        if not isinstance(message.get(body_key), dict):
            bad(body_key, "must be specified")
        if kind == "imagemap" and not _https(message.get("baseUrl")):
            bad("baseUrl", "must be a valid HTTPS URL")
    quick = message.get("quickReply")
    if quick is not None:
        items = quick.get("items") if isinstance(quick, dict) else None
        if not isinstance(items, list) or not 0 < len(items) <= 13:
            bad("quickReply.items", "Size must be between 1 and 13")
    return problems


def validate_messages(messages: Any) -> list[dict[str, str]]:
    """Problems with a request's ``messages`` array, as LINE would list them (empty if fine)."""
    if not isinstance(messages, list) or not messages:
        return [{"message": "must be specified", "property": "messages"}]
    if len(messages) > 5:
        return [{"message": "Size must be between 1 and 5", "property": "messages"}]
    problems: list[dict[str, str]] = []
    for index, message in enumerate(messages):
        problems.extend(_check_one(message, f"messages[{index}]"))
    return problems
