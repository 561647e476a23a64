"""The one cattrs converter: LINE's camelCase JSON <-> linegroupbot's snake_case models.

Structuring functions are generated once, at import, for every model; parsing an
event is then a dictionary lookup on its ``type`` and one generated function call.
Types LINE adds later become ``Unknown*`` models that keep their raw JSON, and
unknown extra fields are ignored, so a new LINE feature never breaks a bot.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import attrs
import cattrs
import orjson
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from . import events as ev
from . import messages as msg
from .errors import InvalidWebhookBodyError

__all__ = [
    "converter",
    "dumps",
    "register_model",
    "structure",
    "structure_body",
    "structure_event",
    "to_camel",
    "unstructure",
]

T = TypeVar("T")

converter = cattrs.Converter(detailed_validation=False, forbid_extra_keys=False)
"""The converter shared by every model of linegroupbot (events in, messages out)."""


def to_camel(name: str) -> str:
    """``webhook_event_id`` -> ``webhookEventId``."""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def _overrides(cls: type[Any], *, unstructure: bool) -> dict[str, Any]:
    """camelCase renames; when unstructuring, only fields that default to ``None`` are omitted."""
    result: dict[str, Any] = {}
    for field in attrs.fields(cls):
        name = to_camel(field.name)
        if unstructure:
            result[field.name] = override(rename=name, omit_if_default=field.default is None)
        elif name != field.name:
            result[field.name] = override(rename=name)
    return result


def _has_type_field(cls: type[Any]) -> bool:
    return any(field.name == "type" for field in attrs.fields(cls))


def register_model(cls: type[Any], *, type_tag: str | None = None, structure: bool = True) -> None:
    """Generate and register camelCase structure/unstructure hooks for an attrs class.

    ``structure=False`` registers only the unstructure hook (for models that are only sent).

    ``type_tag`` (default: the class's ``type`` class variable, when it has one and
    no ``type`` field) is written as ``"type"`` when unstructuring. Plugin authors
    can register their own models the same way.
    """
    if structure:
        converter.register_structure_hook(
            cls, make_dict_structure_fn(cls, converter, **_overrides(cls, unstructure=False))
        )
    base = make_dict_unstructure_fn(cls, converter, **_overrides(cls, unstructure=True))
    tag = type_tag
    if tag is None and not _has_type_field(cls):
        tag = getattr(cls, "type", None)
    if tag is None:
        converter.register_unstructure_hook(cls, base)
        return

    def unstructure_tagged(obj: Any, _tag: str = tag, _base: Callable[[Any], Any] = base) -> Any:
        return {"type": _tag, **_base(obj)}

    converter.register_unstructure_hook(cls, unstructure_tagged)


# --- fast generic hooks (registered before any model hook is generated) -----------------------
# cattrs' generic handling of Optional and homogeneous tuples re-dispatches on every call;
# these factories resolve the inner hook once and close over it.

_NONE = type(None)


def _is_optional(tp: Any) -> bool:
    args = typing.get_args(tp)
    return (
        typing.get_origin(tp) in (typing.Union, types.UnionType)
        and len(args) == 2
        and _NONE in args
    )


def _optional_factory(tp: Any) -> Callable[[Any, Any], Any]:
    inner_type = next(a for a in typing.get_args(tp) if a is not _NONE)
    if inner_type in (str, int, float, bool):

        def structure_optional_scalar(value: Any, _: Any) -> Any:
            if value is None or type(value) is inner_type:
                return value
            return inner_type(value)

        return structure_optional_scalar
    inner = converter.get_structure_hook(inner_type)

    def structure_optional(value: Any, _: Any) -> Any:
        return None if value is None else inner(value, inner_type)

    return structure_optional


def _is_homogeneous_tuple(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_factory(tp: Any) -> Callable[[Any, Any], Any]:
    item_type = typing.get_args(tp)[0]
    item = converter.get_structure_hook(item_type)

    def structure_tuple(value: Any, _: Any) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise TypeError(f"expected an array, got {type(value).__name__}")
        return tuple([item(v, item_type) for v in value])

    return structure_tuple


converter.register_structure_hook_factory(_is_optional, _optional_factory)
converter.register_structure_hook_factory(_is_homogeneous_tuple, _tuple_factory)


def _lenient_mode(value: Any, _: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"mode must be a string, not {type(value).__name__}")
    return value


converter.register_structure_hook_func(lambda t: t == ev.Mode, _lenient_mode)


# --- tagged unions ---------------------------------------------------------------------


def _dispatcher(
    name: str,
    classes: Iterable[type[Any]],
    unknown: Callable[[Mapping[str, Any]], Any],
) -> Callable[..., Any]:
    """A structure hook that picks a class by the JSON ``type`` field."""
    kinds = {cls.type: cls for cls in classes}
    for cls in kinds.values():
        register_model(cls)
    table = {tag: converter.get_structure_hook(cls) for tag, cls in kinds.items()}

    def structure_tagged(obj: Any, _: Any = None) -> Any:
        try:
            tag = obj["type"]
        except (TypeError, KeyError):
            raise InvalidWebhookBodyError(f"{name} must be an object with a 'type'") from None
        hook = table.get(tag)
        if hook is None:
            return unknown(obj)
        return hook(obj, kinds[tag])

    return structure_tagged


def _unknown_source(raw: Mapping[str, Any]) -> ev.UnknownSource:
    return ev.UnknownSource(type=str(raw["type"]), raw=dict(raw))


def _unknown_mentionee(raw: Mapping[str, Any]) -> ev.UnknownMentionee:
    return ev.UnknownMentionee(type=str(raw["type"]), index=raw["index"], length=raw["length"])


def _unknown_message(raw: Mapping[str, Any]) -> ev.UnknownMessageContent:
    message_id = raw.get("id")
    return ev.UnknownMessageContent(
        type=str(raw["type"]),
        id=message_id if isinstance(message_id, str) else None,
        raw=dict(raw),
    )


_DELIVERY = {
    False: ev.DeliveryContext(is_redelivery=False),
    True: ev.DeliveryContext(is_redelivery=True),
}


def _structure_delivery(obj: Any, _: Any) -> ev.DeliveryContext:
    # Two possible values: share them instead of building one per event.
    return _DELIVERY[bool(obj["isRedelivery"])]


# Leaf models first: a generated hook captures the hooks of its fields when it is made.
for _cls in (
    ev.Emoji,
    ev.ContentProvider,
    ev.ImageSet,
    ev.UnsendDetail,
    ev.FollowDetail,
    ev.PostbackParams,
    ev.PostbackContent,
    ev.VideoPlayCompleteDetail,
    ev.BeaconContent,
    ev.LinkContent,
    ev.ThingsContent,
    ev.MembershipContent,
    ev.ModuleContent,
    ev.ChatControl,
    ev.PnpDelivery,
):
    register_model(_cls)
register_model(ev.DeliveryContext)
converter.register_structure_hook(ev.DeliveryContext, _structure_delivery)


def _optional(hook: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def structure_optional(obj: Any, cls: Any) -> Any:
        return None if obj is None else hook(obj, cls)

    return structure_optional


# Tagged unions: each hook is registered before any model that has it as a field type.
_structure_source = _dispatcher(
    "source", (ev.UserSource, ev.GroupSource, ev.RoomSource), _unknown_source
)
converter.register_structure_hook(ev.Source, _structure_source)
converter.register_structure_hook(ev.Source | None, _optional(_structure_source))
_structure_mentionee = _dispatcher(
    "mentionee", (ev.UserMentionee, ev.AllMentionee), _unknown_mentionee
)
converter.register_structure_hook(ev.Mentionee, _structure_mentionee)
register_model(ev.Mention)
register_model(ev.Members)
_structure_message = _dispatcher(
    "message",
    (
        ev.TextMessageContent,
        ev.ImageMessageContent,
        ev.VideoMessageContent,
        ev.AudioMessageContent,
        ev.FileMessageContent,
        ev.LocationMessageContent,
        ev.StickerMessageContent,
    ),
    _unknown_message,
)
converter.register_structure_hook(ev.MessageContent, _structure_message)


def _unstructure_raw(obj: Any) -> dict[str, Any]:
    return dict(obj.raw)


converter.register_unstructure_hook(ev.UnknownSource, _unstructure_raw)
converter.register_unstructure_hook(ev.UnknownMessageContent, _unstructure_raw)
register_model(ev.UnknownMentionee)


# --- events ----------------------------------------------------------------------------------


def _unknown_event(raw: Mapping[str, Any]) -> ev.UnknownEvent:
    source = raw.get("source")
    context = raw.get("deliveryContext")
    timestamp = raw.get("timestamp")
    mode = raw.get("mode")
    event_id = raw.get("webhookEventId")
    return ev.UnknownEvent(
        event_type=str(raw["type"]),
        raw=dict(raw),
        timestamp=timestamp if isinstance(timestamp, int) else 0,
        mode=mode if isinstance(mode, str) else "active",  # type: ignore[arg-type]
        webhook_event_id=event_id if isinstance(event_id, str) else "",
        delivery_context=ev.DeliveryContext(
            is_redelivery=bool(context.get("isRedelivery")) if isinstance(context, dict) else False
        ),
        source=_structure_source(source) if isinstance(source, dict) else None,
    )


_structure_event = _dispatcher("event", ev.KNOWN_EVENT_TYPES, _unknown_event)
converter.register_structure_hook(ev.Event, _structure_event)


def structure_event(obj: Any) -> ev.Event:
    """Structure one event JSON object into its typed model (``UnknownEvent`` if new)."""
    result: ev.Event = _structure_event(obj)
    return result


converter.register_unstructure_hook(ev.UnknownEvent, _unstructure_raw)


def _unstructure_event(obj: ev.Event) -> Any:
    return converter.unstructure(obj, unstructure_as=type(obj))


converter.register_unstructure_hook(ev.Event, _unstructure_event)
register_model(ev.WebhookBody)


# --- what the bot sends ----------------------------------------------------------------------

for _sent in (
    msg.PostbackAction,
    msg.MessageAction,
    msg.UriAction,
    msg.DatetimePickerAction,
    msg.QuickReplyItem,
    msg.QuickReply,
    msg.Sender,
    *msg.MESSAGE_TYPES,
):
    register_model(_sent, structure=False)


def structure_body(obj: Any) -> ev.WebhookBody:
    """Structure a decoded webhook body, raising :class:`InvalidWebhookBodyError` on bad shapes."""
    if not isinstance(obj, dict):
        raise InvalidWebhookBodyError("webhook body must be a JSON object")
    raw_events = obj.get("events")
    if not isinstance(raw_events, list):
        raise InvalidWebhookBodyError("webhook body must have an 'events' array")
    destination = obj.get("destination")
    if destination is not None and not isinstance(destination, str):
        raise InvalidWebhookBodyError("'destination' must be a string")
    parsed: list[ev.Event] = []
    for index, raw in enumerate(raw_events):
        try:
            parsed.append(_structure_event(raw))
        except InvalidWebhookBodyError as error:
            raise InvalidWebhookBodyError(f"events[{index}]: {error}") from None
        except KeyError as error:
            raise InvalidWebhookBodyError(
                f"events[{index}] (type {raw.get('type')!r}) lacks required field {error}"
            ) from None
        except (TypeError, ValueError, AttributeError) as error:
            raise InvalidWebhookBodyError(
                f"events[{index}] (type {raw.get('type')!r}) is malformed: {error}"
            ) from None
    return ev.WebhookBody(events=tuple(parsed), destination=destination)


def structure(obj: Any, cls: type[T]) -> T:
    """Structure JSON-shaped data into ``cls`` with the shared converter."""
    return converter.structure(obj, cls)


def unstructure(obj: Any) -> Any:
    """Unstructure a model into LINE's camelCase JSON shape (``None`` fields left out)."""
    return converter.unstructure(obj)


def dumps(obj: Any) -> bytes:
    """Serialize a model (or plain data) to LINE JSON bytes."""
    return orjson.dumps(converter.unstructure(obj))
