"""Webhook verify+parse: linegroupbot vs the official SDK's WebhookParser vs an hmac+orjson floor.

Run: ``python benchmarks/bench_webhook.py`` (needs the ``bench`` extra for the SDK contender).
All contenders run in one process on the same signed bodies; ratios are what to read, since
absolute times on a shared 2-core machine are noisy. The loop count is bounded.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import timeit
from collections.abc import Callable
from typing import Any

import orjson

from linegroupbot import parse_webhook, sign

SECRET = "benchmark-channel-secret"
BOT = "U" + "0" * 32


def _events(n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(n):
        source = {"type": "group", "groupId": "C" + f"{i % 7:032x}", "userId": "U" + f"{i:032x}"}
        common = {
            "mode": "active",
            "timestamp": 1_764_000_000_000 + i,
            "webhookEventId": f"01JBENCH{i:018d}",
            "deliveryContext": {"isRedelivery": False},
            "source": source,
            "replyToken": f"{i:032x}",
        }
        if i % 3 == 2:
            out.append({**common, "type": "postback", "postback": {"data": f"vote={i}"}})
        else:
            message = {
                "type": "text",
                "id": str(500_000_000 + i),
                "quoteToken": f"q{i}",
                "text": f"/who are you {i}",
                "mention": {
                    "mentionees": [
                        {"index": 0, "length": 4, "type": "user", "userId": BOT, "isSelf": True}
                    ]
                },
            }
            out.append({**common, "type": "message", "message": message})
    return out


def _sign(body: bytes) -> str:
    return sign(body, SECRET)


def _floor(body: bytes, signature: str) -> Any:
    digest = hmac.digest(SECRET.encode(), body, "sha256")
    if not hmac.compare_digest(digest, base64.b64decode(signature)):
        raise ValueError("bad signature")
    return orjson.loads(body)


def _contenders() -> dict[str, Callable[[bytes, str], Any]]:
    contenders: dict[str, Callable[[bytes, str], Any]] = {
        "floor (hmac + orjson)": _floor,
        "linegroupbot.parse_webhook": lambda b, s: parse_webhook(b, s, SECRET),
    }
    try:
        from linebot.v3 import WebhookParser  # type: ignore[import-not-found]
    except ImportError:
        print("line-bot-sdk not installed: pip install -e '.[bench]' to compare with it")
    else:
        parser = WebhookParser(SECRET)
        contenders["line-bot-sdk WebhookParser"] = lambda b, s: parser.parse(b.decode(), s)
    return contenders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="timing rounds per contender")
    parser.add_argument("--number", type=int, default=300, help="calls per round")
    args = parser.parse_args()
    contenders = _contenders()
    for n in (1, 10):
        body = json.dumps({"destination": BOT, "events": _events(n)}).encode()
        signature = _sign(body)
        print(f"\n{n} event(s), {len(body)} bytes; best of {args.repeat} x {args.number} calls")
        best: dict[str, float] = {}
        for name, fn in contenders.items():
            fn(body, signature)  # warm up and check it works
            times = timeit.repeat(
                lambda fn=fn, b=body, s=signature: fn(b, s), number=args.number, repeat=args.repeat
            )
            best[name] = min(times) / args.number
        floor = best["floor (hmac + orjson)"]
        ours = best["linegroupbot.parse_webhook"]
        for name, seconds in best.items():
            print(f"  {name:30s} {seconds * 1e6:9.1f} us   {seconds / floor:5.2f}x floor")
        sdk = best.get("line-bot-sdk WebhookParser")
        if sdk is not None:
            print(f"  linegroupbot is {sdk / ours:.1f}x faster than the SDK (target >= 5x)")
        print(f"  linegroupbot is {ours / floor:.2f}x the floor (target <= 2x)")


if __name__ == "__main__":
    main()
