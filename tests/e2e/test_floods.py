"""Slow senders and unsigned-body floods against a real ``linegroupbot run`` process.

Bounded in count and time, on loopback. What is measured (connections closed, answers,
RSS before and after) is printed with ``-s``; the security page quotes it.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp

from linegroupbot.emulator import Emulator
from tests.e2e.test_durability import Fleet

BOT = "tests/e2e/flood_bot.py:bot"
HALF_OPEN = 750
BODIES = 150
BODY_SIZE = 1024 * 1024


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def _connect(port: int, head: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)
    await writer.drain()
    return reader, writer


async def _answer(reader: asyncio.StreamReader) -> bytes | None:
    """What the server said before it closed the connection (None: still open after 30 s)."""
    try:
        return await asyncio.wait_for(reader.read(), 30)
    except TimeoutError:
        return None


async def _converse(emulator: Emulator, group: object, n: int) -> None:
    for i in range(n):
        await emulator.say(group, "Alice", f"hi {i}")  # type: ignore[arg-type]
        await emulator.wait_for_bot_messages(group, timeout=15)  # type: ignore[arg-type]


async def test_slow_senders_and_unsigned_floods_are_bounded(
    emulator: Emulator, fleet: Fleet
) -> None:
    url = await fleet.start("bot", "run", BOT, "--store", "memory://")
    emulator.set_webhook_url(url + "/callback")
    process, port = fleet.processes["bot"]
    group = await emulator.create_group("G", ["Alice"])
    await _converse(emulator, group, 30)  # warm up before the baseline
    await asyncio.sleep(1.5)
    base = rss_mb(process.pid)

    # Slow-loris: connections that never finish their headers.
    started = time.monotonic()
    half = [
        await _connect(port, b"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Le")
        for _ in range(HALF_OPEN)
    ]
    answers = await asyncio.gather(*(_answer(r) for r, _ in half))
    closed_after = time.monotonic() - started
    for _, writer in half:
        writer.close()
    assert answers.count(b"") == HALF_OPEN, "every half-open connection is closed, unanswered"

    # Almost-complete 1 MiB bodies without a signature.
    head = (
        b"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % BODY_SIZE
    )
    started = time.monotonic()
    flood = await asyncio.gather(
        *(_connect(port, head + b"x" * (BODY_SIZE - 10)) for _ in range(BODIES))
    )
    peak = rss_mb(process.pid)
    replies = await asyncio.gather(*(_answer(r) for r, _ in flood))
    flood_done = time.monotonic() - started
    for _, writer in flood:
        writer.close()
    statuses = sorted({(reply or b"open")[:12].decode() for reply in replies})
    assert None not in replies, "every flooding connection was answered and closed"
    assert set(statuses) <= {"HTTP/1.1 408", "HTTP/1.1 503"}, statuses

    # Memory returns to its level (glibc is asked to give back what the flood left).
    after = rss_mb(process.pid)
    for _ in range(100):  # bounded: about 10 s
        if after <= base * 1.10:
            break
        await asyncio.sleep(0.1)
        after = rss_mb(process.pid)
    print(
        f"\nflood figures: {HALF_OPEN} half-open connections all closed after "
        f"{closed_after:.1f} s; {BODIES} x 1 MiB unsigned bodies answered {statuses} within "
        f"{flood_done:.1f} s; RSS {base:.0f} MB before, {peak:.0f} MB during, {after:.0f} MB "
        "after"
    )
    assert after <= base * 1.10, f"RSS {after:.0f} MB after the flood, {base:.0f} MB before"

    # Still serving, and nothing of the flood reached a handler.
    await _converse(emulator, group, 3)
    async with aiohttp.ClientSession() as http, http.get(url + "/healthz") as resp:
        health = await resp.json()
    assert health["status"] == "ok"
    assert health["worker"]["handled"] == 33 + 1  # 33 messages and the join
    assert health["rejected"] >= BODIES
