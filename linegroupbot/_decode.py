"""Webhook bodies decoded straight from bytes: the fast path of :func:`parse_webhook`.

:mod:`msgspec` decodes the JSON into private mirror structs (generated once, on first
use, from the attrs models) without building any ``dict``; generated builders then fill
the attrs models' slots from them. The models users see are the same ones the converter
builds, field for field.

The mirrors accept a strict subset of what the converter accepts: exact JSON types,
event/source/message ``type`` values and fields this version knows, integers of at most
64 bits (orjson reads larger ones as floats). Anything else (an unknown type or field,
``"12"`` for an int, a malformed body) makes :func:`decode_body` return ``None`` and the
caller takes the converter's path, which gives the same models and the same errors it
always did.
A lazy field (a text's mentions and emojis) keeps its mirror until first read. A part
no mirror fits (free-form JSON such as a Things result) is kept as raw JSON bytes and
decoded with orjson, then structured by the converter's hook, as its path would.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal

import attrs
import msgspec
import orjson

from . import convert as _convert
from . import events as ev
from ._names import to_camel

__all__ = ["decode_body", "decode_event"]

_Int = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
_ABSENT = msgspec.Raw(b"")  # the default of raw fields: the key was not in the JSON
_LITERAL_DEFAULTS = (str, int, float, bool)


class _Fallback(Exception):
    """The mirror cannot build this body the way the converter would: take its path."""


# msgspec's errors (RecursionError past its nesting limit), and what a builder may raise
# through the converter's hooks on a raw part: the converter's path says what is wrong.
_STEP_ASIDE = (
    msgspec.DecodeError,
    RecursionError,
    _Fallback,
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
)


def _load(raw: Any) -> Any:
    """Decode a raw JSON part with orjson (as the converter's path decodes it)."""
    data = bytes(raw)
    if len(data) > 1000 and data.count(b"[") + data.count(b"{") > 900:
        raise _Fallback  # maybe deeper than orjson reads a whole body: let it decide
    return orjson.loads(data)


class _Mirrors:
    """The mirror struct of each attrs model, and of the unions of models, made on demand."""

    def __init__(self) -> None:
        self.structs: dict[type[Any], type[msgspec.Struct]] = {}

    # --- types -------------------------------------------------------------------------

    def mirror_of(self, tp: Any) -> tuple[Any, str] | None:
        """``(mirror type, kind)`` for a field type, or ``None`` to keep it as raw JSON.

        Kinds: ``plain`` (taken as it is), ``struct`` (``._build()``), ``tuple`` (of
        structs), each with ``?`` appended when ``None`` is allowed.
        """
        origin = typing.get_origin(tp)
        if tp in (str, bool, float):
            return tp, "plain"
        if tp is int:
            return _Int, "plain"
        if origin is Literal:
            return (str, "plain") if all(isinstance(a, str) for a in typing.get_args(tp)) else None
        if origin is tuple:
            args = typing.get_args(tp)
            if len(args) != 2 or args[1] is not Ellipsis:
                return None
            item = self.mirror_of(args[0])
            if item is None or item[1] not in ("plain", "struct"):
                return None
            return tuple[item[0], ...], ("plain" if item[1] == "plain" else "tuple")  # type: ignore[valid-type]
        if _convert._is_optional(tp):
            inner = self.mirror_of(_convert._without_none(tp))
            if inner is None or inner[1].endswith("?"):
                return None
            return inner[0] | None, inner[1] + "?"
        if origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if not _is_unknown_model(a)]
            if not members or not all(_tag_of(a) for a in members):
                return None
            structs = [self.struct(a) for a in members]
            if any(s is None for s in structs):
                return None
            return typing.Union[tuple(structs)], "struct"  # noqa: UP007
        if isinstance(tp, type) and attrs.has(tp):
            struct = self.struct(tp)
            return (struct, "struct") if struct is not None else None
        return None

    def struct(self, cls: type[Any]) -> type[msgspec.Struct] | None:
        """The mirror struct of the attrs model ``cls`` (``None`` if it cannot have one)."""
        if cls in self.structs:
            return self.structs[cls]
        if not _convert._init_only_stores(cls):
            return None
        attrs.resolve_types(cls)
        fields: list[tuple[str, Any, Any]] = []
        values: list[str] = []
        namespace: dict[str, Any] = {
            "_ABSENT": _ABSENT,
            "_UNSET": msgspec.UNSET,
            "_raw": _raw,
        }
        for index, field in enumerate(attrs.fields(cls)):
            name, default = field.name, field.default
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                if default.takes_self:
                    return None
                namespace[f"f{index}"] = default.factory
                default_expr = f"f{index}()"
            else:
                namespace[f"d{index}"] = default
                default_expr = f"d{index}"
            lazy = isinstance(cls.__dict__.get(name), _convert._LazyField)
            mirrored = self.mirror_of(field.type)
            if lazy and (mirrored is None or mirrored[1] not in ("struct?", "tuple?")):
                mirrored = None  # a lazy slot keeps a struct or a tuple of structs
            if mirrored is None:
                # Raw JSON, structured now by the converter's hook.
                namespace[f"t{index}"] = field.type
                expr = f"_raw(self.{name}, t{index})"
                if default is attrs.NOTHING:
                    fields.append((name, msgspec.Raw, msgspec.NODEFAULT))
                else:
                    fields.append((name, msgspec.Raw, _ABSENT))
                    expr = f"{default_expr} if self.{name} is _ABSENT else {expr}"
                values.append(expr)
                continue
            mtype, kind = mirrored
            expr = f"self.{name}"
            if lazy:
                pass  # the mirror itself is kept: the lazy slot builds it on first read
            elif field.type is ev.DeliveryContext:
                namespace["__shared"] = _convert._DELIVERY  # on every event: no call
                expr = f"__shared[{expr}.is_redelivery]"
            elif kind == "struct":
                expr = f"{expr}._build()"
            elif kind == "struct?":
                expr = f"None if {expr} is None else {expr}._build()"
            elif kind == "tuple":
                expr = f"tuple([x._build() for x in {expr}])"
            elif kind == "tuple?":
                expr = f"None if {expr} is None else tuple([x._build() for x in {expr}])"
            if default is attrs.NOTHING:
                fields.append((name, mtype, msgspec.NODEFAULT))
            elif default is None or (type(default) in _LITERAL_DEFAULTS and kind == "plain"):
                fields.append((name, mtype, default))
            else:
                fields.append((name, mtype | msgspec.UnsetType, msgspec.UNSET))
                expr = f"{default_expr} if self.{name} is _UNSET else {expr}"
            values.append(expr)
        if cls is ev.DeliveryContext:
            # The converter shares the two possible values (and requires the key); so does
            # the mirror.
            fields = [("is_redelivery", bool, msgspec.NODEFAULT)]
            namespace["__shared"] = _convert._DELIVERY
            lines = ["    return __shared[self.is_redelivery]"]
        else:
            lines = _convert._fill_lines(cls, values, namespace) or _set_lines(
                cls, values, namespace
            )
            lines.append("    return obj")
        source = "\n".join(["def _build(self):", *lines])
        # The source is made only from the class's field names and our own templates.
        code = compile(source, f"<linegroupbot mirror {cls.__qualname__}>", "exec")
        exec(code, namespace)  # noqa: S102
        tag = _tag_of(cls)
        struct = msgspec.defstruct(
            f"_{cls.__name__}Mirror",
            fields,
            module=__name__,
            namespace={"_build": namespace["_build"]},
            tag_field="type" if tag else None,
            tag=tag,
            rename={f[0]: to_camel(f[0]) for f in fields},
            kw_only=True,
            gc=False,
            # msgspec would skip an unknown field without checking its UTF-8 or numbers,
            # which orjson refuses: a field this version does not know takes the other path.
            forbid_unknown_fields=True,
        )
        self.structs[cls] = struct
        _convert._DEFERRED.add(struct)
        return struct


def _set_lines(cls: type[Any], values: list[str], namespace: dict[str, Any]) -> list[str]:
    """Source lines that build ``cls`` into ``obj`` with one slot descriptor call a field."""
    namespace["__cl"] = cls
    namespace["__new"] = object.__new__
    lines = ["    obj = __new(__cl)"]
    for index, (field, value) in enumerate(zip(attrs.fields(cls), values, strict=True)):
        namespace[f"set{index}"] = _convert._slot_of(cls, field.name).__set__
        lines.append(f"    set{index}(obj, {value})")
    return lines


def _is_unknown_model(tp: Any) -> bool:
    """The ``Unknown*`` models: what an unknown ``type`` becomes (the converter's path)."""
    return isinstance(tp, type) and attrs.has(tp) and "type" in attrs.fields_dict(tp)


def _tag_of(cls: Any) -> str | None:
    """The JSON ``type`` of a tagged model (a ``type`` class variable, not a field)."""
    if not (isinstance(cls, type) and attrs.has(cls)) or "type" in attrs.fields_dict(cls):
        return None
    tag = getattr(cls, "type", None)
    return tag if isinstance(tag, str) else None


def _raw(raw: Any, tp: Any) -> Any:
    """A raw JSON field, structured now by the converter's hook for ``tp``."""
    return _convert._hook(tp)(_load(raw), tp)


class _Decoders:
    """The mirror decoders, made on first use (generating them costs import time)."""

    body: Callable[[bytes], Any] | None = None
    event: Callable[[bytes], Any] | None = None

    @classmethod
    def make(cls) -> None:
        mirrors = _Mirrors()
        structs = [mirrors.struct(e) for e in ev.KNOWN_EVENT_TYPES]
        union: Any = typing.Union[tuple(s for s in structs if s is not None)]  # noqa: UP007
        body = msgspec.defstruct(
            "_WebhookBodyMirror",
            [("events", list[union]), ("destination", str | None, None)],
            module=__name__,
            kw_only=True,
            gc=False,
            forbid_unknown_fields=True,
        )
        cls.body = msgspec.json.Decoder(body).decode
        cls.event = msgspec.json.Decoder(union).decode


def decode_body(body: bytes) -> ev.WebhookBody | None:
    """The webhook body in ``body``, or ``None`` when only the converter's path can say
    what it is (unknown types, loose JSON types, malformed bodies)."""
    decode = _Decoders.body
    if decode is None:
        _Decoders.make()
        decode = _Decoders.body
        assert decode is not None
    try:
        mirror = decode(body)
        events = tuple([e._build() for e in mirror.events])
    except _STEP_ASIDE:
        return None
    return _convert._new_body(events, mirror.destination)


def decode_event(payload: bytes) -> ev.Event:
    """One event from its JSON bytes, as :func:`~linegroupbot.convert.structure_event`
    would build it from the decoded JSON (which it falls back to)."""
    decode = _Decoders.event
    if decode is None:
        _Decoders.make()
        decode = _Decoders.event
        assert decode is not None
    try:
        event: ev.Event = decode(payload)._build()
    except _STEP_ASIDE:
        return _convert.structure_event(orjson.loads(payload))
    return event
