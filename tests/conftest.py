"""Shared fixtures: the emulator (from the linegroupbot pytest plugin) and a client for it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from linegroupbot import LineClient, RetryPolicy
from linegroupbot.emulator import Emulator

FAST_RETRY = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, total_timeout=5.0)


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
