"""Memory: the RSS of a whole linegroupbot server over 100,000 events (memory:// store).

Run: ``python benchmarks/bench_memory.py`` (``--events`` to change the count).

The server is ``Bot(..., store="memory://").create_app()`` with a no-op message handler
in its own process (as in ``bench_stores.py``), logging as ``linegroupbot run`` does. The
client sends signed 10-event bodies, every event new (fresh ``webhookEventId``), spread
over 2,000 group chats and 6,000 senders (6,000 chat members in all: rosters, which are
data, are complete within the first tenth; per-chat and per-event structures would show
if they grew), 32 requests in flight; after each tenth of the
events it waits, bounded, until the server handled everything, then reads the server's
RSS from ``/proc`` (Linux) and how many entries the bounded structures hold. What to read:
RSS after the first tenth (imports, warm caches, the allocator's arenas) against RSS at the
end; the target is at most 5% growth.

The dedupe records are kept for a day and bounded by count (``MemoryDedupeStore``,
100,000 entries by default): over 100,000 fresh events they fill up to their bound for the
whole run, by design (about 200 bytes each). ``--dedupe-entries`` (default 10,000) sets the
server's bound lower so that it is reached in the first tenth and the growth that remains
is what is not bounded; ``--dedupe-entries 0`` keeps the default bound.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import _common
import aiohttp
from bench_stores import (
    CONCURRENCY,
    Contender,
    _idle,
    _start_server,
    _stop,
)
from bench_webhook import BOT, _events, _sign

TARGET = 5.0  # percent
CHATS = 2000
SENDERS = 6_000
_seq = itertools.count()


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/<pid>/status")


def _body() -> tuple[bytes, str]:
    events = []
    for event in _events(10):
        seq = next(_seq)
        source = {
            "type": "group",
            "groupId": "C" + f"{seq % CHATS:032x}",
            "userId": "U" + f"{seq % SENDERS:032x}",
        }
        events.append({**event, "webhookEventId": f"01MEM{seq:021d}", "source": source})
    body = json.dumps({"destination": BOT, "events": events}).encode()
    return body, _sign(body)


async def _send(session: aiohttp.ClientSession, url: str, requests: int) -> None:
    remaining = iter(range(requests))

    async def client() -> None:
        for _ in remaining:  # shared iterator: bounded by the count
            body, signature = _body()
            headers = {"content-type": "application/json", "x-line-signature": signature}
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"HTTP {response.status}")

    async with asyncio.timeout(300):
        await asyncio.gather(*(client() for _ in range(CONCURRENCY)))


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    argv = ["--loop", args.loop, "--serve", "linegroupbot", "--store", "memory://"]
    server = Contender("linegroupbot memory://", argv, expects_handled=True)
    steps = 10
    per_step = max(1, args.events // 10 // steps)  # requests of 10 events
    samples: list[tuple[int, int]] = []
    held: list[dict[str, int]] = []
    if args.dedupe_entries:
        os.environ["BENCH_DEDUPE_ENTRIES"] = str(args.dedupe_entries)
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        await _start_server(server, Path(tmp) / "server.log")
        assert server.proc is not None
        try:
            connector = aiohttp.TCPConnector(limit=CONCURRENCY)
            async with aiohttp.ClientSession(connector=connector) as session:
                for step in range(1, steps + 1):
                    await _send(session, f"{server.url}/callback", per_step)
                    report = await _idle(session, server)
                    if report.get("stuck"):
                        raise RuntimeError(f"{report['stuck']} events stuck in the queue")
                    samples.append((step * per_step * 10, _rss_kib(server.proc.pid)))
                    held.append(report.get("sizes", {}))
        finally:
            await _stop(server.proc, close_stdin=True)
    bound = args.dedupe_entries or "default"
    print(
        f"RSS of the server (loop {args.loop}), 10-event bodies, {CHATS} chats, "
        f"{SENDERS} senders, dedupe bound {bound}:"
    )
    for (events, kib), sizes in zip(samples, held, strict=True):
        counts = ", ".join(f"{k} {v}" for k, v in sizes.items())
        print(f"  after {events:7d} events: {kib / 1024:7.1f} MiB   ({counts})")
    first, last = samples[0][1], samples[-1][1]
    growth = (last - first) / first * 100
    print(f"  growth from the first tenth to the end: {growth:+.1f}% (target: within {TARGET:g}%)")
    return {"samples": samples, "growth_percent": growth, "dedupe_entries": args.dedupe_entries}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000, help="events in all")
    parser.add_argument(
        "--dedupe-entries",
        type=int,
        default=10_000,
        help="the server's dedupe bound (0: the default, 100,000)",
    )
    parser.add_argument("--loop", default="asyncio", choices=["asyncio", "uvloop"])
    parser.add_argument("--json", help="merge the figures into this JSON file (for report.py)")
    args = parser.parse_args()
    if args.loop == "uvloop" and not _common.have_uvloop():
        sys.exit("uvloop is not installed: pip install -e '.[uvloop]'")
    _common.pin(0)
    with _common.results_file(args.json) as results:
        results[f"memory/{args.loop}"] = asyncio.run(_run(args))


if __name__ == "__main__":
    main()
