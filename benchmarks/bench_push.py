"""Outbound pushes: ``LineClient.push`` vs raw aiohttp against a loopback fake of LINE.

Run: ``python benchmarks/bench_push.py`` (``--loop both`` with the ``uvloop`` extra).

The fake (this script with ``--serve``, in its own process, pinned to one CPU) answers
``POST /v2/bot/message/push`` at once with LINE's shape (a request ID header and
``sentMessages``). In this process (pinned to the other CPU) two contenders send the same
one-text-message push, interleaved round by round, at 1 and 32 requests in flight:

- raw aiohttp: one ``ClientSession``, ``session.post`` with the JSON bytes, the bearer
  header and a fresh ``X-Line-Retry-Key``, then read and decode the answer;
- ``LineClient.push(chat_id, "hello")``: message validation, a retry key per call, the
  retry policy and the rate limiter on (its limit raised to 100,000/s so that the harness
  measures the limiter's cost, not LINE's 2,000/s quota: every request still takes a slot
  and holds it for the second after its answer), the answer structured into a
  ``SendResult``, logging configured as ``linegroupbot run`` does (INFO).

Requests/s are medians over rounds with min-max, and the ratio is taken round by round
(its interquartile range shows how far most rounds stray). Before every round the
garbage collector runs, so that neither contender pays for the other's garbage, and the
objects made while warming up are frozen out of later collections. Every round is a
fixed number of requests, every wait is bounded.

On a machine that other work shares, a round's requests/s moves with whatever else got the
CPU meanwhile; the client CPU time per push (this process's own) moves far less: read the
two ratios together.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import _common
import aiohttp
import orjson
from aiohttp import web

SCRIPT = Path(__file__).resolve()
HOST = "127.0.0.1"
TOKEN = "benchmark-access-token"
CHAT = "C" + "0" * 32
RAW = "raw aiohttp"
OURS = "LineClient.push"
TARGET = 0.9
REQUESTS_PER_NUMBER = 200
ROUNDS = 15
SERVE_LIMIT = 600.0  # seconds: the fake exits after this even if forgotten


async def _serve() -> None:
    counter = 0
    answer = orjson.dumps({"sentMessages": [{"id": "500000000000", "quoteToken": "q"}]})

    async def push(request: web.Request) -> web.StreamResponse:
        nonlocal counter
        await request.read()
        counter += 1
        return web.Response(
            body=answer,
            content_type="application/json",
            headers={"x-line-request-id": f"req-{counter}"},
        )

    app = web.Application()
    app.router.add_post("/v2/bot/message/push", push)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    print(f"BENCH_PORT {runner.addresses[0][1]} {_common.pinned_to()}", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(reader.read(), SERVE_LIMIT)
    await runner.cleanup()


async def _start_fake() -> tuple[asyncio.subprocess.Process, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        "--serve",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    async with asyncio.timeout(30):
        line = await proc.stdout.readline()
    if not line.startswith(b"BENCH_PORT "):
        raise RuntimeError(f"the fake did not start: {line!r}")
    _, port, cpus = line.decode().split()
    return proc, f"http://{HOST}:{int(port)}", cpus


async def _drive(send: Any, count: int, concurrency: int) -> tuple[float, float]:
    """Requests/s and this process's CPU us per request, ``concurrency`` in flight."""
    remaining = iter(range(count))

    async def one_client() -> None:
        for _ in remaining:  # shared iterator: bounded by count
            await send()

    started, cpu = time.perf_counter(), time.process_time()
    async with asyncio.timeout(120):
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
    return count / (time.perf_counter() - started), (time.process_time() - cpu) / count * 1e6


async def _measure(base: str, args: argparse.Namespace) -> dict[str, Any]:
    from linegroupbot import LineClient, configure_logging

    configure_logging("json", "INFO")  # as `linegroupbot run` does by default
    payload = {
        "to": CHAT,
        "messages": [{"type": "text", "text": "hello"}],
        "notificationDisabled": False,
    }
    url = base + "/v2/bot/message/push"
    session = aiohttp.ClientSession()
    client = LineClient(TOKEN, api_base_url=base, rate_limits={"default": 100_000})

    async def raw() -> None:
        headers = {
            "Authorization": f"Bearer {TOKEN}",
            "Content-Type": "application/json",
            "X-Line-Retry-Key": str(uuid.uuid4()),
        }
        async with session.post(url, data=orjson.dumps(payload), headers=headers) as resp:
            data = await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"HTTP {resp.status}")
            orjson.loads(data)

    async def ours() -> None:
        result = await client.push(CHAT, "hello")
        if not result.sent_messages:
            raise RuntimeError("no sentMessages")

    contenders = {RAW: raw, OURS: ours}
    count = max(1, REQUESTS_PER_NUMBER * args.number)
    out: dict[str, Any] = {}
    try:
        for concurrency in (1, 32):
            for send in contenders.values():  # warm up: connections, first calls
                await _drive(send, min(count, 64), concurrency)
            gc.collect()
            gc.freeze()  # what lives on (sessions, pools, caches) is not scanned again
            rps: dict[str, list[float]] = {name: [] for name in contenders}
            cpu: dict[str, list[float]] = {name: [] for name in contenders}
            for r in range(args.repeat):
                for name in _common.rotated(list(contenders), r):
                    gc.collect()
                    rate, us = await _drive(contenders[name], count, concurrency)
                    rps[name].append(rate)
                    cpu[name].append(us)
            out[str(concurrency)] = (rps, cpu)
    finally:
        gc.unfreeze()
        await client.close()
        await session.close()
    return out


def _quartiles(values: list[float]) -> tuple[float, float]:
    """The first and third quartiles (both the value itself for fewer than two)."""
    if len(values) < 2:
        return (values[0], values[0]) if values else (0.0, 0.0)
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q3


def _report(loop: str, figures: dict[str, Any], repeat: int, count: int) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    print(f"\nevent loop: {loop}; median (min-max) of {repeat} round(s) of {count} pushes")
    for concurrency, (rps, cpu) in figures.items():
        ratio = _common.ratios(rps[OURS], rps[RAW])
        cpu_ratio = _common.ratios(cpu[RAW], cpu[OURS])
        print(f"  concurrency {concurrency}:")
        for name, values in rps.items():
            print(
                f"    {name:18s} {_common.spread(values):>24s} req/s  "
                f"{_common.spread(cpu[name]):>22s} client CPU us/push"
            )
        q1, q3 = _quartiles(ratio)
        print(
            f"    LineClient.push is {_common.spread(ratio)}x raw aiohttp in req/s "
            f"(interquartile {q1:.2f}-{q3:.2f}; target >= {TARGET}x), "
            f"{_common.spread(cpu_ratio)}x in CPU per push"
        )
        summary[concurrency] = {
            "raw_rps": _common.median(rps[RAW]),
            "ours_rps": _common.median(rps[OURS]),
            "ratio": _common.median(ratio),
            "ratio_min": min(ratio) if ratio else None,
            "ratio_max": max(ratio) if ratio else None,
            "ratio_q1": q1,
            "ratio_q3": q3,
            "rounds": len(ratio),
            "raw_cpu_us": _common.median(cpu[RAW]),
            "ours_cpu_us": _common.median(cpu[OURS]),
            "cpu_ratio": _common.median(cpu_ratio),
        }
    return summary


async def _main_async(args: argparse.Namespace, loop: str) -> dict[str, Any]:
    proc, base, fake_cpus = await _start_fake()
    client_cpus = _common.pinned_to()
    where = (
        f"client on CPU {client_cpus}, fake on CPU {fake_cpus}"
        if client_cpus != fake_cpus
        else f"client and fake share CPU {client_cpus}: the figures mix their costs"
    )
    print(f"\n{loop}: {where}")
    try:
        return await _measure(base, args)
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=ROUNDS, help="interleaved rounds")
    parser.add_argument(
        "--number", type=int, default=5, help=f"pushes per round, x{REQUESTS_PER_NUMBER}"
    )
    parser.add_argument("--loop", default="asyncio", choices=["asyncio", "uvloop", "both"])
    parser.add_argument("--json", help="merge the figures into this JSON file (for report.py)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _common.pin(1)
        # The fake runs on uvloop when it is installed: the faster the fake, the more of
        # the client's own cost the ratio shows.
        _common.run(_serve(), "uvloop" if _common.have_uvloop() else "asyncio")
        return
    _common.pin(0)
    count = max(1, REQUESTS_PER_NUMBER * args.number)
    print(f"Pushes to a loopback fake of LINE on {HOST} (fake and client pinned to one CPU each)")
    with _common.results_file(args.json) as results:
        for loop in _common.loops_from(args.loop):
            figures = _common.run(_main_async(args, loop), loop)
            results[f"push/{loop}"] = _report(loop, figures, args.repeat, count)


if __name__ == "__main__":
    main()
