"""One contract for every store: memory, SQLite on a real file, Redis on a real redis-server."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest

from linegroupbot.errors import StoreError
from linegroupbot.stores import (
    Entry,
    MemoryStore,
    QueuedEvent,
    RedisStore,
    SqliteStore,
    Store,
    open_store,
    redact_url,
    shard_of,
)
from tests.helpers import Opener


def item(n: int, chat: str = "Cgroup1", *, event_id: str | None = "auto") -> QueuedEvent:
    eid = f"01EV{n:08d}" if event_id == "auto" else event_id
    raw: dict[str, Any] = {"type": "message", "webhookEventId": eid, "n": n}
    return QueuedEvent(eid, chat, shard_of(chat, 4), raw)


def numbers(entries: list[Entry]) -> list[int]:
    return [orjson.loads(e.json())["n"] for e in entries]


async def read_all(store: Store, owner: str, shards: list[int], count: int = 100) -> list[Entry]:
    return await store.read(owner, shards, exclude=(), count=count, block=0)


ALL = [0, 1, 2, 3]


async def test_enqueue_skips_ids_seen_before_in_the_same_or_an_earlier_request(
    opener: Opener,
) -> None:
    store = await opener()
    assert await store.enqueue([item(1), item(2), item(1)]) == [True, True, False]
    assert await store.enqueue([item(2), item(3)]) == [False, True]
    # Events without an ID cannot be deduplicated: each is queued.
    assert await store.enqueue([item(4, event_id=None), item(5, event_id=None)]) == [True, True]
    assert (await store.stats()).depth == 5  # 1, 2, 3, 4, 5


async def test_first_seen_shares_the_dedupe_records(opener: Opener) -> None:
    store = await opener()
    await store.enqueue([item(1)])
    assert await store.first_seen("01EV00000001") is False
    assert await store.first_seen("fresh") is True
    assert await store.first_seen("fresh") is False


async def test_read_returns_one_chats_events_in_order_and_ack_removes_them(
    opener: Opener,
) -> None:
    store = await opener()
    await store.enqueue([item(n) for n in range(1, 6)])
    shard = shard_of("Cgroup1", 4)
    assert await store.claim_shards("w1", [shard], 5.0) == [shard]
    first = await store.read("w1", [shard], exclude=(), count=3, block=0)
    assert numbers(first) == [1, 2, 3]
    assert all(e.attempts == 0 and e.key == "Cgroup1" for e in first)
    rest = await store.read("w1", [shard], exclude={e.id for e in first}, count=10, block=0)
    assert numbers(rest) == [4, 5]
    await store.ack(first + rest)
    stats = await store.stats()
    assert stats.depth == 0
    assert stats.oldest_age is None


async def test_entry_ids_are_unique_across_shards(opener: Opener) -> None:
    store = await opener()
    chats = ["Ca", "Cb", "Cc", "Cd", "Ce", "Cf"]
    assert len({shard_of(c, 4) for c in chats}) > 1
    await store.enqueue([item(n * 10 + i, chat) for n in range(3) for i, chat in enumerate(chats)])
    await store.claim_shards("w", ALL, 5.0)
    entries = await read_all(store, "w", ALL)
    assert len(entries) == 18
    assert len({e.id for e in entries}) == 18
    await store.ack(entries)
    assert (await store.stats()).depth == 0


async def test_read_waits_for_new_events_up_to_block(opener: Opener) -> None:
    store = await opener()
    assert await store.claim_shards("w1", ALL, 5.0) == ALL
    reader = asyncio.create_task(store.read("w1", ALL, exclude=(), count=10, block=5.0))
    await asyncio.sleep(0.05)
    assert not reader.done()
    await store.enqueue([item(7)])
    got = await asyncio.wait_for(reader, 5)
    assert numbers(got) == [7]
    assert await store.read("w1", ALL, exclude={got[0].id}, count=10, block=0.05) == []


async def test_a_leased_shard_belongs_to_one_worker_until_released_or_expired(
    opener: Opener,
) -> None:
    one = await opener()
    two = await opener()
    assert await one.claim_shards("a", ALL, 5.0, limit=2) == [0, 1]
    assert await two.claim_shards("b", ALL, 5.0) == [2, 3]
    assert await two.claim_shards("b", [0, 1], 5.0) == []
    assert await one.claim_shards("a", [0, 1], 5.0) == [0, 1]  # renewal
    await one.release_shards("a", [0])
    assert await two.claim_shards("b", [0, 1], 5.0) == [0]
    assert await one.claim_shards("a", [1], 0.2) == [1]  # renew with a short lease
    await asyncio.sleep(0.4)
    assert await two.claim_shards("b", [1], 5.0) == [1]
    assert await one.claim_shards("a", [1], 5.0) == []


async def test_heartbeats_count_live_workers(opener: Opener) -> None:
    store = await opener()
    assert await store.heartbeat("a", 5.0) == 1
    assert await store.heartbeat("b", 0.2) == 2
    await asyncio.sleep(0.4)
    assert await store.heartbeat("a", 5.0) == 1
    await store.heartbeat("c", 5.0)
    await store.leave("c")
    assert (await store.stats()).workers == 1


async def test_a_dead_workers_unacknowledged_events_go_to_the_next_owner(
    opener: Opener,
) -> None:
    one = await opener()
    two = await opener()
    await one.enqueue([item(1), item(2), item(3)])
    shard = shard_of("Cgroup1", 4)
    assert await one.claim_shards("dead", [shard], 0.2) == [shard]
    taken = await read_all(one, "dead", [shard])
    assert numbers(taken) == [1, 2, 3]
    await one.ack(taken[:1])  # handled one, then died holding two
    await asyncio.sleep(0.4)
    assert await two.claim_shards("next", [shard], 5.0) == [shard]
    recovered = await two.recover("next", shard)
    more = await two.read("next", [shard], exclude={e.id for e in recovered}, count=10, block=0)
    again = recovered + more
    assert numbers(again) == [2, 3]
    assert [e.attempts for e in again] == [1, 1]


async def test_dead_letters_keep_the_event_and_error_and_can_be_replayed(
    opener: Opener,
) -> None:
    store = await opener()
    await store.enqueue([item(1), item(2)])
    shard = shard_of("Cgroup1", 4)
    await store.claim_shards("w", [shard], 5.0)
    first, second = await read_all(store, "w", [shard])
    await store.dead_letter(first, raw=first.json(), key=first.key, error="RuntimeError('x')")
    await store.dead_letter(None, raw=b'{"type": 3}', key="event:unknown", error="malformed")
    assert (await store.stats()).depth == 1
    dead = await store.dead_letters()
    assert [d.error for d in dead] == ["RuntimeError('x')", "malformed"]
    assert dead[0].event_id == "01EV00000001"
    assert dead[0].attempts == 1
    assert orjson.loads(dead[0].payload)["n"] == 1
    assert dead[1].event_id is None
    assert (await store.stats()).dead_letters == 2
    assert await store.replay(dead[0].id) is True
    assert await store.replay(dead[0].id) is False
    assert await store.replay("no-such-id") is False
    again = await store.read("w", [shard], exclude={second.id}, count=10, block=0)
    assert numbers(again) == [1]
    assert await store.purge("no-such-id") == 0
    assert await store.purge(dead[1].id) == 1
    assert await store.dead_letters() == []
    await store.dead_letter(None, raw=b"{}", key="k", error="e")
    await store.dead_letter(None, raw=b"{}", key="k", error="e")
    assert await store.purge() == 2


async def test_concurrent_enqueues_of_one_event_queue_it_once(opener: Opener) -> None:
    one = await opener()
    two = await opener()
    results = await asyncio.gather(
        *(store.enqueue([item(9)]) for store in (one, two, one, two, one, two))
    )
    assert sorted(flag for [flag] in results) == [False] * 5 + [True]
    assert (await one.stats()).depth == 1


async def test_what_a_durable_store_accepted_survives_closing_it(opener: Opener) -> None:
    store = await opener()
    await store.enqueue([item(1), item(2, chat="Cother")])
    if not store.durable:
        assert isinstance(store, MemoryStore)
        return
    await store.close()
    reopened = await opener()
    assert (await reopened.stats()).depth == 2
    assert await reopened.enqueue([item(1)]) == [False]  # the dedupe record survived too
    await reopened.claim_shards("w", ALL, 5.0)
    assert sorted(numbers(await read_all(reopened, "w", ALL))) == [1, 2]


# --- URLs ---------------------------------------------------------------------------------


def test_urls_select_the_backend(tmp_path: Path) -> None:
    assert isinstance(open_store("memory://"), MemoryStore)
    relative = open_store("sqlite:///data/bot.db")
    assert isinstance(relative, SqliteStore)
    assert str(relative.path) == "data/bot.db"
    absolute = open_store(f"sqlite:///{tmp_path}/bot.db?synchronous=full&shards=8")
    assert isinstance(absolute, SqliteStore)
    assert absolute.path == tmp_path / "bot.db"
    assert absolute.synchronous == "FULL"
    assert absolute.shards == 8
    redis = open_store("redis://:pw@127.0.0.1:6390/2?prefix=mybot:")
    assert isinstance(redis, RedisStore)
    assert redis.prefix == "mybot:"
    assert "pw" not in redis.url


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgres://db/bot", "unknown scheme"),
        ("sqlite://", "names no file"),
        ("sqlite://host/bot.db", "names no file"),
        ("memory://?shards=0", "between 1 and 1024"),
        ("memory://?shards=many", "whole number"),
        ("memory://?colour=blue", "unknown option(s) colour"),
        ("sqlite:///bot.db?synchronous=sometimes", "not a SQLite setting"),
        ("redis://127.0.0.1:6390/abc", "database must be a number"),
    ],
)
def test_bad_urls_fail_with_what_to_do(url: str, says: str) -> None:
    with pytest.raises(StoreError, match=r"(?i)" + says.replace("(", r"\(").replace(")", r"\)")):
        open_store(url)


def test_passwords_are_redacted() -> None:
    assert redact_url("redis://user:s3cret@host:6379/0") == "redis://user:***@host:6379/0"
    assert redact_url("redis://host/0?password=s3cret&prefix=a:") == (
        "redis://host/0?password=***&prefix=a:"
    )
    assert "s3cret" not in open_store("redis://127.0.0.1:6390/0?password=s3cret").url
    assert redact_url("rediss://:s3cret@host/0") == "rediss://:***@host/0"
    assert redact_url("sqlite:///bot.db") == "sqlite:///bot.db"
    assert (
        redact_url("sqlite:////var/bot.db?synchronous=FULL")
        == "sqlite:////var/bot.db?synchronous=FULL"
    )
    with pytest.raises(StoreError) as info:
        open_store("mongodb://admin:s3cret@db/bot")
    assert "s3cret" not in str(info.value)


async def test_an_unreachable_redis_fails_at_open_naming_the_url_without_password() -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = open_store(f"redis://:hunter2@127.0.0.1:{port}/0")
    with pytest.raises(StoreError) as info:
        await store.open()
    await store.close()
    message = str(info.value)
    assert f"redis://:***@127.0.0.1:{port}/0" in message
    assert "hunter2" not in message
    assert "Start Redis" in message


async def test_an_unknown_redis_option_fails_at_open_with_a_clear_error() -> None:
    store = open_store("redis://127.0.0.1:6390/0?bogus=1")
    with pytest.raises(StoreError, match="bogus"):
        await store.open()
    await store.close()


async def test_an_unwritable_sqlite_path_fails_at_open(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = open_store(f"sqlite:///{blocker}/bot.db")
    with pytest.raises(StoreError, match="cannot open the store"):
        await store.open()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def test_every_process_must_agree_on_the_shard_count(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        base = f"sqlite:///{tmp_path}/bot.db?"
    else:
        base = f"{request.getfixturevalue('redis_url')}?prefix=shards-{uuid.uuid4().hex[:6]}:&"
    first = open_store(base + "shards=4")
    await first.open()
    await first.close()
    second = open_store(base + "shards=8")
    with pytest.raises(StoreError, match="created with 4 shards"):
        await second.open()
    await second.close()


# --- state ---------------------------------------------------------------------------------


async def test_state_versions_compare_and_set(opener: Opener) -> None:
    from linegroupbot.stores.protocol import ANY_VERSION

    store = await opener()
    assert await store.state_get("k") is None
    assert await store.state_put("k", b"1", chat="C1", expected=5) == 0  # absent is version 0
    assert await store.state_put("k", b"1", chat="C1", expected=0) == 1
    assert await store.state_put("k", b"2", chat="C1", expected=0) == 0  # no longer absent
    assert await store.state_get("k") == (b"1", 1)
    assert await store.state_put("k", b"2", chat="C1", expected=1) == 2
    assert await store.state_put("k", b"x", chat="C1", expected=1) == 0  # stale version
    assert await store.state_put("k", b"3", chat="C1", expected=ANY_VERSION) == 3
    assert await store.state_put("k", None, chat="C1", expected=2) == 0
    assert await store.state_put("k", None, chat="C1", expected=3) == 1
    assert await store.state_get("k") is None


async def test_state_values_expire_after_their_ttl(opener: Opener) -> None:
    store = await opener()
    await store.state_put("short", b"1", chat="C1", ttl=0.15)
    await store.state_put("long", b"1", chat="C1", ttl=60)
    assert await store.state_get("short") == (b"1", 1)
    await asyncio.sleep(0.3)
    assert await store.state_get("short") is None
    assert await store.state_get("long") == (b"1", 1)
    assert await store.state_put("short", b"2", chat="C1", expected=0) == 1  # expired: absent


async def test_state_clears_by_chat_or_member(opener: Opener) -> None:
    store = await opener()
    await store.state_put("chat:C1:x", b"1", chat="C1")
    await store.state_put("member:C1:U1:x", b"1", chat="C1", member="U1")
    await store.state_put("member:C1:U2:x", b"1", chat="C1", member="U2")
    await store.state_put("chat:C2:x", b"1", chat="C2")
    assert await store.state_clear("C1", "U1") == 1
    assert await store.state_get("member:C1:U1:x") is None
    assert await store.state_get("member:C1:U2:x") is not None
    assert await store.state_clear("C1") == 2
    assert await store.state_get("chat:C1:x") is None
    assert await store.state_get("member:C1:U2:x") is None
    assert await store.state_get("chat:C2:x") == (b"1", 1)
    # A member's value written again after a chat clear is tracked again.
    await store.state_put("member:C1:U2:x", b"2", chat="C1", member="U2")
    assert await store.state_clear("C1", "U2") == 1


# --- scheduled pushes ----------------------------------------------------------------------


async def test_scheduled_pushes_are_claimed_when_due_leased_and_done(opener: Opener) -> None:
    from linegroupbot.stores import ScheduledRecord

    one = await opener()
    two = await opener()
    now = 1_000_000.0
    await one.schedule_add(ScheduledRecord("late", "C1", now + 60, b'{"m": 2}'))
    await one.schedule_add(ScheduledRecord("soon", "C1", now - 1, b'{"m": 1}'))
    await one.schedule_add(ScheduledRecord("other", "C2", now - 2, b'{"m": 3}'))
    assert [r.id for r in await two.schedule_list("C1")] == ["soon", "late"]
    claimed = await one.schedule_claim(now, 30.0, 10)
    assert [r.id for r in claimed] == ["other", "soon"]
    assert claimed[1].payload == b'{"m": 1}'
    assert claimed[1].due == now - 1
    assert await two.schedule_claim(now + 1, 30.0, 10) == []  # leased to the first
    await one.schedule_done(claimed[0])
    # The first "died" with "soon": after the lease it is due again, for anyone.
    [again] = await two.schedule_claim(now + 31, 30.0, 10)
    assert again.id == "soon"
    assert await two.schedule_cancel("late") is True
    assert await two.schedule_cancel("late") is False
    assert [r.id for r in await one.schedule_list("C1")] == ["soon"]
    await two.schedule_done(again)
    assert await one.schedule_list("C1") == []
    assert await one.schedule_list("C2") == []
