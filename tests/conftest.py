"""Shared fixtures: the emulator (from the linegroupbot pytest plugin) and a client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

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
