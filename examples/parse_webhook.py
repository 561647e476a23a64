"""Sign a webhook body the way LINE does, then verify and parse it with linegroupbot.

Run: python examples/parse_webhook.py
"""

from __future__ import annotations

import json

from linegroupbot import events, parse_webhook, sign

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
signature = sign(body, SECRET)  # what LINE puts in the x-line-signature header

for event in parse_webhook(body, signature, SECRET).events:
    message = event.message if isinstance(event, events.MessageEvent) else None
    if isinstance(message, events.TextMessageContent):
        print(f"{event.type} in {event.scope} {event.chat_id}: {message.text!r}")
