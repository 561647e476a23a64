"""The generated structuring functions, on models a plugin author might register."""

from __future__ import annotations

import copy
import weakref
from typing import Any

import attrs
import pytest

from linegroupbot import convert
from linegroupbot import events as ev
from linegroupbot.errors import InvalidWebhookBodyError
from tests.payloads import event


@attrs.frozen
class Point:
    x: int
    label: str | None = None
    tags: tuple[str, ...] = ()
    extra: dict[str, Any] = attrs.Factory(dict)
    scale: float = 1.0


@attrs.frozen
class Checked:
    value: int = attrs.field(validator=attrs.validators.ge(0))


@attrs.frozen(cache_hash=True)
class Hashed:
    name: str


@attrs.frozen(kw_only=True)
class Outer:
    point: Point
    maybe: Point | None = None
    checked_id: str


@attrs.frozen
class PostInit:
    text: str
    seen: list[str] = attrs.field(factory=list)

    def __attrs_post_init__(self) -> None:
        self.seen.append(self.text)


for _cls in (Point, Checked, Hashed, Outer, PostInit):
    convert.register_model(_cls)


def test_fields_are_read_by_their_camel_case_names_with_defaults() -> None:
    assert convert.structure({"x": 1}, Point) == Point(1)
    got = convert.structure(
        {"x": 2, "label": "a", "tags": ["t"], "extra": {"k": 1}, "scale": 2, "unknown": 0}, Point
    )
    assert got == Point(2, "a", ("t",), {"k": 1}, 2.0)
    assert type(got.scale) is float


def test_built_objects_equal_and_hash_like_constructed_ones() -> None:
    assert convert.structure({"x": 3, "label": None}, Point) == Point(3)
    source = convert.structure({"type": "group", "groupId": "C1"}, ev.Source)  # type: ignore[arg-type]
    assert source == ev.GroupSource("C1")
    assert hash(source) == hash(ev.GroupSource("C1"))
    assert convert.structure({"name": "n"}, Hashed) == Hashed("n")
    assert hash(convert.structure({"name": "n"}, Hashed)) == hash(Hashed("n"))


def test_built_events_are_plain_frozen_instances_of_their_class() -> None:
    built = convert.structure_event(event("message_text"))
    for model in (built, built.source, built.message, built.delivery_context):  # type: ignore[attr-defined]
        assert type(model).__module__ == ev.__name__
        assert type(model) in vars(ev).values()
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            model.extra = 1  # type: ignore[union-attr]
    assert weakref.ref(built)() is built
    assert copy.deepcopy(built) == built
    assert attrs.evolve(built, timestamp=1).timestamp == 1
    assert built == ev.MessageEvent(
        **{f.name: getattr(built, f.name) for f in attrs.fields(ev.MessageEvent)}
    )


def test_factory_defaults_are_fresh_per_object() -> None:
    first = convert.structure({"x": 1}, Point)
    second = convert.structure({"x": 1}, Point)
    assert first.extra == {}
    assert first.extra is not second.extra


def test_scalars_of_another_type_are_converted_as_cattrs_would() -> None:
    assert convert.structure({"x": "12", "label": 5}, Point) == Point(12, "5")
    with pytest.raises(ValueError, match="twelve"):
        convert.structure({"x": "twelve"}, Point)


def test_missing_required_field_raises_key_error_with_the_json_name() -> None:
    with pytest.raises(KeyError, match="checkedId"):
        convert.structure({"point": {"x": 1}}, Outer)


def test_nested_and_keyword_only_fields() -> None:
    got = convert.structure({"point": {"x": 1}, "maybe": {"x": 2}, "checkedId": "c"}, Outer)
    assert got == Outer(point=Point(1), maybe=Point(2), checked_id="c")
    assert convert.structure({"point": {"x": 1}, "checkedId": "c"}, Outer).maybe is None


def test_validators_and_post_init_still_run() -> None:
    assert convert.structure({"value": 1}, Checked) == Checked(1)
    with pytest.raises(ValueError, match="value"):
        convert.structure({"value": -1}, Checked)
    assert convert.structure({"text": "hi"}, PostInit).seen == ["hi"]


def test_bad_scalar_in_a_webhook_event_is_a_clear_body_error() -> None:
    raw = event("join")
    raw["timestamp"] = "yesterday"
    with pytest.raises(InvalidWebhookBodyError, match=r"events\[0\].*malformed"):
        convert.structure_body({"events": [raw]})


def test_optional_unions_structure_none_or_their_member() -> None:
    optional_source: Any = ev.Source | None
    assert convert.structure(None, optional_source) is None
    got = convert.structure({"type": "room", "roomId": "R1"}, optional_source)
    assert got == ev.RoomSource("R1")
    assert convert.structure({"type": "beacon"}, optional_source) == ev.UnknownSource(
        type="beacon", raw={"type": "beacon"}
    )
