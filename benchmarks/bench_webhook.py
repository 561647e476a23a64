"""Webhook verify+parse: linegroupbot vs the official SDK's WebhookParser vs an hmac+orjson floor.

Run: ``python benchmarks/bench_webhook.py`` (needs the ``bench`` extra for the SDK contender).
All contenders run in one process on the same signed bodies, interleaved round by round;
ratios (taken per round, then the median) are what to read, since absolute times on a
shared 2-core machine are noisy. Times are the thread's CPU time (verify + parse never wait
on anything), so time spent descheduled while other work runs is not counted. The loop
count is bounded. The floor verifies with hmac
and decodes with orjson, building no typed objects: no parser of typed models can beat it.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import time
import timeit
from collections.abc import Callable
from typing import Any

import _common
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


FLOOR = "floor (hmac + orjson)"
OURS = "linegroupbot.parse_webhook"
SDK = "line-bot-sdk WebhookParser"
TARGETS = {1: 10.0, 10: 20.0}  # times faster than the SDK


def _contenders() -> dict[str, Callable[[bytes, str], Any]]:
    contenders: dict[str, Callable[[bytes, str], Any]] = {
        FLOOR: _floor,
        OURS: lambda b, s: parse_webhook(b, s, SECRET),
    }
    try:
        from linebot.v3 import WebhookParser  # type: ignore[import-not-found]
    except ImportError:
        print("line-bot-sdk not installed: pip install -e '.[bench]' to compare with it")
    else:
        parser = WebhookParser(SECRET)
        contenders[SDK] = lambda b, s: parser.parse(b.decode(), s)
    return contenders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=9, help="interleaved timing rounds")
    parser.add_argument("--number", type=int, default=300, help="calls per round")
    parser.add_argument("--json", help="merge the figures into this JSON file (for report.py)")
    args = parser.parse_args()
    contenders = _contenders()
    summary: dict[str, Any] = {}
    for n in (1, 10):
        body = json.dumps({"destination": BOT, "events": _events(n)}).encode()
        signature = _sign(body)
        print(
            f"\n{n} event(s), {len(body)} bytes; CPU us per call, median (min-max) of "
            f"{args.repeat} interleaved rounds x {args.number} calls"
        )
        rounds: dict[str, Callable[[], float]] = {}
        for name, fn in contenders.items():
            fn(body, signature)  # warm up and check it works

            def one_round(
                fn: Callable[[bytes, str], Any] = fn, body: bytes = body, signature: str = signature
            ) -> float:
                seconds = timeit.timeit(
                    lambda: fn(body, signature), number=args.number, timer=time.thread_time
                )
                return seconds / args.number * 1e6

            rounds[name] = one_round
        times = _common.timed_rounds(rounds, args.repeat)
        for name, values in times.items():
            print(f"  {name:30s} {_common.spread(values):>24s} us")
        ours = times[OURS]
        floor = _common.ratios(ours, times[FLOOR])
        print(f"  linegroupbot is {_common.spread(floor)}x the floor")
        figures: dict[str, Any] = {name: _common.median(v) for name, v in times.items()}
        figures["vs_floor"] = _common.median(floor)
        if SDK in times:
            faster = _common.ratios(times[SDK], ours)
            target = TARGETS[n]
            print(
                f"  linegroupbot is {_common.spread(faster)}x faster than the SDK "
                f"(target >= {target:g}x)"
            )
            figures["vs_sdk"] = _common.median(faster)
            figures["floor_vs_sdk"] = _common.median(_common.ratios(times[SDK], times[FLOOR]))
        summary[str(n)] = figures
    with _common.results_file(args.json) as results:
        results["parse"] = summary


if __name__ == "__main__":
    main()
