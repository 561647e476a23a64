"""The bytes decoder behind parse_webhook builds exactly what the converter builds, or steps aside.

Every case is decoded both ways: ``decode_body`` (msgspec mirrors) and the converter's path
(orjson, then ``structure_body``). Where the decoder answers, its models must be the
converter's, field for field, lazy fields included; where the converter raises, the decoder
must return ``None`` so that ``parse_webhook`` raises the converter's error.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import attrs
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linegroupbot import InvalidWebhookBodyError, parse_webhook
from linegroupbot import events as ev
from linegroupbot._decode import decode_body, decode_event
from linegroupbot.convert import structure_body, structure_event, unstructure
from tests.helpers import SECRET, sign
from tests.payloads import EVENTS, body, event
from tests.test_fuzz import WRONG_VALUES, paths, replaced

EXTRA_VALUES: list[Any] = [
    2**63,
    2**64 - 1,
    2**64,
    2**70,
    -(2**63) - 1,
    1.0,
    "12",
    {"isRedelivery": True},
    {"type": "user", "userId": "U1"},
    {"type": "all", "index": 0, "length": 1},
    [{"type": "user", "index": 0, "length": 1}],
]


def _outcome(read: Any) -> tuple[str, Any]:
    try:
        return "value", read()
    except Exception as error:  # a lazy field may fail on first read: both ways alike
        return "error", (type(error), str(error))


def _fields(model: Any) -> list[tuple[str, Any]]:
    """Every field of a model, models within read the same way, as (name, outcome)."""
    out: list[tuple[str, Any]] = [("class", type(model))]
    for field in attrs.fields(type(model)):
        kind, value = _outcome(lambda name=field.name: getattr(model, name))
        if kind == "value" and attrs.has(type(value)):
            value = _fields(value)
        elif kind == "value" and isinstance(value, tuple):
            value = tuple(_fields(v) if attrs.has(type(v)) else v for v in value)
        out.append((field.name, (kind, value, type(value))))
    return out


def check(data: bytes) -> bool:
    """Decode ``data`` both ways and compare; whether the decoder answered."""
    try:
        expected = structure_body(orjson.loads(data))
    except (orjson.JSONDecodeError, InvalidWebhookBodyError):
        assert decode_body(data) is None
        return False
    got = decode_body(data)
    if got is None:
        return False
    same(got, expected)
    return True


def same(got: ev.WebhookBody, expected: ev.WebhookBody) -> None:
    """``got`` is ``expected``, field for field (a lazy field failing alike on first read)."""
    assert type(got) is ev.WebhookBody
    assert got.destination == expected.destination
    assert len(got.events) == len(expected.events)
    for mine, theirs in zip(got.events, expected.events, strict=True):
        assert _fields(mine) == _fields(theirs)
        assert _outcome(lambda m=mine: repr(m)) == _outcome(lambda t=theirs: repr(t))
        assert _outcome(lambda m=mine: unstructure(m)) == _outcome(lambda t=theirs: unstructure(t))
        assert _outcome(lambda m=mine, t=theirs: m == t) in (("value", True), ("error", _ANY))


class _Any:
    def __eq__(self, other: object) -> bool:
        return True


_ANY = _Any()


def _dumps(value: Any) -> bytes:
    """JSON of ``value`` (json, not orjson: it writes integers of any size)."""
    return json.dumps(value).encode()


def mutations() -> list[bytes]:
    out: list[bytes] = []
    for raw in EVENTS.values():
        out.append(_dumps(body(raw)))
        for path in paths(raw):
            for value in [*WRONG_VALUES[:7], *WRONG_VALUES[8:], *EXTRA_VALUES]:
                out.append(_dumps(body(replaced(raw, path, value))))
            trimmed = copy.deepcopy(raw)
            target: Any = trimmed
            for step in path[:-1]:
                target = target[step]
            del target[path[-1]]
            out.append(_dumps(body(trimmed)))
    return out


MUTATIONS = mutations()


def test_every_event_kind_takes_the_fast_path_and_matches() -> None:
    for name, raw in EVENTS.items():
        assert check(orjson.dumps(body(raw, raw))), name


def test_mutated_events_match_the_converter_or_step_aside() -> None:
    answered = sum(check(data) for data in MUTATIONS)
    # Both outcomes are exercised: many mutations stay decodable, many must step aside.
    assert 0.05 * len(MUTATIONS) < answered < 0.95 * len(MUTATIONS)


@pytest.mark.parametrize(
    "data",
    [
        # duplicate keys: JSON leaves them undefined; orjson keeps the last one
        b'{"events":[{"type":"join","type":"leave","timestamp":1,"webhookEventId":"x"}]}',
        b'{"events":[{"type":"join","timestamp":1,"timestamp":2,"webhookEventId":"x"}]}',
        b'{"events":[],"destination":"a","destination":"b"}',
        b'{"events":[],"events":[{"type":"join","timestamp":1,"webhookEventId":"x"}]}',
        # numbers orjson reads differently from msgspec
        b'{"events":[{"type":"join","timestamp":123456789012345678901234567890,'
        b'"webhookEventId":"x"}]}',
        b'{"events":[{"type":"join","timestamp":18446744073709551615,"webhookEventId":"x"}]}',
        b'{"events":[{"type":"join","timestamp":1e3,"webhookEventId":"x"}]}',
        b'{"events":[{"type":"join","timestamp":-0,"webhookEventId":"x"}]}',
        # strings
        b'{"events":[{"type":"join","timestamp":1,"webhookEventId":"\\ud800"}]}',
        b'{"events":[{"type":"join","timestamp":1,"webhookEventId":"\\ud83d\\ude00"}]}',
        b'{"events":[{"type":"join","timestamp":1,"webhookEventId":"\xff"}]}',
        b'\xef\xbb\xbf{"events":[]}',
        b' {"events":[]} ',
        b'{"events":[]} x',
        # unknown and odd types
        b'{"events":[{"type":"coupon","timestamp":1,"webhookEventId":"x"}]}',
        b'{"events":[{"type":5,"timestamp":1,"webhookEventId":"x"}]}',
        b'{"events":[{"timestamp":1,"webhookEventId":"x"}]}',
        b'{"events":[{"type":"join","timestamp":1,"webhookEventId":"x","source":{"type":"x"}}]}',
        b'{"events":[{"type":"join","timestamp":1,"webhookEventId":"x","source":null}]}',
        b'{"events":[{"type":"join","timestamp":1,"webhookEventId":"x","mode":null}]}',
        b'{"events":[{"type":"join","timestamp":1,"webhookEventId":"x","deliveryContext":{}}]}',
        b'{"events":[],"destination":null}',
        b'{"events":{}}',
        b"[]",
        b"",
    ],
)
def test_edge_bodies(data: bytes) -> None:
    check(data)


@pytest.mark.parametrize("depth", [900, 990, 1000, 1010, 1016, 1017, 1018, 1019, 1020, 1030])
def test_deep_lazy_fields_match(depth: int) -> None:
    deep = "[" * depth + "]" * depth
    for field in ("mention", "emojis"):
        raw = orjson.dumps(body(event("message_text"))).decode()
        raw = raw.replace(f'"{field}":', f'"{field}":{deep},"x{field}":', 1)
        check(raw.encode())


@pytest.mark.parametrize(
    "value",
    [
        '"\\ud800"',
        '"\xff"',
        '"\u00e9"',
        "1e999",
        "-1.5E+400",
        "1e5",
        "1" + "0" * 400,
        "1" + "0" * 30,
        "[1,]",
        "01",
        '"a\x01"',
    ],
)
@pytest.mark.parametrize("field", ["mention", "emojis"])
def test_bad_json_in_lazy_fields_is_refused_as_the_converter_refuses_it(
    field: str, value: str
) -> None:
    raw = orjson.dumps(body(event("message_text"))).decode()
    data = raw.replace(f'"{field}":', f'"{field}":{{"x":[{value}]}},"x{field}":', 1)
    check(data.encode("utf-8").replace("\xff".encode(), b"\xff"))


def test_lazy_fields_are_kept_as_json_until_read() -> None:
    parsed = decode_body(orjson.dumps(body(event("message_text"))))
    assert parsed is not None
    message = parsed.events[0].message  # type: ignore[attr-defined]
    assert isinstance(message, ev.TextMessageContent)
    assert message.mentions_bot
    assert message.emojis is not None
    assert message.emojis[0].emoji_id == "001"
    again = structure_body(orjson.loads(orjson.dumps(body(event("message_text")))))
    assert message == again.events[0].message  # type: ignore[attr-defined]


def test_parse_webhook_raises_the_converters_errors() -> None:
    for data in MUTATIONS[:3000:7]:
        expected: ev.WebhookBody | None = None
        message: str | None = None
        try:
            expected = structure_body(orjson.loads(data))
        except orjson.JSONDecodeError:
            pass
        except InvalidWebhookBodyError as error:
            message = str(error)
        if expected is not None:
            same(parse_webhook(data, sign(data), SECRET), expected)
            continue
        with pytest.raises(InvalidWebhookBodyError) as raised:
            parse_webhook(data, sign(data), SECRET)
        assert message is None or str(raised.value) == message


def test_decode_event_matches_structure_event() -> None:
    for name, raw in EVENTS.items():
        assert decode_event(orjson.dumps(raw)) == structure_event(copy.deepcopy(raw)), name
    unknown = {**EVENTS["join"], "type": "coupon"}
    assert isinstance(decode_event(orjson.dumps(unknown)), ev.UnknownEvent)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(sorted(EVENTS)),
    picks=st.lists(st.tuples(st.integers(0, 10_000), _json), max_size=3),
)
def test_hypothesis_mutations_match(kind: str, picks: list[tuple[int, Any]]) -> None:
    raw = copy.deepcopy(EVENTS[kind])
    for pick, value in picks:
        where = list(paths(raw))
        if where:
            raw = replaced(raw, where[pick % len(where)], value)
    check(_dumps(body(raw)))
