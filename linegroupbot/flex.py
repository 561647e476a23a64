"""Typed flex message builders, checked before sending, and raw flex JSON read back.

A flex message is a :class:`Bubble` (header, hero, body, footer blocks) or a
:class:`Carousel` of bubbles, laid out with :class:`Box` components holding
:class:`Text`, :class:`Image`, :class:`Button`, :class:`Icon`, :class:`Separator`,
:class:`Filler` and :class:`Video` components::

    bubble = flex.Bubble(
        body=flex.Box.vertical(
            flex.Text("Lunch?", weight="bold", size="xl"),
            flex.Button(PostbackAction("Yes", data="vote:yes"), style="primary"),
        )
    )
    await ctx.reply(messages.FlexMessage(alt_text="Lunch?", contents=bubble))

:func:`validate` checks a container the way LINE would and raises
:class:`~linegroupbot.errors.MessageValidationError` naming the path of the first
problem (``contents.body.contents[2].text: required``); :func:`from_json` turns the JSON
of LINE's Flex Message Simulator into these objects (checked the same way) and
:func:`to_json` gives LINE's JSON back.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Literal, TypeAlias

import attrs
import orjson

from ._names import to_camel
from .actions import ACTION_TYPES, QUICK_REPLY_ONLY, Action, check_action, check_url
from .errors import MessageValidationError

__all__ = [
    "BlockStyle",
    "Box",
    "Bubble",
    "BubbleStyles",
    "Button",
    "Carousel",
    "Component",
    "Container",
    "Filler",
    "Icon",
    "Image",
    "LinearGradient",
    "Separator",
    "Span",
    "Text",
    "Video",
    "from_json",
    "to_json",
    "validate",
]

MAX_BUBBLES = 12
"""A carousel holds at most twelve bubbles."""
MAX_BUBBLE_BYTES = 30_000
MAX_CAROUSEL_BYTES = 50_000

Position = Literal["relative", "absolute"]
Gravity = Literal["top", "bottom", "center"]
Align = Literal["start", "end", "center"]
Weight = Literal["regular", "bold"]
FontStyle = Literal["normal", "italic"]
Decoration = Literal["none", "underline", "line-through"]


def _tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(value)


def _contents() -> Any:
    return attrs.field(factory=tuple, converter=_tuple)


# --- components -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Span:
    """A run of styled text inside a :class:`Text` (``Text(contents=[Span("a"), ...])``).

    Attributes:
        text: The span's text.
        size: The font size: a keyword (``"xxs"`` to ``"5xl"``) or pixels (``"16px"``).
        color: Its text color, ``#RRGGBB``.
        weight: ``"regular"`` or ``"bold"``.
        style: ``"normal"`` or ``"italic"``.
        decoration: ``"none"``, ``"underline"`` or ``"line-through"``.
    """

    text: str | None = attrs.field(default=None, kw_only=False)
    size: str | None = None
    color: str | None = None
    weight: Weight | None = None
    style: FontStyle | None = None
    decoration: Decoration | None = None

    type: ClassVar[str] = "span"


@attrs.frozen(kw_only=True)
class Text:
    """Text: ``Text("Hello", weight="bold", wrap=True)``; give ``text`` or spans in ``contents``.

    Attributes:
        text: The text (or give ``contents``).
        contents: Spans styling parts of the text, instead of ``text``.
        flex: Its share of the free space along its box (``0``: only its own size).
        size: The font size: a keyword (``"xxs"`` to ``"5xl"``) or pixels (``"16px"``).
        align: Horizontal alignment: ``"start"``, ``"end"`` or ``"center"``.
        gravity: Vertical alignment: ``"top"``, ``"bottom"`` or ``"center"``.
        color: The text color, ``#RRGGBB`` or ``#RRGGBBAA``.
        weight: ``"regular"`` or ``"bold"``.
        style: ``"normal"`` or ``"italic"``.
        decoration: ``"none"``, ``"underline"`` or ``"line-through"``.
        wrap: Wrap long text onto more lines (otherwise it is cut with an ellipsis).
        line_spacing: Extra space between wrapped lines, in pixels (``"4px"``).
        max_lines: At most this many lines, the rest cut with an ellipsis (``0``: no limit).
        margin: Space before it in its box: ``"none"``, ``"xs"`` to ``"xxl"``, or pixels.
        position: ``"relative"`` (offsets move it from its place) or ``"absolute"`` (offsets from
            its box's edges).
        offset_top: Shift from the top (pixels, percent or a keyword).
        offset_bottom: Shift from the bottom.
        offset_start: Shift from the start.
        offset_end: Shift from the end.
        action: What tapping it does.
        adjust_mode: ``"shrink-to-fit"`` shrinks the font until the text fits.
        scaling: Scale the font with the user's font-size setting.
    """

    text: str | None = attrs.field(default=None, kw_only=False)
    contents: tuple[Span, ...] = _contents()
    flex: int | None = None
    size: str | None = None
    align: Align | None = None
    gravity: Gravity | None = None
    color: str | None = None
    weight: Weight | None = None
    style: FontStyle | None = None
    decoration: Decoration | None = None
    wrap: bool | None = None
    line_spacing: str | None = None
    max_lines: int | None = None
    margin: str | None = None
    position: Position | None = None
    offset_top: str | None = None
    offset_bottom: str | None = None
    offset_start: str | None = None
    offset_end: str | None = None
    action: Action | None = None
    adjust_mode: Literal["shrink-to-fit"] | None = None
    scaling: bool | None = None

    type: ClassVar[str] = "text"


@attrs.frozen(kw_only=True)
class Image:
    """An image (HTTPS, JPEG or PNG): ``Image(url, size="full", aspect_ratio="20:13")``.

    Attributes:
        url: The HTTPS image (JPEG or PNG).
        flex: Its share of the free space along its box (``0``: only its own size).
        margin: Space before it in its box: ``"none"``, ``"xs"`` to ``"xxl"``, or pixels.
        position: ``"relative"`` (offsets move it from its place) or ``"absolute"`` (offsets from
            its box's edges).
        offset_top: Shift from the top (pixels, percent or a keyword).
        offset_bottom: Shift from the bottom.
        offset_start: Shift from the start.
        offset_end: Shift from the end.
        align: Horizontal alignment: ``"start"``, ``"end"`` or ``"center"``.
        gravity: Vertical alignment: ``"top"``, ``"bottom"`` or ``"center"``.
        size: The width: a keyword (``"xxs"`` to ``"5xl"``) or pixels (``"16px"``, ``"full"``,
            pixels or percent.
        aspect_ratio: Width to height, as ``"20:13"``.
        aspect_mode: ``"fit"`` (the whole image, letterboxed) or ``"cover"`` (filled, cropped).
        background_color: The background, ``#RRGGBB`` or ``#RRGGBBAA``.
        action: What tapping it does.
        animated: Play an animated (APNG) image.
    """

    url: str = attrs.field(kw_only=False)
    flex: int | None = None
    margin: str | None = None
    position: Position | None = None
    offset_top: str | None = None
    offset_bottom: str | None = None
    offset_start: str | None = None
    offset_end: str | None = None
    align: Align | None = None
    gravity: Gravity | None = None
    size: str | None = None
    aspect_ratio: str | None = None
    aspect_mode: Literal["fit", "cover"] | None = None
    background_color: str | None = None
    action: Action | None = None
    animated: bool | None = None

    type: ClassVar[str] = "image"


@attrs.frozen(kw_only=True)
class Icon:
    """A small image beside text; only inside a ``baseline`` box.

    Attributes:
        url: The HTTPS image (JPEG or PNG).
        size: The size: a keyword (``"xxs"`` to ``"5xl"``) or pixels (``"16px"``).
        aspect_ratio: Width to height, as ``"20:13"``.
        margin: Space before it in its box: ``"none"``, ``"xs"`` to ``"xxl"``, or pixels.
        position: ``"relative"`` (offsets move it from its place) or ``"absolute"`` (offsets from
            its box's edges).
        offset_top: Shift from the top (pixels, percent or a keyword).
        offset_bottom: Shift from the bottom.
        offset_start: Shift from the start.
        offset_end: Shift from the end.
        scaling: Scale the font with the user's font-size setting.
    """

    url: str = attrs.field(kw_only=False)
    size: str | None = None
    aspect_ratio: str | None = None
    margin: str | None = None
    position: Position | None = None
    offset_top: str | None = None
    offset_bottom: str | None = None
    offset_start: str | None = None
    offset_end: str | None = None
    scaling: bool | None = None

    type: ClassVar[str] = "icon"


@attrs.frozen(kw_only=True)
class Button:
    """A button: ``Button(PostbackAction("Yes", data="yes"), style="primary")``; needs a label.

    Attributes:
        action: What tapping it does; its label is the button's text.
        flex: Its share of the free space along its box (``0``: only its own size).
        color: The button's color (the text's, for ``"link"``).
        style: ``"primary"``, ``"secondary"`` or ``"link"``.
        gravity: Vertical alignment: ``"top"``, ``"bottom"`` or ``"center"``.
        margin: Space before it in its box: ``"none"``, ``"xs"`` to ``"xxl"``, or pixels.
        position: ``"relative"`` (offsets move it from its place) or ``"absolute"`` (offsets from
            its box's edges).
        offset_top: Shift from the top (pixels, percent or a keyword).
        offset_bottom: Shift from the bottom.
        offset_start: Shift from the start.
        offset_end: Shift from the end.
        height: ``"md"`` or ``"sm"``.
        adjust_mode: ``"shrink-to-fit"`` shrinks the font until the text fits.
        scaling: Scale the font with the user's font-size setting.
    """

    action: Action = attrs.field(kw_only=False)
    flex: int | None = None
    color: str | None = None
    style: Literal["primary", "secondary", "link"] | None = None
    gravity: Gravity | None = None
    margin: str | None = None
    position: Position | None = None
    offset_top: str | None = None
    offset_bottom: str | None = None
    offset_start: str | None = None
    offset_end: str | None = None
    height: Literal["md", "sm"] | None = None
    adjust_mode: Literal["shrink-to-fit"] | None = None
    scaling: bool | None = None

    type: ClassVar[str] = "button"


@attrs.frozen(kw_only=True)
class Separator:
    """A line between components.

    Attributes:
        margin: Space before it in its box: ``"none"``, ``"xs"`` to ``"xxl"``, or pixels.
        color: The line's color.
    """

    margin: str | None = None
    color: str | None = None

    type: ClassVar[str] = "separator"


@attrs.frozen(kw_only=True)
class Filler:
    """Empty space that takes ``flex`` shares of its box.

    Attributes:
        flex: Its share of the free space along its box (``0``: only its own size).
    """

    flex: int | None = None

    type: ClassVar[str] = "filler"


@attrs.frozen(kw_only=True)
class LinearGradient:
    """A box background fading from ``start_color`` to ``end_color`` at ``angle`` (``"90deg"``).

    Attributes:
        angle: The gradient's direction (``"90deg"``: left to right).
        start_color: The color it starts with.
        end_color: The color it ends with.
        center_color: A color in between.
        center_position: Where ``center_color`` sits, as a percent (``"30%"``).
    """

    angle: str
    start_color: str
    end_color: str
    center_color: str | None = None
    center_position: str | None = None

    type: ClassVar[str] = "linearGradient"


@attrs.frozen(kw_only=True)
class Box:
    """A box laying out ``contents`` ``horizontal``-ly, ``vertical``-ly or on a ``baseline``.

    ``Box.vertical(Text("a"), Text("b"), spacing="md")`` is the short way.

    Attributes:
        layout: ``"horizontal"``, ``"vertical"`` or ``"baseline"``.
        contents: The components it holds, in order.
        flex: Its share of the free space along its box (``0``: only its own size).
        spacing: The least space between its components: a keyword (``"xs"`` to ``"xxl"``) or
            pixels.
        margin: Space before it in its box: ``"none"``, ``"xs"`` to ``"xxl"``, or pixels.
        position: ``"relative"`` (offsets move it from its place) or ``"absolute"`` (offsets from
            its box's edges).
        offset_top: Shift from the top (pixels, percent or a keyword).
        offset_bottom: Shift from the bottom.
        offset_start: Shift from the start.
        offset_end: Shift from the end.
        background_color: The background, ``#RRGGBB`` or ``#RRGGBBAA``.
        border_color: The border's color.
        border_width: The border's width: ``"none"``, ``"light"`` to ``"bold"``, or pixels.
        corner_radius: How round its corners are: a keyword or pixels.
        width: Its width: pixels or percent.
        max_width: Its largest width: pixels or percent.
        height: Its height: pixels or percent.
        max_height: Its largest height: pixels or percent.
        padding_all: Space inside all four edges: pixels, percent or a keyword.
        padding_top: Space inside the top edge.
        padding_bottom: Space inside the bottom edge.
        padding_start: Space inside the start edge.
        padding_end: Space inside the end edge.
        action: What tapping it does.
        justify_content: How its components spread along it when there is room (``"flex-start"``,
            ``"center"``, ``"space-between"``...).
        align_items: How its components sit across it: ``"flex-start"``, ``"center"`` or
            ``"flex-end"``.
        background: A :class:`LinearGradient` background.
    """

    layout: Literal["horizontal", "vertical", "baseline"] = attrs.field(kw_only=False)
    contents: tuple[Component, ...] = _contents()
    flex: int | None = None
    spacing: str | None = None
    margin: str | None = None
    position: Position | None = None
    offset_top: str | None = None
    offset_bottom: str | None = None
    offset_start: str | None = None
    offset_end: str | None = None
    background_color: str | None = None
    border_color: str | None = None
    border_width: str | None = None
    corner_radius: str | None = None
    width: str | None = None
    max_width: str | None = None
    height: str | None = None
    max_height: str | None = None
    padding_all: str | None = None
    padding_top: str | None = None
    padding_bottom: str | None = None
    padding_start: str | None = None
    padding_end: str | None = None
    action: Action | None = None
    justify_content: (
        Literal["center", "flex-start", "flex-end", "space-between", "space-around", "space-evenly"]
        | None
    ) = None
    align_items: Literal["center", "flex-start", "flex-end"] | None = None
    background: LinearGradient | None = None

    type: ClassVar[str] = "box"

    @classmethod
    def vertical(cls, *contents: Component, **options: Any) -> Box:
        """A vertical box of ``contents``.

        Args:
            *contents: The components, top to bottom.
            **options: The box's other fields (``spacing="md"``...).
        """
        return cls("vertical", contents=contents, **options)

    @classmethod
    def horizontal(cls, *contents: Component, **options: Any) -> Box:
        """A horizontal box of ``contents``.

        Args:
            *contents: The components, start to end.
            **options: The box's other fields.
        """
        return cls("horizontal", contents=contents, **options)

    @classmethod
    def baseline(cls, *contents: Component, **options: Any) -> Box:
        """A baseline box (texts and icons aligned on their baseline).

        Args:
            *contents: The texts and icons, start to end.
            **options: The box's other fields.
        """
        return cls("baseline", contents=contents, **options)


@attrs.frozen(kw_only=True)
class Video:
    """A video in a bubble's hero (bubble size kilo, mega or giga); ``alt_content`` shows
    where video cannot play.

    Attributes:
        url: The HTTPS video (mp4).
        preview_url: The HTTPS preview image.
        alt_content: What shows where the video cannot play.
        aspect_ratio: Width to height, as ``"20:13"``.
        action: What tapping the link shown after it ends does.
    """

    url: str
    preview_url: str
    alt_content: Box | Image
    aspect_ratio: str | None = None
    action: Action | None = None

    type: ClassVar[str] = "video"


Component: TypeAlias = Box | Button | Image | Video | Icon | Text | Separator | Filler
"""A component a box may hold (spans live only in a :class:`Text`)."""


# --- containers --------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class BlockStyle:
    """Background and separator of one bubble block.

    Attributes:
        background_color: The block's background.
        separator: Draw a line above the block.
        separator_color: That line's color.
    """

    background_color: str | None = None
    separator: bool | None = None
    separator_color: str | None = None


@attrs.frozen(kw_only=True)
class BubbleStyles:
    """Styles of a bubble's header, hero, body and footer blocks.

    Attributes:
        header: The header block's style.
        hero: The hero block's style.
        body: The body block's style.
        footer: The footer block's style.
    """

    header: BlockStyle | None = None
    hero: BlockStyle | None = None
    body: BlockStyle | None = None
    footer: BlockStyle | None = None


@attrs.frozen(kw_only=True)
class Bubble:
    """One message bubble: ``header``, ``hero`` (a box, image or video), ``body``, ``footer``.

    Attributes:
        header: The header block (a box).
        hero: The hero block: a box, an image or a video.
        body: The body block (a box).
        footer: The footer block (a box).
        size: ``"nano"``, ``"micro"``, ``"deca"``, ``"hecto"``, ``"kilo"``, ``"mega"`` or
            ``"giga"``.
        direction: Text direction: ``"ltr"`` or ``"rtl"``.
        styles: The blocks' styles.
        action: What tapping the bubble does.
    """

    header: Box | None = None
    hero: Box | Image | Video | None = None
    body: Box | None = None
    footer: Box | None = None
    size: Literal["nano", "micro", "deca", "hecto", "kilo", "mega", "giga"] | None = None
    direction: Literal["ltr", "rtl"] | None = None
    styles: BubbleStyles | None = None
    action: Action | None = None

    type: ClassVar[str] = "bubble"


@attrs.frozen
class Carousel:
    """Bubbles side by side (1 to 12): ``Carousel([bubble1, bubble2])``.

    Attributes:
        contents: The bubbles (1 to 12), in order.
    """

    contents: tuple[Bubble, ...] = attrs.field(converter=_tuple)

    type: ClassVar[str] = "carousel"


Container: TypeAlias = Bubble | Carousel
"""What a flex message holds."""

_TAGGED: dict[str, type[Any]] = {
    cls.type: cls
    for cls in (
        Span,
        Text,
        Image,
        Icon,
        Button,
        Separator,
        Filler,
        Box,
        Video,
        LinearGradient,
        Bubble,
        Carousel,
        *ACTION_TYPES,
    )
}


# --- JSON out --------------------------------------------------------------------------------


def _dump(value: Any) -> Any:
    if attrs.has(type(value)):
        out: dict[str, Any] = {}
        tag = getattr(type(value), "type", None)
        if isinstance(tag, str):
            out["type"] = tag
        for field in attrs.fields(type(value)):
            item = getattr(value, field.name)
            if item is None or (field.name == "contents" and item == () and tag == "text"):
                continue
            out[to_camel(field.name)] = _dump(item)
        return out
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    return value


def to_json(container: Container | Component | Action) -> dict[str, Any]:
    """LINE's JSON of a flex container (or component, or action): camelCase, unset fields left
    out.

    Args:
        container: The bubble, carousel, component or action.
    """
    result: dict[str, Any] = _dump(container)
    return result


# --- JSON in -------------------------------------------------------------------------------------


def _fail(path: str, problem: str) -> MessageValidationError:
    return MessageValidationError(f"{path}: {problem}", property=path)


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, int | float):
        return "a number"
    return "a string" if isinstance(value, str) else type(value).__name__


def _value(tp: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        classes = [a for a in options if attrs.has(a)]
        if len(options) == 1:
            return _value(options[0], value, path)
        if classes and len(classes) == len(options):
            if not isinstance(value, Mapping):
                raise _fail(path, f"must be an object, not {_kind(value)}")
            tag = value.get("type")
            for cls in classes:
                if getattr(cls, "type", None) == tag:
                    return _object(cls, value, path)
            names = ", ".join(str(getattr(cls, "type", "")) for cls in classes)
            if tag is None:
                raise _fail(f"{path}.type", "required")
            raise _fail(f"{path}.type", f"{tag!r} is not allowed here (expected {names})")
        raise TypeError(f"unsupported field type {tp!r}")  # pragma: no cover
    if origin is Literal:
        if value not in typing.get_args(tp):
            allowed = ", ".join(map(str, typing.get_args(tp)))
            raise _fail(path, f"{value!r} is not one of {allowed}")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise _fail(path, f"must be an array, not {_kind(value)}")
        item_type = typing.get_args(tp)[0]
        return tuple(_value(item_type, v, f"{path}[{i}]") for i, v in enumerate(value))
    if tp is bool:
        if not isinstance(value, bool):
            raise _fail(path, f"must be a boolean, not {_kind(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(path, f"must be an integer, not {_kind(value)}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise _fail(path, f"must be a string, not {_kind(value)}")
        return value
    if attrs.has(tp):
        return _object(tp, value, path)
    raise TypeError(f"unsupported field type {tp!r}")  # pragma: no cover


def _object(cls: type[Any], obj: Any, path: str) -> Any:
    if not isinstance(obj, Mapping):
        raise _fail(path, f"must be an object, not {_kind(obj)}")
    tag = getattr(cls, "type", None)
    if isinstance(tag, str) and obj.get("type", tag) != tag:
        raise _fail(f"{path}.type", f"must be {tag!r}")
    hints = _hints(cls)
    fields = {to_camel(f.name): f for f in attrs.fields(cls)}
    for key in obj:
        if key not in fields and not (key == "type" and isinstance(tag, str)):
            what = tag if isinstance(tag, str) else cls.__name__
            raise _fail(f"{path}.{key}", f"unknown property of a {what} (a typo?)")
    kwargs: dict[str, Any] = {}
    for key, field in fields.items():
        raw = obj.get(key)
        if raw is None:
            if field.default is attrs.NOTHING:
                raise _fail(f"{path}.{key}", "required")
            continue
        value = _value(hints[field.name], raw, f"{path}.{key}")
        rule = _RULES.get(field.name)
        if rule is not None:
            rule(cls, value, f"{path}.{key}")
        kwargs[field.name] = value
    return cls(**kwargs)


# --- value rules (by field name) ---------------------------------------------------------------

_KEYWORDS = ("none", "xs", "sm", "md", "lg", "xl", "xxl")
_FONT_SIZES = ("xxs", "xs", "sm", "md", "lg", "xl", "xxl", "3xl", "4xl", "5xl")
_BORDER_WIDTHS = ("none", "light", "normal", "medium", "semi-bold", "bold")
_PX = re.compile(r"^\d+(\.\d+)?px$")
_PERCENT = re.compile(r"^\d+(\.\d+)?%$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$")
_RATIO = re.compile(r"^(\d+):(\d+)$")
_ANGLE = re.compile(r"^-?\d+(\.\d+)?deg$")


def _measure(
    keywords: tuple[str, ...], *, px: bool = True, percent: bool = False
) -> Callable[[type[Any], Any, str], None]:
    def check(_cls: type[Any], value: Any, path: str) -> None:
        if value in keywords or (px and _PX.match(value)) or (percent and _PERCENT.match(value)):
            return
        forms = [", ".join(keywords)] if keywords else []
        if px:
            forms.append("pixels ('12px')")
        if percent:
            forms.append("a percentage ('50%')")
        raise _fail(path, f"{value!r} must be " + " or ".join(forms))

    return check


def _color(_cls: type[Any], value: Any, path: str) -> None:
    if not _COLOR.match(value):
        raise _fail(path, f"{value!r} is not a hex color ('#RRGGBB' or '#RRGGBBAA')")


def _https(_cls: type[Any], value: Any, path: str) -> None:
    check_url(value, path)


def _ratio(_cls: type[Any], value: Any, path: str) -> None:
    match = _RATIO.match(value)
    width, height = (int(match[1]), int(match[2])) if match else (0, 0)
    if not (1 <= width <= 100_000 and 1 <= height <= 100_000) or height > 3 * width:
        raise _fail(
            path, f"{value!r} must be 'width:height' (1 to 100000, height at most 3 x width)"
        )


def _size(cls: type[Any], value: Any, path: str) -> None:
    if cls is Image:
        _measure((*_FONT_SIZES, "full"), percent=True)(cls, value, path)
    elif cls is Icon:
        _measure(_FONT_SIZES, percent=True)(cls, value, path)
    elif cls in (Text, Span):
        _measure(_FONT_SIZES)(cls, value, path)


def _non_negative(_cls: type[Any], value: Any, path: str) -> None:
    if value < 0:
        raise _fail(path, "must not be negative")


def _angle(_cls: type[Any], value: Any, path: str) -> None:
    if not _ANGLE.match(value):
        raise _fail(path, f"{value!r} must be an angle such as '90deg'")


_OFFSET = _measure(_KEYWORDS, percent=True)
_RULES: dict[str, Callable[[type[Any], Any, str], None]] = {
    "color": _color,
    "background_color": _color,
    "border_color": _color,
    "separator_color": _color,
    "start_color": _color,
    "end_color": _color,
    "center_color": _color,
    "url": _https,
    "preview_url": _https,
    "thumbnail_image_url": _https,
    "image_url": _https,
    "image_background_color": _color,
    "aspect_ratio": _ratio,
    "size": _size,
    "margin": _measure(_KEYWORDS),
    "spacing": _measure(_KEYWORDS),
    "offset_top": _OFFSET,
    "offset_bottom": _OFFSET,
    "offset_start": _OFFSET,
    "offset_end": _OFFSET,
    "padding_all": _OFFSET,
    "padding_top": _OFFSET,
    "padding_bottom": _OFFSET,
    "padding_start": _OFFSET,
    "padding_end": _OFFSET,
    "border_width": _measure(_BORDER_WIDTHS),
    "corner_radius": _measure(_KEYWORDS),
    "width": _measure((), percent=True),
    "max_width": _measure((), percent=True),
    "max_height": _measure((), percent=True),
    "line_spacing": _measure(()),
    "center_position": _measure((), px=False, percent=True),
    "angle": _angle,
    "flex": _non_negative,
    "max_lines": _non_negative,
}


def _box_height(cls: type[Any], value: Any, path: str) -> None:
    if cls is Box:
        _measure((), percent=True)(cls, value, path)


_RULES["height"] = _box_height


# --- where components may go -------------------------------------------------------------------

_IN_BASELINE = (Text, Icon, Filler)
_NOT_IN_BOX = (Icon, Video)


def _check_actions(obj: Any, path: str) -> None:
    action = getattr(obj, "action", None)
    if action is not None:
        check_action(action, f"{path}.action", label_required=isinstance(obj, Button))
        if isinstance(action, QUICK_REPLY_ONLY):
            raise _fail(
                f"{path}.action.type", f"{action.type} actions exist only on quick-reply buttons"
            )


def _check_box(box: Box, path: str) -> None:
    _check_actions(box, path)
    for index, child in enumerate(box.contents):
        where = f"{path}.contents[{index}]"
        if box.layout == "baseline" and not isinstance(child, _IN_BASELINE):
            raise _fail(
                f"{where}.type",
                f"a baseline box holds only text, icon and filler, not {child.type}",
            )
        if box.layout != "baseline" and isinstance(child, _NOT_IN_BOX):
            place = "a baseline box" if isinstance(child, Icon) else "a bubble's hero"
            raise _fail(f"{where}.type", f"{child.type} may only be in {place}")
        _check_component(child, where)


def _check_component(component: Any, path: str) -> None:
    if isinstance(component, Box):
        _check_box(component, path)
        return
    if isinstance(component, Text) and not component.text and not component.contents:
        raise _fail(f"{path}.text", "required (or spans in contents)")
    if isinstance(component, Span) and not component.text:
        raise _fail(f"{path}.text", "required")
    if isinstance(component, Text):
        for index, span in enumerate(component.contents):
            _check_component(span, f"{path}.contents[{index}]")
    if isinstance(component, Video):
        _check_component(component.alt_content, f"{path}.altContent")
    _check_actions(component, path)


def _check_bubble(bubble: Bubble, path: str) -> None:
    for name in ("header", "hero", "body", "footer"):
        block = getattr(bubble, name)
        if block is not None:
            _check_component(block, f"{path}.{name}")
    if isinstance(bubble.hero, Video) and bubble.size not in ("kilo", "mega", "giga"):
        raise _fail(f"{path}.size", "a bubble with a video hero must be kilo, mega or giga")
    _check_actions(bubble, path)


def _check_container(container: Container, path: str) -> None:
    if isinstance(container, Carousel):
        if not 1 <= len(container.contents) <= MAX_BUBBLES:
            raise _fail(f"{path}.contents", f"a carousel holds 1 to {MAX_BUBBLES} bubbles")
        for index, bubble in enumerate(container.contents):
            _check_bubble(bubble, f"{path}.contents[{index}]")
        limit = MAX_CAROUSEL_BYTES
    else:
        _check_bubble(container, path)
        limit = MAX_BUBBLE_BYTES
    size = len(orjson.dumps(to_json(container)))
    if size > limit:
        raise _fail(path, f"{container.type} is {size} bytes of JSON; LINE takes at most {limit}")


def parse_as(tp: Any, raw: Any, path: str) -> Any:
    """Typed objects of type ``tp`` from LINE's JSON, checking forms but not placement.

    For the other raw shapes built of the same parts (templates, actions).
    """
    return _value(tp, raw, path)


def from_json(raw: Mapping[str, Any], *, path: str = "contents") -> Container:
    """Typed objects from flex JSON (a bubble or carousel, e.g. from the Flex Simulator).

    Checked as :func:`validate` checks; unknown properties are refused (a typo would
    otherwise be dropped silently).

    Args:
        raw: The container's JSON (a ``bubble`` or ``carousel`` object).
        path: What the paths in errors start with.

    Raises:
        MessageValidationError: The JSON is not a valid container; the message and
            ``property`` name the path of the first problem.
    """
    container: Container = _value(Container, raw, path)
    _check_container(container, path)
    return container


def validate(container: Container, *, path: str = "contents") -> None:
    """Check a container as LINE would, before anything is sent.

    Args:
        container: A :class:`Bubble` or :class:`Carousel`.
        path: What the paths in errors start with.

    Raises:
        MessageValidationError: Naming the path of the first problem LINE would report (a
            required field, a value of the wrong form, a component where it may not be).
    """
    if not isinstance(container, Bubble | Carousel):
        raise _fail(
            path, f"{type(container).__name__} is not a flex container: use Bubble or Carousel"
        )
    from_json(to_json(container), path=path)


# The converter writes flex values with to_json; it does not import this module (most bots
# send no flex message), so this module registers its classes there when it is imported.
from .convert import register_flex as _register_flex  # noqa: E402 (convert does not import flex)

_register_flex(
    (Bubble, Carousel, Box, Text, Span, Image, Icon, Button, Separator, Filler, Video), to_json
)
