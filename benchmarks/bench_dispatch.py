"""Verify + parse + dispatch to the matching handler: linegroupbot vs the official SDK.

Run: ``python benchmarks/bench_dispatch.py`` (needs the ``bench`` extra for the SDK).
Each contender gets the same signed body and handlers for join, a /who command, any text
and postbacks (the SDK has no command filter, so its text handler checks the prefix itself);
only the routing work is measured (the handlers only record what they saw). linegroupbot's
dispatch is async: its requests run in batches inside one running event loop, as in the
server, so its timing includes the coroutines but not starting the loop per request.
Ratios are what to read: the machine is shared and noisy. Loops are bounded.

A second section reports linegroupbot's dispatch cost per event as it runs in a worker:
``Bot.process(event)`` (context creation, log context and retry keys, the handler time
budget, routing through 36 handlers with filters: commands, prefixes, regexes, scopes,
postback data; the matching handler is near the end of the list) on already parsed
events, in µs/event, median (min-max) of interleaved rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import timeit
from typing import Any

from _common import median, results_file, spread
from bench_webhook import SECRET, _events, _sign

from linegroupbot import Bot, Context, parse_webhook


def _ours() -> tuple[Bot, list[str]]:
    bot = Bot(SECRET, "token", api_base_url="http://127.0.0.1:9")
    hits: list[str] = []

    @bot.on_join
    async def join(ctx: Context) -> None:
        hits.append("join")

    @bot.on_message(command="who")
    async def who(ctx: Context) -> None:
        hits.append("who")

    @bot.on_message(message_type="text")
    async def text(ctx: Context) -> None:
        hits.append("text")

    @bot.on_postback
    async def postback(ctx: Context) -> None:
        hits.append("postback")

    return bot, hits


def _many_handlers() -> tuple[Bot, list[str]]:
    """A bot with 36 handlers with filters, most of which do not match the benchmark's events."""
    bot = Bot(SECRET, "token", api_base_url="http://127.0.0.1:9")
    hits: list[str] = []

    def record(name: str) -> Any:
        async def handler(ctx: Context) -> None:
            hits.append(name)

        handler.__name__ = name
        return handler

    for i in range(10):
        bot.on_message(command=f"cmd{i}")(record(f"cmd{i}"))
        bot.on_message(startswith=f"hello{i}", scope="group")(record(f"hello{i}"))
        bot.on_postback(data_prefix=f"action{i}:")(record(f"action{i}"))
    for i in range(3):
        bot.on_message(regex=rf"^order (\d+) of {i}$")(record(f"order{i}"))
    bot.on_join(record("join"))
    bot.on_message(command="who")(record("who"))
    bot.on_postback(data_prefix="vote=")(record("vote"))
    return bot, hits


def _per_event(args: argparse.Namespace, loop: asyncio.AbstractEventLoop) -> None:
    from linegroupbot.convert import structure_event

    bot, hits = _many_handlers()
    events = [structure_event(e) for e in _events(30)]

    async def batch() -> None:
        for _ in range(args.number):
            for event in events:
                await bot.process(event)

    def one_round() -> float:
        hits.clear()
        started = time.perf_counter()
        loop.run_until_complete(batch())
        elapsed = time.perf_counter() - started
        assert len(hits) == args.number * len(events), (len(hits), hits[:3])
        return elapsed / (args.number * len(events)) * 1e6

    one_round()  # warm up
    per_event = [one_round() for _ in range(args.repeat)]
    print(
        f"\nBot.process through 36 handlers with filters: {spread(per_event)} us/event "
        f"(median (min-max) of {args.repeat} x {args.number * len(events)} events)"
    )
    if args.json:
        with results_file(args.json) as results:
            results["dispatch"] = {"us_per_event": median(per_event)}


def _sdk() -> tuple[Any, list[str]] | None:
    try:
        from linebot.v3 import WebhookHandler  # type: ignore[import-not-found]
        from linebot.v3.webhooks import (  # type: ignore[import-not-found]
            JoinEvent,
            MessageEvent,
            PostbackEvent,
            TextMessageContent,
        )
    except ImportError:
        print("line-bot-sdk not installed: pip install -e '.[bench]' to compare with it")
        return None
    handler = WebhookHandler(SECRET)
    hits: list[str] = []

    @handler.add(JoinEvent)
    def join(event: Any) -> None:
        hits.append("join")

    @handler.add(MessageEvent, message=TextMessageContent)
    def text(event: Any) -> None:
        # The SDK has no command filter: the handler has to look at the text itself.
        hits.append("who" if event.message.text.startswith(("/who", "!who")) else "text")

    @handler.add(PostbackEvent)
    def postback(event: Any) -> None:
        hits.append("postback")

    return handler, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--number", type=int, default=200)
    parser.add_argument("--json", help="merge the figures into this JSON file (for report.py)")
    args = parser.parse_args()
    bot, our_hits = _ours()
    sdk = _sdk()
    loop = asyncio.new_event_loop()
    try:
        for n in (1, 10):
            import json

            body = json.dumps({"destination": "U" + "0" * 32, "events": _events(n)}).encode()
            signature = _sign(body)

            async def ours_async(body: bytes = body, signature: str = signature) -> None:
                for event in parse_webhook(body, signature, SECRET).events:
                    await bot.dispatch(bot.make_context(event))

            async def ours_batch(count: int, run: Any = ours_async) -> None:
                for _ in range(count):
                    await run()

            def ours(count: int = 1, run: Any = ours_batch) -> None:
                # In the server, dispatch runs inside an already running loop: enter the loop
                # once per batch so that loop start-up is not counted per request.
                loop.run_until_complete(run(count))

            contenders = {"linegroupbot": ours}
            if sdk is not None:
                handler = sdk[0]
                text_body = body.decode()
                contenders["line-bot-sdk WebhookHandler"] = (
                    lambda h=handler, b=text_body, s=signature: h.handle(b, s)
                )
            best: dict[str, float] = {}
            for name, fn in contenders.items():
                our_hits.clear()
                fn()
                if name == "linegroupbot":
                    assert len(our_hits) == n, our_hits
                if name == "linegroupbot":
                    times = timeit.repeat(
                        lambda fn=fn: fn(args.number), number=1, repeat=args.repeat
                    )
                else:
                    times = timeit.repeat(fn, number=args.number, repeat=args.repeat)
                best[name] = min(times) / args.number
            print(f"\n{n} event(s); best of {args.repeat} x {args.number}")
            for name, seconds in best.items():
                print(f"  {name:30s} {seconds * 1e6:9.1f} us")
            if sdk is not None:
                ratio = best["line-bot-sdk WebhookHandler"] / best["linegroupbot"]
                print(f"  linegroupbot is {ratio:.1f}x faster than the SDK")
        _per_event(args, loop)
    finally:
        loop.close()


if __name__ == "__main__":
    main()
