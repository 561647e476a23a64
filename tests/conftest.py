"""Shared fixtures: the emulator (from the linegroupbot pytest plugin) and a client for it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import structlog

from linegroupbot import LineClient, RetryPolicy
from linegroupbot.emulator import Emulator
from linegroupbot.stores import MemoryStore, Store, open_store
from tests.helpers import Opener

FAST_RETRY = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, total_timeout=5.0)


@pytest.fixture
def debug_logs() -> Iterator[None]:
    """Let debug lines (``api_call``) through to ``capture_logs`` whatever ran before."""
    old = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(0))
    try:
        yield
    finally:
        structlog.configure(**old)


@pytest.fixture
async def client(line_emulator: Emulator) -> AsyncIterator[LineClient]:
    async with LineClient(
        line_emulator.settings.access_token,
        api_base_url=line_emulator.url,
        data_api_base_url=line_emulator.url,
        retry=FAST_RETRY,
    ) as client:
        yield client


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server on a free loopback port, for this test session."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            "redis-server is not installed: apt-get install redis-server (or -m 'not redis')"
        )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if process.poll() is not None:
                pytest.fail("redis-server exited at startup")
            time.sleep(0.05)  # bounded: at most 200 tries while the server starts listening
        else:
            pytest.fail("redis-server did not answer PING")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def opener(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Opener]:
    """Opens stores on one backend (4 shards); every store it opens shares the same data,
    as two workers' would: memory (one object), SQLite (a file), Redis (a key prefix)."""
    opened: list[Store] = []
    shared: MemoryStore | None = None
    if request.param == "redis":
        base = request.getfixturevalue("redis_url")
        url = f"{base}?prefix=test-{uuid.uuid4().hex[:8]}:&shards=4"
    elif request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/store.db?shards=4"
    else:
        url = "memory://?shards=4"
        shared = MemoryStore(shards=4)

    async def open_one() -> Store:
        store = shared if shared is not None else open_store(url)
        await store.open()
        opened.append(store)
        return store

    try:
        yield open_one
    finally:
        for store in opened:
            await store.close()
