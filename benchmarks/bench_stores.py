"""Whole-server webhook throughput on loopback: bare aiohttp vs the SDK pattern vs each store.

Run: ``python benchmarks/bench_stores.py`` (the SDK contender needs the ``bench`` extra;
the Redis ones need ``redis-server`` on PATH: the script starts its own on a free
127.0.0.1 port, with no persistence, and stops it at the end).

What: requests/s, p50/p99 latency and events handled/s of a complete HTTP server
answering signed LINE webhooks (1-event and 10-event bodies), for

- bare aiohttp: read the body, answer 200 (the ceiling of this harness);
- the official SDK's aiohttp pattern: ``WebhookParser.parse`` then 200, each event
  handed to a background task that does nothing;
- linegroupbot ``Bot(..., store=URL).create_app()`` with a no-op message handler, for
  ``memory://``, ``sqlite:///<tmp>/bench.db`` and ``redis://127.0.0.1:<port>/0``;
- linegroupbot as a Redis receiver only (``Runtime(bot, store=..., role="receiver")``):
  verify, parse, enqueue, answer; no worker. It uses database 1, so that the Redis
  bot above (database 0) does not handle its events in the background.

How: every server runs in its own subprocess (this script with ``--serve``), started
once and kept for the whole run, so the load generator and the server never share an
event loop or a core's worth of Python. The load generator (``--client``) is ``wrk``
when it is on PATH (``apt-get install wrk``), else an aiohttp ``ClientSession`` in this
process; both keep 32 requests in flight on keep-alive connections. The aiohttp client
tops out near the bare server's rate (its "client CPU" is near 100%), so with it the
"x bare" ratio by requests/s flatters every contender; wrk does not, and the ratios of
server CPU per request ("CPU ratios" below the table) do not depend on the client at all.
Each request carries a fresh body (new ``webhookEventId`` values, so dedupe skips
nothing; events spread over 64 group chats) signed with the channel secret; bodies are
made before the clock starts. With the aiohttp client a round sends a fixed number of
requests (``--number`` scales it); with wrk a round lasts ``0.3 x --number`` seconds
(at least 1) and cycles through a pool of bodies, sized from the rate seen so far so
that linegroupbot's (which dedupes) never sees a body twice (a round that did is
flagged). Rounds go to one contender and body size; rounds are interleaved (every
contender, then the next round, in rotating order) and medians of rounds are
reported, since a shared 2-core machine is noisy. After the last answer
the client asks the server (``GET /bench/idle``) to wait, bounded, until every event
was handled (``runtime.wait_idle()``, which polls every 10 ms); "handled ev/s" is
the events of the round over the time from the first request to that answer. If
events stay queued with nothing in flight and no progress for a second, the server
answers with how many are stuck: the table then shows no handled ev/s for that
contender and says how many events were never handled (a bug, not a speed).
linegroupbot logs as ``linegroupbot run --log-format json`` sets it up (INFO, JSON
lines to stderr); no contender writes access logs. "srv us/req" is the server
process's CPU time per request (handling included), "redis us/req" the
redis-server's (from /proc, Linux only), "client CPU" the load generator's CPU time
over wall time: near 100% means the client, not the server, sets the pace (so the
bare ceiling is a ceiling of this harness, not of aiohttp).
Every loop is bounded in count and every wait in time. ``BENCH_PROFILE=/tmp/prof``
in the environment writes each server's cProfile statistics to ``/tmp/prof.<kind>.<pid>``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import itertools
import json
import os
import resource
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _common
import aiohttp
from aiohttp import web
from bench_webhook import BOT, SECRET, _events, _sign

SCRIPT = Path(__file__).resolve()
HOST = "127.0.0.1"
CONCURRENCY = 32
CHATS = 64
REQUESTS_PER_NUMBER = 150
WARMUP_REQUESTS = 64
ROUND_TIMEOUT = 120.0  # seconds: one round's requests
IDLE_TIMEOUT = 30.0  # seconds: waiting for the server to handle what it accepted
STALL_AFTER = 1.0  # seconds without progress, nothing in flight, events queued: stuck
START_TIMEOUT = 30.0  # seconds: a server subprocess printing its port
SERVE_LIMIT = 1800.0  # seconds: a server subprocess exits after this even if forgotten
SIZES = (1, 10)
WRK_POOL_FLOOR = 4000  # bodies: the least a round of a deduping contender gets under wrk
WRK_POOL_PLAIN = 512  # bodies: for contenders that do not dedupe, cycled
WRK_SCRIPT = r"""
local reqs, n, i = {}, 0, 0
function init(args)
  for line in io.lines(args[1]) do
    local tab = line:find("\t", 1, true)
    n = n + 1
    reqs[n] = wrk.format("POST", "/callback", {
      ["Content-Type"] = "application/json",
      ["X-Line-Signature"] = line:sub(1, tab - 1),
    }, line:sub(tab + 1))
  end
end
function request()
  i = i % n + 1
  return reqs[i]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH_WRK %d %d %d %d %d\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout + e.status,
    latency:percentile(50), latency:percentile(99)))
end
"""

BARE = "bare aiohttp"
SDK = "line-bot-sdk WebhookParser"
TARGETS = {  # contender: minimum ratio to bare aiohttp (requests/s, 10-event body)
    "linegroupbot memory://": 0.6,
    "linegroupbot sqlite": 0.3,
    "linegroupbot redis": 0.3,
    "linegroupbot redis receiver": 0.3,
}
SDK_TARGETS = {  # contender: minimum ratio to the SDK pattern (requests/s, 10-event body)
    "linegroupbot memory://": 6.0,
    "linegroupbot sqlite": 3.0,
    "linegroupbot redis": 3.0,
    "linegroupbot redis receiver": 3.0,
}


# --- the servers (run in subprocesses) --------------------------------------------------------


def _bare_app() -> tuple[web.Application, Any]:
    async def callback(request: web.Request) -> web.StreamResponse:
        await request.read()
        return web.Response(text="OK")

    app = web.Application()
    app.router.add_post("/callback", callback)

    async def idle() -> dict[str, Any]:
        return {"handled": None}

    return app, idle


def _sdk_app() -> tuple[web.Application, Any]:
    from linebot.v3 import WebhookParser  # type: ignore[import-not-found]
    from linebot.v3.exceptions import InvalidSignatureError  # type: ignore[import-not-found]

    parser = WebhookParser(SECRET)
    tasks: set[asyncio.Task[None]] = set()
    handled = 0

    async def handle(event: Any) -> None:
        nonlocal handled
        handled += 1

    async def callback(request: web.Request) -> web.StreamResponse:
        # The SDK's aiohttp example: text body, parse (verifies), then handle the events.
        signature = request.headers["x-line-signature"]
        body = await request.text()
        try:
            events = parser.parse(body, signature)
        except InvalidSignatureError:
            return web.Response(status=400, text="Invalid signature")
        for event in events:
            task = asyncio.create_task(handle(event))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        return web.Response(text="OK")

    app = web.Application()
    app.router.add_post("/callback", callback)

    async def idle() -> dict[str, Any]:
        if tasks:
            await asyncio.wait(set(tasks), timeout=IDLE_TIMEOUT)
        return {"handled": handled}

    return app, idle


def _linegroupbot_app(store: str, role: str) -> tuple[web.Application, Any]:
    from linegroupbot import Bot, Context
    from linegroupbot.runtime import Runtime

    bot = Bot(SECRET, "token", api_base_url="http://127.0.0.1:9", store=store)

    @bot.on_message
    async def noop(ctx: Context) -> None:
        return None

    if role == "all":
        app = bot.create_app()
        runtime = bot.runtime
    else:
        runtime = Runtime(bot, store=store, role="receiver")
        app = runtime.create_app()
    assert runtime is not None
    dedupe = getattr(runtime.store, "dedupe", None)
    bound = os.environ.get("BENCH_DEDUPE_ENTRIES")  # bench_memory.py: a smaller bound
    if bound and dedupe is not None:
        dedupe.max_entries = int(bound)

    def sizes() -> dict[str, int]:
        """How many entries the bounded structures hold (bench_memory.py reports them)."""
        worker = runtime.worker
        return {
            "dedupe": len(dedupe) if dedupe is not None else -1,
            "roster_seen": len(bot._roster_seen),
            "worker_chats": len(worker._chats) if worker is not None else -1,
        }

    async def idle() -> dict[str, Any]:
        report = await _idle_report()
        report["sizes"] = sizes()
        return report

    async def _idle_report() -> dict[str, Any]:
        worker = runtime.worker
        received = runtime.receiver.received if runtime.receiver is not None else 0
        if worker is None:
            return {"handled": None, "received": received}
        for _ in range(int(IDLE_TIMEOUT / STALL_AFTER)):
            progress, cpu = worker.handled, time.process_time()
            try:
                await runtime.wait_idle(timeout=STALL_AFTER)
            except TimeoutError:
                if worker.handled == progress and runtime.in_flight == 0:
                    # Queued events nobody is handling: report them instead of waiting, and
                    # the CPU time before this last wait (which only polled the store).
                    stuck = (await runtime.store.stats()).depth
                    return {"handled": progress, "received": received, "stuck": stuck, "cpu": cpu}
            else:
                return {"handled": worker.handled, "received": received, "stuck": 0}
        raise web.HTTPInternalServerError(text=f"not idle after {IDLE_TIMEOUT} s")

    return app, idle


async def _serve(kind: str, store: str, role: str) -> None:
    if kind == "bare":
        app, idle = _bare_app()
    elif kind == "sdk":
        app, idle = _sdk_app()
    else:
        from linegroupbot import configure_logging

        # As ``linegroupbot run --log-format json`` does: INFO and up, to stderr (stdout is
        # for the port line). Unconfigured structlog would render every debug line.
        configure_logging("json", "INFO")
        app, idle = _linegroupbot_app(store, role)

    async def idle_route(request: web.Request) -> web.StreamResponse:
        report = await idle()
        report.setdefault("cpu", time.process_time())
        return web.json_response(report)

    app.router.add_get("/bench/idle", idle_route)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, HOST, 0)
        await site.start()
        port = runner.addresses[0][1]
        if kind == "linegroupbot":  # as Runtime.serve (``linegroupbot run``) does once started
            from linegroupbot.serving import freeze_startup_objects

            freeze_startup_objects()
        print(f"BENCH_PORT {port}", flush=True)
        # Serve until the parent closes our stdin (or dies), bounded in time.
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(reader.read(), SERVE_LIMIT)
    finally:
        await runner.cleanup()


# --- the load generator -----------------------------------------------------------------------


@dataclass
class Contender:
    name: str
    argv: list[str]
    expects_handled: bool
    redis: bool = False
    proc: asyncio.subprocess.Process | None = None
    url: str = ""
    log: Path | None = None
    rps_seen: dict[int, float] = field(default_factory=dict)  # body size: best rate so far

    @property
    def dedupes(self) -> bool:
        """Whether a body sent twice would be skipped (so wrk must not repeat one)."""
        return self.name.startswith("linegroupbot")


@dataclass
class Sample:
    rps: float
    p50: float
    p99: float
    handled_eps: float | None
    server_us: float
    redis_us: float | None
    client_cpu: float
    events: int
    unhandled: int
    repeated: bool = False  # wrk sent some body twice (dedupe skipped work): not comparable


@dataclass
class Results:
    samples: dict[tuple[str, int], list[Sample]] = field(default_factory=dict)

    def add(self, name: str, size: int, sample: Sample) -> None:
        self.samples.setdefault((name, size), []).append(sample)

    def median(self, name: str, size: int, attr: str) -> float | None:
        values = [getattr(s, attr) for s in self.samples.get((name, size), [])]
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None


_ids = itertools.count()


def _bodies(count: int, size: int) -> list[tuple[bytes, str]]:
    """``count`` signed bodies of ``size`` events each, every event with a fresh ID."""
    template = _events(size)
    out: list[tuple[bytes, str]] = []
    for _ in range(count):
        events = []
        for event in template:
            seq = next(_ids)
            source = {**event["source"], "groupId": "C" + f"{seq % CHATS:032x}"}
            events.append({**event, "webhookEventId": f"01BENCH{seq:019d}", "source": source})
        body = json.dumps({"destination": BOT, "events": events}).encode()
        out.append((body, _sign(body)))
    return out


def _percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _cpu_of(pid: int) -> float | None:
    """CPU seconds (user + system) of another process, from /proc (None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _idle(session: aiohttp.ClientSession, contender: Contender) -> dict[str, Any]:
    async with session.get(f"{contender.url}/bench/idle") as response:
        if response.status != 200:
            text = await response.text()
            raise RuntimeError(f"{contender.name}: HTTP {response.status} {text[:500]}")
        return await response.json()


async def _round(
    session: aiohttp.ClientSession,
    contender: Contender,
    size: int,
    count: int,
    redis_pid: int | None,
) -> Sample:
    bodies = _bodies(count, size)
    url = f"{contender.url}/callback"
    latencies: list[float] = []
    failures: list[str] = []
    pending: Iterator[tuple[bytes, str]] = iter(bodies)

    async def client() -> None:
        for body, signature in pending:  # shared iterator: bounded by the bodies
            headers = {"content-type": "application/json", "x-line-signature": signature}
            start = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    failures.append(f"HTTP {response.status}")
            latencies.append(time.perf_counter() - start)

    before = await _idle(session, contender)
    redis_before = _cpu_of(redis_pid) if redis_pid is not None else None
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    async with asyncio.timeout(ROUND_TIMEOUT):
        await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
    t1 = time.perf_counter()
    cpu1 = time.process_time()
    after = await _idle(session, contender)
    t2 = time.perf_counter()
    redis_after = _cpu_of(redis_pid) if redis_pid is not None else None
    if failures:
        raise RuntimeError(f"{contender.name}: {len(failures)} failed requests: {failures[:3]}")
    events = count * size
    handled_eps = None
    unhandled = 0
    if contender.expects_handled:
        handled = after["handled"] - before["handled"]
        unhandled = events - handled
        if after.get("stuck"):
            handled_eps = None  # not an end-to-end rate: some events are stuck in the queue
        elif unhandled:
            raise RuntimeError(f"{contender.name}: handled {handled} of {events} events")
        else:
            handled_eps = events / (t2 - t0)
    elif "received" in after:
        received = after["received"] - before["received"]
        if received != events:
            raise RuntimeError(f"{contender.name}: queued {received} of {events} events")
    redis_us = None
    if redis_before is not None and redis_after is not None and contender.redis:
        redis_us = (redis_after - redis_before) / count * 1e6
    contender.rps_seen[size] = max(contender.rps_seen.get(size, 0.0), count / (t1 - t0))
    return Sample(
        rps=count / (t1 - t0),
        p50=_percentile(latencies, 50) * 1e3,
        p99=_percentile(latencies, 99) * 1e3,
        handled_eps=handled_eps,
        server_us=(after["cpu"] - before["cpu"]) / count * 1e6,
        redis_us=redis_us,
        client_cpu=(cpu1 - cpu0) / (t1 - t0),
        events=events,
        unhandled=unhandled,
    )


async def _wrk_round(
    session: aiohttp.ClientSession,
    contender: Contender,
    size: int,
    seconds: int,
    redis_pid: int | None,
    tmp: Path,
) -> Sample:
    """One round under wrk: ``seconds`` of load, 32 connections, bodies from a pool."""
    if contender.dedupes:
        pool = max(WRK_POOL_FLOOR, int(contender.rps_seen.get(size, 0) * seconds * 4))
    else:
        pool = WRK_POOL_PLAIN
    data = tmp / "wrk-bodies.txt"
    with data.open("w") as out:
        for body, signature in _bodies(pool, size):
            out.write(f"{signature}\t{body.decode()}\n")
    script = tmp / "bench.lua"
    if not script.exists():
        script.write_text(WRK_SCRIPT)
    before = await _idle(session, contender)
    redis_before = _cpu_of(redis_pid) if redis_pid is not None else None
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        "wrk",
        *("-t1", f"-c{CONCURRENCY}", f"-d{seconds}s", "--timeout", "10s"),
        *("-s", str(script), f"{contender.url}/callback", "--", str(data)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with asyncio.timeout(seconds + ROUND_TIMEOUT):
            output, _ = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    t1 = time.perf_counter()
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    after = await _idle(session, contender)
    t2 = time.perf_counter()
    redis_after = _cpu_of(redis_pid) if redis_pid is not None else None
    line = next((ln for ln in output.decode().splitlines() if ln.startswith("BENCH_WRK ")), None)
    if line is None:
        raise RuntimeError(f"{contender.name}: wrk said {output.decode()[-1000:]}")
    count, duration_us, errors, p50_us, p99_us = (int(x) for x in line.split()[1:])
    if errors or not count:
        raise RuntimeError(f"{contender.name}: wrk counted {errors} errors of {count} requests")
    elapsed = duration_us / 1e6
    handled_eps = None
    unhandled = 0
    # Requests cut off when wrk stops may still have reached the server: the server's
    # counts are the truth for events; wrk's for answered requests.
    events = count * size
    if "received" in after and after["received"] is not None:
        events = max(events, after["received"] - before["received"])
    repeated = contender.dedupes and count > pool
    if contender.expects_handled:
        handled = after["handled"] - before["handled"]
        if after.get("stuck"):
            unhandled = events - handled
        elif repeated:
            pass  # bodies sent twice were skipped as duplicates: no handled rate
        elif handled < count * size:
            raise RuntimeError(f"{contender.name}: handled {handled} of {count * size} events")
        else:
            handled_eps = handled / (t2 - t0)
    redis_us = None
    if redis_before is not None and redis_after is not None and contender.redis:
        redis_us = (redis_after - redis_before) / count * 1e6
    client = (children1.ru_utime + children1.ru_stime) - (children0.ru_utime + children0.ru_stime)
    rps = count / elapsed
    contender.rps_seen[size] = max(contender.rps_seen.get(size, 0.0), rps)
    return Sample(
        rps=rps,
        p50=p50_us / 1e3,
        p99=p99_us / 1e3,
        handled_eps=handled_eps,
        server_us=(after["cpu"] - before["cpu"]) / count * 1e6,
        redis_us=redis_us,
        client_cpu=client / (t1 - t0),
        events=events,
        unhandled=unhandled,
        repeated=repeated,
    )


# --- process management -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


async def _start_redis(tmp: Path) -> tuple[asyncio.subprocess.Process, int]:
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        "redis-server",
        *("--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"),
        *("--dir", str(tmp)),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    for _ in range(100):  # up to ~10 s
        if proc.returncode is not None:
            raise RuntimeError(f"redis-server exited with code {proc.returncode}")
        with contextlib.suppress(OSError, TimeoutError):
            reader, writer = await asyncio.open_connection(HOST, port)
            try:
                writer.write(b"PING\r\n")
                line = await asyncio.wait_for(reader.readline(), 1.0)
            finally:
                writer.close()
            if line.startswith(b"+PONG"):
                return proc, port
        await asyncio.sleep(0.1)
    await _stop(proc, close_stdin=False)
    raise RuntimeError("redis-server did not answer PING within 10 s")


async def _stop(proc: asyncio.subprocess.Process | None, *, close_stdin: bool) -> None:
    if proc is None or proc.returncode is not None:
        return
    if close_stdin and proc.stdin is not None:
        proc.stdin.close()
    else:
        proc.terminate()
    try:
        await asyncio.wait_for(proc.wait(), 15.0)
    except TimeoutError:
        proc.kill()
        await proc.wait()


async def _start_server(contender: Contender, log: Path) -> None:
    contender.log = log
    with log.open("wb") as stderr:
        contender.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(SCRIPT),
            *contender.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
        )
    assert contender.proc.stdout is not None
    try:
        async with asyncio.timeout(START_TIMEOUT):
            for _ in range(1000):  # lines before the port line (there should be none)
                line = await contender.proc.stdout.readline()
                if not line:
                    break
                if line.startswith(b"BENCH_PORT "):
                    contender.url = f"http://{HOST}:{int(line.split()[1])}"
                    return
    except TimeoutError:
        pass
    raise RuntimeError(
        f"{contender.name}: the server did not start:\n{contender.log.read_text()[-2000:]}"
    )


def _contenders(tmp: Path, redis_port: int | None, only: set[str], loop: str) -> list[Contender]:
    """The selected contenders, their servers on ``loop`` (named with it unless asyncio)."""
    suffix = "" if loop == "asyncio" else f" [{loop}]"
    lgb = ["--loop", loop, "--serve", "linegroupbot", "--store"]
    out = []
    if "bare" in only:
        out.append(Contender(BARE + suffix, ["--loop", loop, "--serve", "bare"], False))
    if "sdk" not in only:
        pass
    elif importlib.util.find_spec("linebot") is None:
        print("line-bot-sdk not installed: pip install -e '.[bench]' to compare with it")
    else:
        out.append(Contender(SDK + suffix, ["--loop", loop, "--serve", "sdk"], True))
    if "memory" in only:
        out.append(Contender("linegroupbot memory://" + suffix, [*lgb, "memory://"], True))
    if "sqlite" in only:
        sqlite = f"sqlite:///{tmp}/bench-{loop}.db"
        out.append(Contender("linegroupbot sqlite" + suffix, [*lgb, sqlite], True))
    if redis_port is not None:
        base = f"redis://{HOST}:{redis_port}"
        db = 0 if loop == "asyncio" else 2
        if "redis" in only:
            out.append(
                Contender("linegroupbot redis" + suffix, [*lgb, f"{base}/{db}"], True, redis=True)
            )
        if "receiver" in only:
            receiver = [*lgb, f"{base}/{db + 1}", "--role", "receiver"]
            out.append(
                Contender("linegroupbot redis receiver" + suffix, receiver, False, redis=True)
            )
    return out


# --- reporting --------------------------------------------------------------------------------


def _fmt(value: float | None, spec: str, width: int) -> str:
    return f"{value:{width}{spec}}" if value is not None else f"{'-':>{width}}"


def _report(
    results: Results, contenders: list[Contender], size: int, rounds: str
) -> dict[str, Any]:
    print(f"\n{size} event(s) per request; median of {rounds}")
    print(
        f"  {'contender':30s} {'req/s':>8s} {'ev/s':>8s} {'p50 ms':>7s} {'p99 ms':>7s} "
        f"{'handled ev/s':>12s} {'srv us/req':>10s} {'redis us/req':>12s} {'client CPU':>10s}"
    )
    for c in contenders:
        rps = results.median(c.name, size, "rps")
        cpu = results.median(c.name, size, "client_cpu")
        print(
            f"  {c.name:30s} {_fmt(rps, '.0f', 8)} {_fmt(rps and rps * size, '.0f', 8)} "
            f"{_fmt(results.median(c.name, size, 'p50'), '.1f', 7)} "
            f"{_fmt(results.median(c.name, size, 'p99'), '.1f', 7)} "
            f"{_fmt(results.median(c.name, size, 'handled_eps'), '.0f', 12)} "
            f"{_fmt(results.median(c.name, size, 'server_us'), '.0f', 10)} "
            f"{_fmt(results.median(c.name, size, 'redis_us'), '.0f', 12)} "
            f"{_fmt(cpu and cpu * 100, '.0f', 9)}%"
        )
    for c in contenders:
        samples = results.samples.get((c.name, size), [])
        repeated = sum(1 for s in samples if s.repeated)
        if repeated:
            print(
                f"  ! {c.name}: in {repeated} round(s) wrk ran out of fresh bodies and sent "
                "some twice (dedupe skipped them): its rates there are too high"
            )
        unhandled = sum(s.unhandled for s in samples)
        if unhandled:
            total = sum(s.events for s in samples)
            print(
                f"  ! {c.name}: {unhandled} of {total} events were never handled (they stay "
                f"queued, nothing in flight, no progress for {STALL_AFTER:g} s): no handled ev/s"
            )
    print(
        "  requests/s ratios, median (min-max) of per-round ratios"
        + (" (headline)" if size == max(SIZES) else "")
        + ":"
    )
    summary: dict[str, Any] = {}
    for c in contenders:
        base_name, _, loop = c.name.partition(" [")
        suffix = f" [{loop}" if loop else ""
        rps = _rates(results, c.name, size)
        summary[c.name] = {
            "rps": _common.median(rps),
            "p50_ms": results.median(c.name, size, "p50"),
            "p99_ms": results.median(c.name, size, "p99"),
            "handled_eps": results.median(c.name, size, "handled_eps"),
            "server_us_per_request": results.median(c.name, size, "server_us"),
        }
        bare = _rates(results, BARE + suffix, size)
        sdk = _rates(results, SDK + suffix, size)
        if base_name == SDK and bare:
            ratio = _common.ratios(rps, bare)
            summary[c.name]["vs_bare"] = _common.median(ratio)
            print(f"    {c.name:30s} {_common.spread(ratio):>17s}x bare aiohttp")
        if base_name not in TARGETS:
            continue
        line = f"    {c.name:30s}"
        if bare:
            ratio = _common.ratios(rps, bare)
            summary[c.name]["vs_bare"] = _common.median(ratio)
            line += f" {_common.spread(ratio):>17s}x bare aiohttp (target >= {TARGETS[base_name]}x)"
        if sdk:
            ratio = _common.ratios(rps, sdk)
            summary[c.name]["vs_sdk"] = _common.median(ratio)
            target = SDK_TARGETS[base_name]
            line += f"  {_common.spread(ratio):>17s}x the SDK pattern (target >= {target:g}x)"
        print(line)
    return summary


def _cpu_report(results: Results, contenders: list[Contender], size: int) -> dict[str, Any]:
    """Ratios of server CPU per request (the reference's over the contender's), per round."""
    print("  server CPU per request ratios (higher: less CPU than the reference):")
    summary: dict[str, Any] = {}
    for c in contenders:
        base_name, _, loop = c.name.partition(" [")
        if base_name not in TARGETS:
            continue
        suffix = f" [{loop}" if loop else ""
        mine = _cpus(results, c.name, size)
        line = f"    {c.name:30s}"
        summary[c.name] = {}
        for label, ref in (("bare aiohttp", BARE), ("the SDK pattern", SDK)):
            theirs = _cpus(results, ref + suffix, size)
            if not theirs:
                continue
            ratio = _common.ratios(theirs, mine)
            key = "cpu_vs_bare" if ref == BARE else "cpu_vs_sdk"
            summary[c.name][key] = _common.median(ratio)
            line += f" {_common.spread(ratio):>17s}x {label}"
        print(line)
    return summary


def _cpus(results: Results, name: str, size: int) -> list[float]:
    return [s.server_us for s in results.samples.get((name, size), [])]


def _rates(results: Results, name: str, size: int) -> list[float]:
    return [s.rps for s in results.samples.get((name, size), [])]


# --- main -------------------------------------------------------------------------------------


async def _run(args: argparse.Namespace) -> None:
    count = max(1, REQUESTS_PER_NUMBER * args.number)
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk") is not None)
    if args.client == "wrk" and shutil.which("wrk") is None:
        raise SystemExit("wrk is not on PATH (apt-get install wrk), or use --client aiohttp")
    with tempfile.TemporaryDirectory(prefix="bench-stores-") as tmp_name:
        tmp = Path(tmp_name)
        redis_proc: asyncio.subprocess.Process | None = None
        redis_port: int | None = None
        contenders: list[Contender] = []
        try:
            only = set(args.only.split(","))
            if not only & {"redis", "receiver"}:
                pass
            elif shutil.which("redis-server") is None:
                print("redis-server not on PATH: skipping the Redis store")
            else:
                redis_proc, redis_port = await _start_redis(tmp)
            loops = _common.loops_from(args.loop)
            contenders = [c for loop in loops for c in _contenders(tmp, redis_port, only, loop)]
            started = await asyncio.gather(
                *(_start_server(c, tmp / f"server-{i}.log") for i, c in enumerate(contenders)),
                return_exceptions=True,  # let every start finish, so that finally stops all
            )
            for outcome in started:
                if isinstance(outcome, BaseException):
                    raise outcome
            redis_pid = redis_proc.pid if redis_proc is not None else None
            connector = aiohttp.TCPConnector(limit=CONCURRENCY)
            async with aiohttp.ClientSession(connector=connector) as session:
                seconds = max(1, round(0.3 * args.number))
                for c in contenders:  # warm up: connections, imports, first queries
                    for size in SIZES:
                        await _round(session, c, size, WARMUP_REQUESTS, redis_pid)
                        if use_wrk:  # and the rate that sizes wrk's pool of bodies
                            await _wrk_round(session, c, size, 1, redis_pid, tmp)
                results = Results()
                for r in range(args.repeat):
                    for size in SIZES:
                        shift = r % len(contenders)
                        for c in contenders[shift:] + contenders[:shift]:
                            if use_wrk:
                                sample = await _wrk_round(session, c, size, seconds, redis_pid, tmp)
                            else:
                                sample = await _round(session, c, size, count, redis_pid)
                            results.add(c.name, size, sample)
            if use_wrk:
                how = f"wrk, {CONCURRENCY} connections, {seconds} s per round"
            else:
                how = f"aiohttp, {CONCURRENCY} requests in flight, {count} requests per round"
            print(f"Webhook servers on {HOST}, one subprocess each; client: {how}")
            with _common.results_file(args.json) as out:
                for size in SIZES:
                    rounds = f"{args.repeat} round(s)"
                    out[f"app/{size}"] = _report(results, contenders, size, rounds)
                    for name, extra in _cpu_report(results, contenders, size).items():
                        out[f"app/{size}"][name].update(extra)
        finally:
            await asyncio.gather(
                *(_stop(c.proc, close_stdin=True) for c in contenders), return_exceptions=True
            )
            await _stop(redis_proc, close_stdin=False)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5, help="interleaved rounds")
    parser.add_argument(
        "--number", type=int, default=10, help=f"requests per round, x{REQUESTS_PER_NUMBER}"
    )
    parser.add_argument(
        "--only",
        default="bare,sdk,memory,sqlite,redis,receiver",
        help="contenders to run, comma-separated (bare,sdk,memory,sqlite,redis,receiver)",
    )
    parser.add_argument(
        "--loop",
        default="asyncio",
        choices=["asyncio", "uvloop", "both"],
        help="event loop of the servers (both: every contender on each, ratios within a loop)",
    )
    parser.add_argument(
        "--client",
        default="auto",
        choices=["auto", "wrk", "aiohttp"],
        help="load generator (auto: wrk when it is on PATH, else aiohttp)",
    )
    parser.add_argument("--json", help="merge the figures into this JSON file (for report.py)")
    parser.add_argument("--serve", choices=["bare", "sdk", "linegroupbot"], help=argparse.SUPPRESS)
    parser.add_argument("--store", default="memory://", help=argparse.SUPPRESS)
    parser.add_argument(
        "--role", default="all", choices=["all", "receiver"], help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve:
        _common.pin(1)
        profile = os.environ.get("BENCH_PROFILE")  # a path: cProfile the server into it
        if not profile:
            _common.run(_serve(args.serve, args.store, args.role), args.loop)
            return
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU time: preemption is not ours
        profiler.enable()
        try:
            _common.run(_serve(args.serve, args.store, args.role), args.loop)
        finally:
            profiler.disable()
            profiler.dump_stats(f"{profile}.{args.serve}.{os.getpid()}")
    else:
        _common.pin(0)
        asyncio.run(_run(args))


if __name__ == "__main__":
    main()
