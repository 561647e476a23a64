"""Fuzzing the real webhook server: no input gets a 5xx, and the bot goes on handling events.

The server runs on loopback in a thread of its own, with a real worker behind it; the
inputs are a hand-made corpus (deep nesting, wrong types for every field of every event
kind, huge strings and numbers, odd unicode, compressed and mislabelled bodies, chunked
and oversized bodies) and hypothesis-made bodies, signed and unsigned.
"""

from __future__ import annotations

import asyncio
import copy
import gzip
import http.client
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linegroupbot import Bot, Context, events
from linegroupbot.testing.harness import running_bot
from tests.helpers import SECRET, TOKEN, sign
from tests.payloads import EVENTS, GROUP, body, event

MAX_BODY = 256 * 1024


class Server:
    """A bot served on loopback from a thread, and what its handlers saw."""

    def __init__(self) -> None:
        self.bot = Bot(
            SECRET,
            TOKEN,
            api_base_url="http://127.0.0.1:9",
            max_body_size=MAX_BODY,
            body_timeout=2.0,
            retry_delay=0.01,
            max_attempts=1,
        )
        self.handled: list[str] = []
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()

        @self.bot.on_message(text="canary")
        async def canary(ctx: Context) -> None:
            self.handled.append(ctx.event.webhook_event_id)

        @self.bot.on_event(events.Event)
        async def anything(ctx: Context) -> None:
            _ = (ctx.text, ctx.chat_id, ctx.scope)  # touch what handlers usually read

        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with running_bot(self.bot) as url:
            self.port = int(url.split(":")[2].split("/")[0])
            self._ready.set()
            await self._stop.wait()

    def start(self) -> None:
        self.thread.start()
        assert self._ready.wait(30), "the server did not start"

    def stop(self) -> None:
        assert self._stop is not None
        self.loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(30)
        self.loop.close()

    def call(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(60)

    def post(
        self, data: bytes, headers: dict[str, str] | None = None, *, chunked: bool = False
    ) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            if chunked:
                conn.putrequest("POST", "/callback")
                for name, value in (headers or {}).items():
                    conn.putheader(name, value)
                conn.putheader("Transfer-Encoding", "chunked")
                conn.endheaders()
                for start in range(0, len(data), 4096):
                    piece = data[start : start + 4096]
                    conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
                conn.send(b"0\r\n\r\n")
            else:
                conn.request("POST", "/callback", body=data, headers=headers or {})
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    def post_signed(self, data: bytes, **headers: str) -> int:
        return self.post(data, {"x-line-signature": sign(data), **headers})

    def canary(self) -> str:
        """Send one valid event and wait until it is handled; returns its ID."""
        event_id = f"01CANARY{uuid.uuid4().hex[:18].upper()}"
        raw = event("message_text", webhookEventId=event_id)
        raw["message"] = {"type": "text", "id": "1", "text": "canary", "quoteToken": "q"}
        assert self.post_signed(orjson.dumps(body(raw))) == 200

        async def handled() -> None:
            while event_id not in self.handled:  # noqa: ASYNC110 (a list another task fills)
                await asyncio.sleep(0.01)

        self.call(asyncio.wait_for(handled(), 20))
        return event_id


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    srv = Server()
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


# --- the corpus --------------------------------------------------------------------------------

WRONG_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    2**63 - 1,
    -(2**63),
    1.5e308,
    "",
    "x" * 50_000,
    "\u0000\u202e\ufeff\U0001f600 日本語",
    [],
    {},
    [[[[["x"]]]]],
    {"type": {"type": {"type": "x"}}},
]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path into a JSON value."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*prefix, key)
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield (*prefix, index)
            yield from paths(child, (*prefix, index))


def replaced(raw: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    result = copy.deepcopy(raw)
    target: Any = result
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return result


def corpus() -> Iterator[tuple[str, bytes, dict[str, str], bool]]:
    """(label, body, extra headers, signed) cases."""
    for kind, raw in EVENTS.items():
        for path in paths(raw):
            for n, value in enumerate(WRONG_VALUES):
                mutated = replaced(raw, path, value)
                mutated["webhookEventId"] = f"01FUZZ{kind}{'.'.join(map(str, path))}{n}"
                yield f"{kind}:{path}={n}", orjson.dumps(body(mutated)), {}, True
    for depth in (100, 254, 255, 500, 1000, 1023, 1024, 5000):
        for field in ('"type":"message"', '"text":"hi"', '"webhookEventId":"01X"'):
            name = field.split(":")[0]
            deep = "[" * depth + '"x"' + "]" * depth
            raw_text = orjson.dumps(body(event("message_text"))).decode()
            raw_text = raw_text.replace(field, f"{name}:{deep}", 1)
            yield f"deep {field} {depth}", raw_text.encode(), {}, True
    good = orjson.dumps(body(event("message_text", webhookEventId="01FUZZGOODENCODED")))
    for encoding in ("gzip", "deflate", "identity, gzip", "GZIP"):
        yield f"encoding {encoding}", gzip.compress(good), {"Content-Encoding": encoding}, True
        yield f"mislabelled {encoding}", good, {"Content-Encoding": encoding}, True
    for blob in (
        b"",
        b"{",
        b"null",
        b"[]",
        b'{"events": null}',
        b'{"events": [1, "x", null]}',
        b"\xff\xfe\x00",
        b'{"events": [], "destination": 5}',
        b"1e999999",
        b'{"events": [{"type": "\\ud800"}]}',
        b'"\\u0000"',
        b"9" * 10_000,
    ):
        yield f"blob {blob[:20]!r}", blob, {}, True
        yield f"unsigned {blob[:20]!r}", blob, {}, False
    yield "oversized", b"[" + b" " * (MAX_BODY + 10) + b"]", {}, True
    yield (
        "huge number",
        b'{"events": [{"type": "message", "timestamp": 1' + b"0" * 5000 + b"}]}",
        {},
        True,
    )
    for value in ("", "=" * 44, "not base64!", "A" * 10_000, sign(good)[:-4]):
        yield f"signature {value[:10]!r}", good, {"x-line-signature": value}, False


CASES = list(corpus())


def test_the_corpus_gets_no_5xx_and_the_bot_keeps_handling(server: Server) -> None:
    failures: list[tuple[str, int]] = []
    for label, data, headers, signed in CASES:
        if signed and "x-line-signature" not in headers:
            status = server.post_signed(data, **headers)
        else:
            status = server.post(data, headers)
        if status >= 500:
            failures.append((label, status))
    assert not failures, failures[:20]
    assert len(CASES) > 5000  # the corpus really covers every field of every kind
    server.canary()
    health = server.call(server.bot.runtime.health())  # type: ignore[union-attr]
    assert health["status"] == "ok", health


def test_chunked_and_oversized_chunked_bodies(server: Server) -> None:
    good = orjson.dumps(body(event("message_text", webhookEventId="01FUZZCHUNKED")))
    assert server.post(good, {"x-line-signature": sign(good)}, chunked=True) == 200
    big = b"[" + b" " * (MAX_BODY * 2) + b"]"
    assert server.post(big, {"x-line-signature": sign(big)}, chunked=True) == 413
    server.canary()


json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=50)
)
json_values = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
KINDS = sorted(EVENTS)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(KINDS),
    data=st.data(),
    value=json_values,
)
def test_hypothesis_mutated_events_get_no_5xx(
    server: Server, kind: str, data: st.DataObject, value: Any
) -> None:
    raw = EVENTS[kind]
    path = data.draw(st.sampled_from(list(paths(raw))))
    mutated = replaced(raw, path, value)
    mutated["webhookEventId"] = f"01HYP{uuid.uuid4().hex}"
    assert server.post_signed(orjson.dumps(body(mutated))) < 500


@settings(max_examples=150, deadline=None)
@given(
    blob=st.binary(max_size=2000),
    signed=st.booleans(),
    encoding=st.sampled_from([None, "gzip", "deflate", "identity", "x-unknown"]),
)
def test_hypothesis_raw_bodies_get_no_5xx(
    server: Server, blob: bytes, signed: bool, encoding: str | None
) -> None:
    headers = {"x-line-signature": sign(blob)} if signed else {}
    if encoding is not None:
        headers["Content-Encoding"] = encoding
    assert server.post(blob, headers) < 500


@settings(max_examples=100, deadline=None)
@given(events_=st.lists(json_values, min_size=1, max_size=5))
def test_hypothesis_event_lists_get_no_5xx(server: Server, events_: list[Any]) -> None:
    data = orjson.dumps({"destination": GROUP, "events": events_})
    assert server.post_signed(data) < 500


def test_still_handling_after_everything(server: Server) -> None:
    server.canary()
    assert server.bot.runtime is not None
    health = server.call(server.bot.runtime.health())
    assert health["status"] == "ok", health
    assert health["worker"]["stuck_handlers"] == 0
