"""Validation of message objects the way the Messaging API checks them.

Returns LINE-shaped ``details`` (``{"message", "property"}``) instead of raising, so the
emulator can answer 400 with all the problems of a request at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import orjson

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
        elif kind == "template":
            _check_template(message["template"], bad)
        elif kind == "flex":
            _check_flex(message["contents"], bad)
        if kind == "imagemap":
            if not _https(message.get("baseUrl")):
                bad("baseUrl", "must be a valid HTTPS URL")
            actions = message.get("actions")
            if not isinstance(actions, list) or not 1 <= len(actions) <= 50:
                bad("actions", "Size must be between 1 and 50")
    if kind in ("text", "textV2"):
        emojis = message.get("emojis")
        if isinstance(emojis, list) and len(emojis) > 20:
            bad("emojis", "Size must be between 0 and 20")
    quick = message.get("quickReply")
    if quick is not None:
        items = quick.get("items") if isinstance(quick, dict) else None
        if not isinstance(items, list) or not 0 < len(items) <= MAX_QUICK_REPLY_ITEMS:
            bad("quickReply.items", f"Size must be between 1 and {MAX_QUICK_REPLY_ITEMS}")
        else:
            for i, item in enumerate(items):
                action = item.get("action") if isinstance(item, dict) else None
                _check_action(action, f"quickReply.items[{i}].action", bad, label_required=True)
                if isinstance(item, dict) and "imageUrl" in item and not _https(item["imageUrl"]):
                    bad(f"quickReply.items[{i}].imageUrl", "must be a valid HTTPS URL")
    sender = message.get("sender")
    if isinstance(sender, dict):
        name = sender.get("name")
        if name is not None and (not isinstance(name, str) or not 0 < len(name) <= 20):
            bad("sender.name", "Length must be between 1 and 20")
        if "iconUrl" in sender and not _https(sender["iconUrl"]):
            bad("sender.iconUrl", "must be a valid HTTPS URL")
    return problems


Bad = Callable[[str, str], None]

_ACTIONS = {
    "postback",
    "message",
    "uri",
    "datetimepicker",
    "camera",
    "cameraRoll",
    "location",
    "richmenuswitch",
    "clipboard",
}
_URI_SCHEMES = ("http", "https", "line", "tel")


def _length(value: Any, most: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= most


def _check_action(action: Any, where: str, bad: Bad, *, label_required: bool) -> None:
    """An action object: its type, label (20 characters) and what that type needs."""
    if not isinstance(action, dict):
        bad(where, "must be specified")
        return
    kind = action.get("type")
    if kind not in _ACTIONS:
        bad(f"{where}.type", "must be one of " + ", ".join(sorted(_ACTIONS)))
        return
    label = action.get("label")
    if (label is not None or label_required) and not _length(label, 20):
        bad(f"{where}.label", "Length must be between 1 and 20")
    if kind == "postback":
        if not _length(action.get("data"), 300):
            bad(f"{where}.data", "Length must be between 1 and 300")
        if "displayText" in action and not _length(action["displayText"], 300):
            bad(f"{where}.displayText", "Length must be between 1 and 300")
    elif kind == "message":
        if not _length(action.get("text"), 300):
            bad(f"{where}.text", "Length must be between 1 and 300")
    elif kind == "uri":
        uri = action.get("uri")
        scheme = urlsplit(uri).scheme if isinstance(uri, str) else ""
        if not _length(uri, 1000) or scheme not in _URI_SCHEMES:
            bad(f"{where}.uri", "must be an http, https, line or tel URI of up to 1000 characters")
    elif kind == "datetimepicker":
        if not _length(action.get("data"), 300):
            bad(f"{where}.data", "Length must be between 1 and 300")
        if action.get("mode") not in ("date", "time", "datetime"):
            bad(f"{where}.mode", "must be one of date, time, datetime")


def _check_template(template: dict[str, Any], bad: Bad) -> None:
    """Buttons (1-4 actions), confirm (2), carousels (1-10 columns of 1-3 actions each)."""
    kind = template.get("type")
    where = "template"

    def actions(owner: dict[str, Any], at: str, least: int, most: int) -> int:
        found = owner.get("actions")
        if not isinstance(found, list) or not least <= len(found) <= most:
            bad(f"{at}.actions", f"Size must be between {least} and {most}")
            return -1
        for i, action in enumerate(found):
            _check_action(
                action, f"{at}.actions[{i}]", bad, label_required=kind != "image_carousel"
            )
        return len(found)

    if kind == "buttons":
        plain = "title" not in template and "thumbnailImageUrl" not in template
        most = 160 if plain else 60
        if not _length(template.get("text"), most):
            bad(f"{where}.text", f"Length must be between 1 and {most}")
        if "title" in template and not _length(template["title"], 40):
            bad(f"{where}.title", "Length must be between 1 and 40")
        if "thumbnailImageUrl" in template and not _https(template["thumbnailImageUrl"]):
            bad(f"{where}.thumbnailImageUrl", "must be a valid HTTPS URL")
        actions(template, where, 1, 4)
    elif kind == "confirm":
        if not _length(template.get("text"), 240):
            bad(f"{where}.text", "Length must be between 1 and 240")
        actions(template, where, 2, 2)
    elif kind in ("carousel", "image_carousel"):
        columns = template.get("columns")
        if not isinstance(columns, list) or not 1 <= len(columns) <= 10:
            bad(f"{where}.columns", "Size must be between 1 and 10")
            return
        counts = set()
        for i, column in enumerate(columns):
            at = f"{where}.columns[{i}]"
            if not isinstance(column, dict):
                bad(at, "must be an object")
                continue
            if kind == "image_carousel":
                if not _https(column.get("imageUrl")):
                    bad(f"{at}.imageUrl", "must be a valid HTTPS URL")
                _check_action(column.get("action"), f"{at}.action", bad, label_required=False)
                continue
            most = 60 if "title" in column or "thumbnailImageUrl" in column else 120
            if not _length(column.get("text"), most):
                bad(f"{at}.text", f"Length must be between 1 and {most}")
            counts.add(actions(column, at, 1, 3))
        if len(counts) > 1:
            bad(f"{where}.columns", "every column must have the same number of actions")
    else:
        bad(f"{where}.type", "must be one of buttons, confirm, carousel, image_carousel")


def _check_flex(contents: dict[str, Any], bad: Bad) -> None:
    """A bubble or a carousel of up to 12 bubbles, at most 30 KB of JSON (LINE's limits)."""
    kind = contents.get("type")
    if kind not in ("bubble", "carousel"):
        bad("contents.type", "must be one of bubble, carousel")
        return
    if kind == "carousel":
        bubbles = contents.get("contents")
        if not isinstance(bubbles, list) or not 1 <= len(bubbles) <= 12:
            bad("contents.contents", "Size must be between 1 and 12")
    if len(orjson.dumps(contents)) > 30_000:
        bad("contents", "must be at most 30 KB of JSON")


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
