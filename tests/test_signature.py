"""Signature verification over raw bytes, and parse_webhook."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

import linegroupbot
from linegroupbot import (
    InvalidSignatureError,
    InvalidWebhookBodyError,
    LineGroupBotError,
    parse_webhook,
    verify_signature,
)
from linegroupbot import events as ev
from tests.payloads import body, event

SECRET = "test-channel-secret"
RAW = orjson.dumps(body(event("join"), event("message_text")), option=orjson.OPT_INDENT_2)


def sign(data: bytes, secret: str = SECRET) -> str:
    return linegroupbot.sign(data, secret)


def test_valid_signature() -> None:
    assert verify_signature(RAW, sign(RAW), SECRET) is True


def test_wrong_secret() -> None:
    assert verify_signature(RAW, sign(RAW, "another-secret"), SECRET) is False


def test_one_byte_of_the_body_changed() -> None:
    changed = bytearray(RAW)
    changed[len(changed) // 2] ^= 0x01
    assert verify_signature(bytes(changed), sign(RAW), SECRET) is False


@pytest.mark.parametrize(
    "signature",
    [
        "",
        sign(RAW)[:-4],
        sign(RAW)[:10],
        "not base64 at all!",
        "%%%%",
        sign(RAW) + "AAAA",
        "\u00e9\u00e9\u00e9\u00e9",
    ],
)
def test_bad_signatures_are_invalid_never_errors(signature: str) -> None:
    assert verify_signature(RAW, signature, SECRET) is False


def test_reserialized_body_does_not_verify() -> None:
    reserialized = orjson.dumps(orjson.loads(RAW))
    assert reserialized != RAW
    assert verify_signature(reserialized, sign(RAW), SECRET) is False


def test_empty_secret_never_verifies() -> None:
    assert verify_signature(RAW, sign(RAW, ""), "") is False


@given(st.binary(max_size=200), st.text(max_size=60))
def test_verify_never_raises(data: bytes, signature: str) -> None:
    assert verify_signature(data, signature, SECRET) in (True, False)


def test_parse_webhook_returns_typed_body() -> None:
    parsed = parse_webhook(RAW, sign(RAW), SECRET)
    assert [type(e) for e in parsed.events] == [ev.JoinEvent, ev.MessageEvent]


@pytest.mark.parametrize("signature", [None, "", "garbage", sign(RAW, "other")])
def test_parse_webhook_rejects_bad_signature(signature: str | None) -> None:
    with pytest.raises(InvalidSignatureError):
        parse_webhook(RAW, signature, SECRET)


@pytest.mark.parametrize("raw", [b"", b"{not json", b"[1, 2]", b'{"destination": "U1"}'])
def test_parse_webhook_rejects_malformed_body(raw: bytes) -> None:
    with pytest.raises(InvalidWebhookBodyError):
        parse_webhook(raw, sign(raw), SECRET)


def test_errors_share_one_base_and_never_show_the_secret() -> None:
    assert issubclass(InvalidSignatureError, LineGroupBotError)
    assert issubclass(InvalidWebhookBodyError, LineGroupBotError)
    with pytest.raises(InvalidSignatureError) as info:
        parse_webhook(RAW, "garbage", SECRET)
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value)
