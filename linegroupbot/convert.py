"""The one cattrs converter: LINE's camelCase JSON <-> linegroupbot's snake_case models.

The cattrs converter holds every hook. A built-in model's structuring function is
generated once, on its first use (:func:`make_structure_fn`, cattrs' generated function
made leaner for LINE's shapes), and so is its unstructuring function: the model's
annotations are resolved then too, not at import. Parsing an event is then a dictionary
lookup on its ``type`` and one generated function call.
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
from cattrs.gen import make_dict_unstructure_fn, override

from . import events as ev
from . import messages as msg
from ._names import to_camel
from .actions import ACTION_TYPES
from .errors import InvalidWebhookBodyError

__all__ = [
    "converter",
    "dumps",
    "make_structure_fn",
    "register_event",
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


def _unstructure_overrides(cls: type[Any]) -> dict[str, Any]:
    """camelCase renames; only fields that default to ``None`` are left out when unset."""
    return {
        field.name: override(rename=to_camel(field.name), omit_if_default=field.default is None)
        for field in attrs.fields(cls)
    }


def _has_type_field(cls: type[Any]) -> bool:
    return any(field.name == "type" for field in attrs.fields(cls))


_SCALARS = (str, int, float, bool)
_UNIONS = (typing.Union, types.UnionType)
_NONE = type(None)
_MISSING = object()


def _init_only_stores(cls: type[Any]) -> bool:
    """Whether ``cls.__init__`` does nothing but store each argument in its slot."""
    fields = attrs.fields(cls)
    if any(not f.init or f.validator or f.converter for f in fields):
        return False
    if hasattr(cls, "__attrs_pre_init__") or hasattr(cls, "__attrs_post_init__"):
        return False
    slots: set[str] = set()
    for klass in cls.__mro__[:-1]:
        declared = klass.__dict__.get("__slots__")
        if declared is None:
            return False  # an instance __dict__: not a fully slotted class
        slots.update((declared,) if isinstance(declared, str) else declared)
    names = {f.name for f in fields}
    if slots - {"__weakref__"} != names:
        return False  # e.g. a cached-hash slot that __init__ also sets
    return all(isinstance(_slot_of(cls, n), types.MemberDescriptorType) for n in names)


_FILLERS: dict[type[Any], type[Any] | None] = {}


def _filler(cls: type[Any]) -> type[Any] | None:
    """A private subclass of the frozen model ``cls`` whose slots plain stores can fill.

    Filling a frozen instance slot by slot costs a descriptor call per field; an instance of
    this subclass takes ``obj.name = value`` (a store the interpreter specialises), and
    ``obj.__class__ = cls`` then makes it a plain ``cls``: the subclass adds no slots, so
    the two have the same layout and CPython allows the assignment. Only for linegroupbot's
    own models whose ``__init__`` only stores (a subclass of a user's class could run their
    ``__init_subclass__``); ``None`` otherwise.
    """
    if cls in _FILLERS:
        return _FILLERS[cls]
    filler: type[Any] | None = None
    if cls.__module__ == ev.__name__ and _init_only_stores(cls):
        filler = type(
            f"_{cls.__name__}Filler",
            (cls,),
            {
                "__slots__": (),
                "__module__": __name__,
                "__init__": object.__init__,
                "__setattr__": object.__setattr__,
                "__delattr__": object.__delattr__,
            },
        )
        try:
            filler().__class__ = cls
        except TypeError:  # a Python that refuses the assignment: build the usual way
            filler = None
    _FILLERS[cls] = filler
    return filler


def _fill_lines(cls: type[Any], values: list[str], namespace: dict[str, Any]) -> list[str] | None:
    """Source lines that build ``cls`` from the expressions ``values`` (one per field, in
    order) into ``obj``, via :func:`_filler`; ``None`` if ``cls`` has no filler."""
    filler = _filler(cls)
    if filler is None:
        return None
    namespace["__filler"] = filler
    namespace["__cl"] = cls
    lines = ["    obj = __filler()"]
    for index, (field, value) in enumerate(zip(attrs.fields(cls), values, strict=True)):
        if isinstance(cls.__dict__.get(field.name), _LazyField):
            # Under the lazy descriptor: store the slot itself.
            namespace[f"set{index}"] = _slot_of(cls, field.name).__set__
            lines.append(f"    set{index}(obj, {value})")
        else:
            lines.append(f"    obj.{field.name} = {value}")
    lines.append("    obj.__class__ = __cl")
    return lines


def _slot_of(cls: type[Any], name: str) -> Any:
    """The member descriptor of slot ``name`` (under a :class:`_LazyField` if lazy)."""
    value = getattr(cls, name, None)
    return value.slot if isinstance(value, _LazyField) else value


class _LazyStructure:
    """The structure hook of a built-in model, generated on its first use.

    Generating every model's function at import costs more than the rest of the import;
    most bots receive a handful of event types. Generated hooks that call this one
    resolve it once (:func:`_resolved`), so a nested model costs no extra call.
    """

    __slots__ = ("cls", "fn")

    def __init__(self, cls: type[Any]) -> None:
        self.cls = cls
        self.fn: Callable[..., Any] | None = None

    def materialize(self) -> Callable[..., Any]:
        """The generated function (made and registered on the first call)."""
        fn = self.fn
        if fn is None:
            fn = self.fn = make_structure_fn(self.cls)
            _set_hook(self.cls, fn, structure=True)
        return fn

    def __call__(self, obj: Any, _: Any = None) -> Any:
        return self.materialize()(obj)


class _LazyUnstructure:
    """The unstructure hook of a built-in model, generated on its first use."""

    __slots__ = ("cls", "fn", "tag")

    def __init__(self, cls: type[Any], tag: str | None) -> None:
        self.cls = cls
        self.tag = tag
        self.fn: Callable[[Any], Any] | None = None

    def __call__(self, obj: Any) -> Any:
        fn = self.fn
        if fn is None:
            fn = self.fn = _unstructure_fn(self.cls, self.tag)
            _set_hook(self.cls, fn, structure=False)
        return fn(obj)


def _set_hook(cls: type[Any], hook: Callable[..., Any], *, structure: bool) -> None:
    """``converter.register_(un)structure_hook(cls, hook)`` for a built-in class, without
    the ``attrs.resolve_types(cls)`` that cattrs runs there: resolving every model's
    annotations at import costs several milliseconds, so a built-in model's are resolved
    when its hook is generated (:func:`make_structure_fn`, :func:`_unstructure_fn`).
    The hook goes where cattrs' own method puts a class's (its single dispatch)."""
    dispatch = converter._structure_func if structure else converter._unstructure_func
    dispatch.register_cls_list([(cls, hook)])


def _hook(tp: Any) -> Callable[..., Any]:
    """The converter's structure hook for ``tp``, generated now if it was left for later."""
    hook: Callable[..., Any] = _resolved(converter.get_structure_hook(tp))
    return hook


def _resolved(hook: Any) -> Any:
    return hook.materialize() if isinstance(hook, _LazyStructure) else hook


_DEFERRED: set[type[Any]] = set()
"""Classes of values a lazy slot may hold that build the model with ``._build()`` (the
bytes decoder's mirror structs, see ``_decode``)."""


class _LazyField:
    """A slot of a frozen model whose JSON is structured on first read, then kept.

    Rarely read parts of frequent events (a text message's mentions and emojis) are
    several objects each; parsing stores their decoded JSON (a ``dict`` or ``list``,
    never a model) in the slot, or the bytes decoder's mirror of it (a struct, or a tuple
    of structs, of a class in ``_DEFERRED``), and the first read (by the bot, ``==``,
    ``repr``, ``hash`` or unstructuring) builds the model. Values of other types are
    models already (built by ``__init__`` or at parse time) and are returned as they are.
    """

    __slots__ = ("hook", "name", "slot", "tp")

    def __init__(self, slot: Any, name: str, tp: Any) -> None:
        self.slot = slot
        self.name = name
        self.tp = tp
        self.hook: Callable[[Any, Any], Any] | None = None

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        value = self.slot.__get__(obj, owner)
        kind = value.__class__
        if kind is dict or kind is list:
            hook = self.hook
            if hook is None:
                hook = self.hook = _hook(self.tp)
            value = hook(value, self.tp)
            self.slot.__set__(obj, value)
        elif kind in _DEFERRED:
            value = value._build()
            self.slot.__set__(obj, value)
        elif kind is tuple and value and value[0].__class__ in _DEFERRED:
            value = tuple([item._build() for item in value])
            self.slot.__set__(obj, value)
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        self.slot.__set__(obj, value)

    def __delete__(self, obj: Any) -> None:
        self.slot.__delete__(obj)


def _lazy_fields(cls: type[Any], *names: str) -> None:
    """Structure the named optional fields of ``cls`` on first read (see :class:`_LazyField`).

    Call before :func:`register_model` of ``cls``; each field must default to ``None``.
    """
    attrs.resolve_types(cls)
    fields = attrs.fields_dict(cls)
    for name in names:
        field = fields[name]
        if field.default is not None or not _is_optional(field.type):
            raise TypeError(f"{cls.__name__}.{name}: only optional fields can be lazy")
        slot = cls.__dict__[name]
        if not isinstance(slot, types.MemberDescriptorType):
            raise TypeError(f"{cls.__name__}.{name} is not a slot")
        setattr(cls, name, _LazyField(slot, name, _without_none(field.type)))


def make_structure_fn(cls: type[Any]) -> Callable[..., Any]:
    """Generate, once, a function that builds ``cls`` from its camelCase JSON object.

    This is cattrs' ``make_dict_structure_fn`` specialised for LINE's models, and about
    1.7x faster on webhook events: fields are read with one ``dict.get`` each, scalars
    already of the right type are taken as they are, no keyword dictionary is built, and
    when ``__init__`` would only store the values (no validators, converters or
    post-init) the instance's slots are filled directly. Nested fields use the converter's
    hooks, which are looked up here, once, so register field types before the models
    that use them.
    Scalars of another type are converted as cattrs would (``int("12")``); a missing
    required field raises ``KeyError`` naming the JSON key.
    """
    attrs.resolve_types(cls)
    namespace: dict[str, Any] = {"__cl": cls, "_MISSING": _MISSING}
    body: list[str] = []
    positional: list[str] = []
    keywords: list[str] = []
    for index, field in enumerate(attrs.fields(cls)):
        if not field.init:
            continue
        var, key, tp = f"v{index}", repr(to_camel(field.name)), field.type
        inner = tp
        if isinstance(cls.__dict__.get(field.name), _LazyField):
            # Kept as decoded JSON until first read; anything but an object or an array
            # is structured now, so that a malformed value still fails the parse.
            namespace[f"h{index}"] = _hook(_without_none(tp))
            namespace[f"t{index}"] = _without_none(tp)
            body.append(f"    {var} = o.get({key})")
            body.append(
                f"    if {var} is not None and {var}.__class__ is not dict "
                f"and {var}.__class__ is not list:"
            )
            body.append(f"        {var} = h{index}({var}, t{index})")
            inner = None
        elif field.default is None and _is_optional(tp):
            inner = _without_none(tp)
            body.append(f"    {var} = o.get({key})")
            guard = f"{var} is not None and "
        elif field.default is attrs.NOTHING:
            body.append(f"    {var} = o[{key}]")
            guard = ""
        else:
            default = field.default
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                namespace[f"f{index}"] = default.factory
                default_expr = f"f{index}()"
            else:
                namespace[f"d{index}"] = default
                default_expr = f"d{index}"
            body.append(f"    {var} = o.get({key}, _MISSING)")
            body.append(f"    if {var} is _MISSING:")
            body.append(f"        {var} = {default_expr}")
            namespace[f"h{index}"] = _hook(tp)
            if namespace[f"h{index}"] is _lenient_mode:  # a str already is the common case
                body.append(f"    elif {var}.__class__ is not str:")
            else:
                body.append("    else:")
            body.append(f"        {var} = h{index}({var}, t{index})")
            namespace[f"t{index}"] = tp
            inner = None
        if inner in _SCALARS:
            namespace[f"s{index}"] = inner
            body.append(f"    if {guard}{var}.__class__ is not s{index}:")
            body.append(f"        {var} = s{index}({var})")
        elif inner is not None:
            namespace[f"h{index}"] = _hook(inner)
            namespace[f"t{index}"] = inner
            if guard:
                body.append(f"    if {var} is not None:")
                body.append(f"        {var} = h{index}({var}, t{index})")
            else:
                body.append(f"    {var} = h{index}({var}, t{index})")
        if field.kw_only:
            keywords.append(f"{field.alias}={var}")
        else:
            positional.append(var)
    name = f"structure_{cls.__name__}"
    fill = _fill_lines(cls, [f"v{i}" for i in range(len(attrs.fields(cls)))], namespace)
    if fill is not None:
        body.extend(fill)
        body.append("    return obj")
    elif _init_only_stores(cls):
        # Building a frozen slotted instance through __init__ costs one
        # ``object.__setattr__`` lookup per field; setting the slots directly is what
        # __init__ does, minus the lookups (only done when __init__ has nothing else to do).
        namespace["__new"] = object.__new__
        body.append("    obj = __new(__cl)")
        for index, field in enumerate(attrs.fields(cls)):
            namespace[f"set{index}"] = _slot_of(cls, field.name).__set__
            body.append(f"    set{index}(obj, v{index})")
        body.append("    return obj")
    else:
        body.append(f"    return __cl({', '.join(positional + keywords)})")
    source = "\n".join([f"def {name}(o, _=None):", *body])
    # The source is made only from the class's field names and our own templates.
    code = compile(source, f"<linegroupbot structure {cls.__qualname__}>", "exec")
    exec(code, namespace)  # noqa: S102
    function: Callable[..., Any] = namespace[name]
    return function


def register_model(cls: type[Any], *, type_tag: str | None = None, structure: bool = True) -> None:
    """Generate and register camelCase structure/unstructure hooks for an attrs class.

    ``structure=False`` registers only the unstructure hook (for models that are only sent).

    ``type_tag`` (default: the class's ``type`` class variable, when it has one and
    no ``type`` field) is written as ``"type"`` when unstructuring. Plugin authors
    can register their own models the same way.
    """
    _register(cls, type_tag=type_tag, structure=structure, lazy=False)


def _register(
    cls: type[Any], *, type_tag: str | None = None, structure: bool = True, lazy: bool = True
) -> None:
    """:func:`register_model`; ``lazy`` (the built-in models) generates on first use."""
    tag = type_tag
    if tag is None and not _has_type_field(cls):
        tag = getattr(cls, "type", None)
    if lazy:
        if structure:
            _set_hook(cls, _LazyStructure(cls), structure=True)
        _set_hook(cls, _LazyUnstructure(cls, tag), structure=False)
        return
    if structure:
        converter.register_structure_hook(cls, make_structure_fn(cls))
    converter.register_unstructure_hook(cls, _unstructure_fn(cls, tag))


def _unstructure_fn(cls: type[Any], tag: str | None) -> Callable[[Any], Any]:
    """cattrs' generated unstructure function for ``cls``, with ``"type": tag`` if tagged."""
    attrs.resolve_types(cls)
    base = make_dict_unstructure_fn(cls, converter, **_unstructure_overrides(cls))
    if tag is None:
        return base

    def unstructure_tagged(obj: Any, _tag: str = tag, _base: Callable[[Any], Any] = base) -> Any:
        return {"type": _tag, **_base(obj)}

    return unstructure_tagged


# --- fast generic hooks (registered before any model hook is generated) -----------------------
# cattrs' generic handling of Optional and homogeneous tuples re-dispatches on every call;
# these factories resolve the inner hook once and close over it.


def _is_optional(tp: Any) -> bool:
    """Whether ``tp`` is a union with ``None`` in it (``X | None``, ``A | B | None``)."""
    return typing.get_origin(tp) in _UNIONS and _NONE in typing.get_args(tp)


def _without_none(tp: Any) -> Any:
    """``X`` for ``X | None``, ``A | B`` for ``A | B | None``."""
    rest = tuple(a for a in typing.get_args(tp) if a is not _NONE)
    return rest[0] if len(rest) == 1 else typing.Union[rest]  # noqa: UP007


def _optional_factory(tp: Any) -> Callable[[Any, Any], Any]:
    inner_type = _without_none(tp)
    if inner_type in (str, int, float, bool):

        def structure_optional_scalar(value: Any, _: Any) -> Any:
            if value is None or type(value) is inner_type:
                return value
            return inner_type(value)

        return structure_optional_scalar
    inner = _hook(inner_type)

    def structure_optional(value: Any, _: Any) -> Any:
        return None if value is None else inner(value, inner_type)

    return structure_optional


def _is_homogeneous_tuple(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_factory(tp: Any) -> Callable[[Any, Any], Any]:
    item_type = typing.get_args(tp)[0]
    item = _hook(item_type)

    def structure_tuple(value: Any, _: Any) -> tuple[Any, ...]:
        if value.__class__ is not list and not isinstance(value, list | tuple):
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
    table: dict[str, Callable[..., Any]] | None = None,
) -> Callable[..., Any]:
    """A structure hook that picks a class by the JSON ``type`` field (from ``table``, which
    it fills and keeps reading, so types added to it later are picked too)."""
    kinds = {cls.type: cls for cls in classes}
    for cls in kinds.values():
        _register(cls)
    # Hooks made by make_structure_fn take the object alone; each is made on first use.
    table = {} if table is None else table
    table.update({tag: converter.get_structure_hook(cls) for tag, cls in kinds.items()})

    def structure_tagged(obj: Any, _: Any = None) -> Any:
        try:
            tag = obj["type"]
        except (TypeError, KeyError):
            raise InvalidWebhookBodyError(f"{name} must be an object with a 'type'") from None
        hook = table.get(tag)
        if hook is None:
            return unknown(obj)
        if hook.__class__ is _LazyStructure:
            hook = table[tag] = hook.materialize()
        return hook(obj)

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
    _register(_cls)
_register(ev.DeliveryContext)
_set_hook(ev.DeliveryContext, _structure_delivery, structure=True)


# Tagged unions: each hook is registered before any model that has it as a field type.
_structure_source = _dispatcher(
    "source", (ev.UserSource, ev.GroupSource, ev.RoomSource), _unknown_source
)
converter.register_structure_hook(ev.Source, _structure_source)
_structure_mentionee = _dispatcher(
    "mentionee", (ev.UserMentionee, ev.AllMentionee), _unknown_mentionee
)
converter.register_structure_hook(ev.Mentionee, _structure_mentionee)
_register(ev.Mention)
_register(ev.Members)
# Most text messages are read for their text; mentions and emojis are built when read.
_lazy_fields(ev.TextMessageContent, "mention", "emojis")
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


_set_hook(ev.UnknownSource, _unstructure_raw, structure=False)
_set_hook(ev.UnknownMessageContent, _unstructure_raw, structure=False)
_register(ev.UnknownMentionee)


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


_EVENT_HOOKS: dict[str, Callable[..., Any]] = {}
_EVENT_CLASSES: dict[str, type[ev.Event]] = {cls.type: cls for cls in ev.KNOWN_EVENT_TYPES}
_structure_event = _dispatcher("event", ev.KNOWN_EVENT_TYPES, _unknown_event, _EVENT_HOOKS)
_set_hook(ev.Event, _structure_event, structure=True)


def register_event(cls: type[ev.Event]) -> None:
    """Teach the parser a webhook event type: JSON events whose ``type`` is ``cls.type``
    become ``cls`` instead of :class:`~linegroupbot.events.UnknownEvent`.

    ``cls`` is a frozen attrs subclass of :class:`~linegroupbot.events.Event` with keyword
    fields named in snake_case (``camelCase`` in the JSON) and a ``type`` class variable.
    Handle it with ``@bot.on_event(cls)``. A type linegroupbot already knows, or one
    another class registered, raises :class:`ValueError`.
    """
    event_class: type[ev.Event] = cls
    if not (isinstance(cls, type) and issubclass(cls, ev.Event) and attrs.has(cls)):
        raise TypeError(f"{cls!r} is not an attrs subclass of linegroupbot.events.Event")
    tag = cls.__dict__.get("type")
    if not isinstance(tag, str) or not tag or tag in ("event", "unknown"):
        raise TypeError(f"{cls.__name__} needs its own type class variable, e.g. type = 'coupon'")
    known = _EVENT_CLASSES.get(tag)
    if known is event_class:
        return
    reloaded = known is not None and (known.__module__, known.__qualname__) == (
        cls.__module__,
        cls.__qualname__,
    )  # the same class from a module run again (``linegroupbot dev`` reloads): replace it
    if known is not None and not reloaded:
        raise ValueError(
            f"webhook event type {tag!r} is already {known.__module__}.{known.__qualname__}"
        )
    register_model(cls)
    _EVENT_HOOKS[tag] = converter.get_structure_hook(cls)
    _EVENT_CLASSES[tag] = event_class


def structure_event(obj: Any) -> ev.Event:
    """Structure one event JSON object, ``obj``, into its typed model (``UnknownEvent`` if
    new)."""
    result: ev.Event = _structure_event(obj)
    return result


_set_hook(ev.UnknownEvent, _unstructure_raw, structure=False)


def _unstructure_event(obj: ev.Event) -> Any:
    return converter.unstructure(obj, unstructure_as=type(obj))


_set_hook(ev.Event, _unstructure_event, structure=False)
_register(ev.WebhookBody)


# --- what the bot sends ----------------------------------------------------------------------

for _sent in (
    msg.AltUri,
    *ACTION_TYPES,
    msg.Emoji,
    msg.ButtonsTemplate,
    msg.ConfirmTemplate,
    msg.CarouselColumn,
    msg.CarouselTemplate,
    msg.ImageCarouselColumn,
    msg.ImageCarouselTemplate,
    msg.QuickReplyItem,
    msg.QuickReply,
    msg.Sender,
    *msg.MESSAGE_TYPES,
):
    _register(_sent, structure=False)


def register_flex(classes: Iterable[type[Any]], to_json: Callable[[Any], Any]) -> None:
    """Write the flex containers and components ``classes`` with ``to_json``.

    :mod:`linegroupbot.flex` calls it when it is imported (most bots send no flex message,
    so the converter does not import it): each class gets its own hook, as any model does,
    so hooks registered later for a class replace it as they would any other.

    Args:
        classes: The flex classes.
        to_json: ``flex.to_json``.
    """
    for cls in classes:
        _set_hook(cls, to_json, structure=False)


def structure_body(obj: Any) -> ev.WebhookBody:
    """Structure a decoded webhook body, ``obj``.

    Raises:
        InvalidWebhookBodyError: It is not shaped like a webhook request.
    """
    if not isinstance(obj, dict):
        raise InvalidWebhookBodyError("webhook body must be a JSON object")
    raw_events = obj.get("events")
    if not isinstance(raw_events, list):
        raise InvalidWebhookBodyError("webhook body must have an 'events' array")
    destination = obj.get("destination")
    if destination is not None and not isinstance(destination, str):
        raise InvalidWebhookBodyError("'destination' must be a string")
    parsed: list[ev.Event] = []
    try:
        for raw in raw_events:
            parsed.append(_structure_event(raw))
    except (InvalidWebhookBodyError, KeyError, TypeError, ValueError, AttributeError) as error:
        raise _body_error(len(parsed), raw_events[len(parsed)], error) from None
    return _new_body(tuple(parsed), destination)


def _body_maker() -> Callable[[tuple[ev.Event, ...], str | None], ev.WebhookBody]:
    """``WebhookBody(events, destination)``, filling the two slots directly when that is all
    ``__init__`` does (it is on every request's path)."""
    cls = ev.WebhookBody
    if [f.name for f in attrs.fields(cls)] != ["events", "destination"] or not _init_only_stores(
        cls
    ):
        return cls
    new = object.__new__
    set_events = _slot_of(cls, "events").__set__
    set_destination = _slot_of(cls, "destination").__set__

    def make(events: tuple[ev.Event, ...], destination: str | None) -> ev.WebhookBody:
        body: ev.WebhookBody = new(cls)
        set_events(body, events)
        set_destination(body, destination)
        return body

    return make


_new_body = _body_maker()


def _body_error(index: int, raw: Any, error: Exception) -> InvalidWebhookBodyError:
    """Say which event of a body is bad and why."""
    if isinstance(error, InvalidWebhookBodyError):
        return InvalidWebhookBodyError(f"events[{index}]: {error}")
    kind = raw.get("type") if isinstance(raw, dict) else None
    if isinstance(error, KeyError):
        return InvalidWebhookBodyError(
            f"events[{index}] (type {kind!r}) lacks required field {error}"
        )
    return InvalidWebhookBodyError(f"events[{index}] (type {kind!r}) is malformed: {error}")


def structure(obj: Any, cls: type[T]) -> T:
    """Structure JSON-shaped data, ``obj``, into ``cls`` with the shared converter."""
    return converter.structure(obj, cls)


def unstructure(obj: Any) -> Any:
    """Unstructure a model, ``obj``, into LINE's camelCase JSON shape (``None`` fields left
    out)."""
    return converter.unstructure(obj)


def dumps(obj: Any) -> bytes:
    """Serialize a model (or plain data), ``obj``, to LINE JSON bytes."""
    return orjson.dumps(converter.unstructure(obj))
