"""LINE's documented limits on what one Messaging API request may carry, in one table.

The message builders (:mod:`linegroupbot.messages`) check them before anything is sent, and
the emulator judges requests by them too, with its own checks of the raw JSON (it never uses
the builders), so a builder bug still meets a platform that refuses what LINE refuses.
Rate limits are per endpoint and live with the client
(:data:`~linegroupbot.client.DEFAULT_RATE_LIMITS`).
"""

from __future__ import annotations

__all__ = [
    "MAX_ALT_TEXT",
    "MAX_CLIPBOARD_TEXT",
    "MAX_LABEL",
    "MAX_MESSAGES",
    "MAX_POSTBACK_DATA",
    "MAX_QUICK_REPLY_ITEMS",
    "MAX_RICH_MENU_ALIAS",
    "MAX_TEXT_LENGTH",
    "MAX_URL_LENGTH",
]

MAX_MESSAGES = 5
"""Messages in one reply, push, multicast, broadcast or narrowcast."""
MAX_TEXT_LENGTH = 5000
"""Characters of one text message."""
MAX_URL_LENGTH = 2000
"""Characters of a URL (images, videos, audio, URI actions)."""
MAX_ALT_TEXT = 1500
"""Characters of the alternative text of a template, flex or imagemap message."""
MAX_QUICK_REPLY_ITEMS = 13
"""Buttons of one quick reply."""
MAX_POSTBACK_DATA = 300
"""Characters of a postback action's data."""
MAX_LABEL = 20
"""Characters of an action's label."""
MAX_CLIPBOARD_TEXT = 1000
"""Characters a clipboard action copies."""
MAX_RICH_MENU_ALIAS = 32
"""Characters of a rich menu alias ID."""
