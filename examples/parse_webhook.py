"""Sign a webhook body the way LINE does, then verify and parse it with linegroupbot.

Run: python examples/parse_webhook.py
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from linegroupbot import parse_webhook

SECRET = "example-channel-secret"

body = json.dumps(
    {
        "destination": "U" + "0" * 32,
        "events": [
            {
                "type": "message",
                "mode": "active",
                "timestamp": 1764000000000,
                "webhookEventId": "01JEXAMPLE000000000000000",
                "deliveryContext": {"isRedelivery": False},
                "source": {"type": "group", "groupId": "C" + "1" * 32, "userId": "U" + "2" * 32},
                "replyToken": "example-reply-token",
                "message": {"type": "text", "id": "1", "quoteToken": "q", "text": "/who"},
            }
        ],
    }
).encode()
signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()

for event in parse_webhook(body, signature, SECRET).events:
    print(f"{event.type} in {event.scope} {event.chat_id}: {event.message.text!r}")  # type: ignore[attr-defined]
