"""The Redis dedupe store, against a real redis-server started for these tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from linegroupbot import Bot, Context
from linegroupbot.stores import DedupeStore, RedisDedupeStore
from tests.helpers import SECRET, TOKEN, signed
from tests.payloads import event
from tests.test_server import _idle

pytestmark = pytest.mark.redis


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[RedisDedupeStore]:
    store = RedisDedupeStore.from_url(redis_url, prefix=f"test:{id(object())}:")
    try:
        yield store
    finally:
        await store.close()


async def test_first_seen_once(store: RedisDedupeStore) -> None:
    assert isinstance(store, DedupeStore)
    assert await store.first_seen("01A") is True
    assert await store.first_seen("01A") is False
    assert await store.first_seen("01B") is True


async def test_keys_expire_after_the_ttl_and_a_callers_client_stays_open(redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    store = RedisDedupeStore(client, ttl=90, prefix="ttl-test:")
    try:
        await store.first_seen("01C")
        remaining = await client.ttl("ttl-test:01C")
        assert 0 < remaining <= 90
        connection = await client.client_id()
        await store.close()
        # The store left the caller's client alone: the same connection still answers.
        assert await client.client_id() == connection
    finally:
        await client.aclose()


async def test_processes_share_what_they_have_seen(redis_url: str) -> None:
    prefix = "shared-test:"
    one = RedisDedupeStore.from_url(redis_url, prefix=prefix)
    two = RedisDedupeStore.from_url(redis_url, prefix=prefix)
    try:
        results = await asyncio.gather(*(s.first_seen("01D") for s in (one, two, one, two)))
        assert sorted(results) == [False, False, False, True]
    finally:
        await one.close()
        await two.close()


async def test_two_bots_behind_a_balancer_handle_a_redelivery_once(
    redis_url: str, aiohttp_client: Any
) -> None:
    handled: list[str] = []
    clients = []
    bots: list[Bot] = []
    prefix = uuid.uuid4().hex[:8]
    for name in ("a", "b"):
        bot = Bot(
            SECRET,
            TOKEN,
            api_base_url="http://127.0.0.1:9",
            store=f"{redis_url}?prefix=balancer-{prefix}:",
        )

        @bot.on_message
        async def handler(ctx: Context, name: str = name) -> None:
            handled.append(name)

        clients.append(await aiohttp_client(bot.create_app()))
        bots.append(bot)
    first = event("message_text")
    again = {**first, "deliveryContext": {"isRedelivery": True}}
    for client, payload in zip(clients, (first, again), strict=True):
        raw, headers = signed(payload)
        assert (await client.post("/callback", data=raw, headers=headers)).status == 200
    for bot in bots:
        await _idle(bot)
    assert len(handled) == 1  # whichever process's worker took the shard
