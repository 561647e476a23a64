"""Actions: what happens when a user taps a button, a quick reply or a flex component.

Every action LINE defines is here. ``label`` is what the button shows (at most 20
characters); quick replies, template buttons and flex buttons need one, while a tapped
flex box or image may go without. The payload fields are keyword-only:
``MessageAction("Yes", text="yes")``.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal, TypeAlias
from urllib.parse import urlsplit

import attrs

from .errors import MessageValidationError
from .limits import (
    MAX_CLIPBOARD_TEXT,
    MAX_LABEL,
    MAX_POSTBACK_DATA,
    MAX_RICH_MENU_ALIAS,
    MAX_URL_LENGTH,
)

__all__ = [
    "MAX_LABEL",
    "Action",
    "AltUri",
    "CameraAction",
    "CameraRollAction",
    "ClipboardAction",
    "DatetimePickerAction",
    "LocationAction",
    "MessageAction",
    "PostbackAction",
    "RichMenuSwitchAction",
    "UriAction",
    "check_action",
]


InputOption = Literal["closeRichMenu", "openRichMenu", "openKeyboard", "openVoice"]


@attrs.frozen
class PostbackAction:
    """Sends a postback event with ``data`` (showing ``display_text`` in the chat, if given).

    ``input_option`` opens the keyboard, voice input or rich menu after the tap;
    ``fill_in_text`` pre-fills the keyboard when it opens. ``label`` is the text on the
    button (up to 20 characters); ``data`` is up to 300 characters.
    """

    label: str | None = None
    data: str = attrs.field(kw_only=True)
    display_text: str | None = attrs.field(default=None, kw_only=True)
    input_option: InputOption | None = attrs.field(default=None, kw_only=True)
    fill_in_text: str | None = attrs.field(default=None, kw_only=True)

    type: ClassVar[str] = "postback"


@attrs.frozen
class MessageAction:
    """Makes the user send ``text`` to the chat; ``label`` is the button's text (20 characters)."""

    label: str | None = None
    text: str = attrs.field(kw_only=True)

    type: ClassVar[str] = "message"


@attrs.frozen
class AltUri:
    """The URI a desktop LINE opens instead of a :class:`UriAction`'s ``uri``.

    Attributes:
        desktop: The URI for LINE on macOS and Windows.
    """

    desktop: str


@attrs.frozen
class UriAction:
    """Opens ``uri`` (``https:``, ``http:``, ``line:`` or ``tel:``, up to 1,000 characters).

    ``label`` is the text on the button (up to 20 characters); ``alt_uri`` is what desktop
    LINE opens instead.
    """

    label: str | None = None
    uri: str = attrs.field(kw_only=True)
    alt_uri: AltUri | None = attrs.field(default=None, kw_only=True)

    type: ClassVar[str] = "uri"


@attrs.frozen
class DatetimePickerAction:
    """Opens a date/time picker; the choice arrives as a postback with ``params``.

    ``mode`` is ``date``, ``time`` or ``datetime``; ``initial``, ``max`` and ``min`` are in
    the mode's format (``2026-12-01``, ``13:30``, ``2026-12-01T13:30``). ``label`` is the
    text on the button (up to 20 characters); ``data`` is the postback's data.
    """

    label: str | None = None
    data: str = attrs.field(kw_only=True)
    mode: Literal["date", "time", "datetime"] = attrs.field(default="datetime", kw_only=True)
    initial: str | None = attrs.field(default=None, kw_only=True)
    max: str | None = attrs.field(default=None, kw_only=True)
    min: str | None = attrs.field(default=None, kw_only=True)

    type: ClassVar[str] = "datetimepicker"


@attrs.frozen
class CameraAction:
    """Opens the camera (quick replies only); ``label`` is the button's text (20 characters)."""

    label: str | None = None

    type: ClassVar[str] = "camera"


@attrs.frozen
class CameraRollAction:
    """Opens the camera roll (quick replies only); ``label`` is the button's text."""

    label: str | None = None

    type: ClassVar[str] = "cameraRoll"


@attrs.frozen
class LocationAction:
    """Opens the location picker (quick replies only); ``label`` is the button's text."""

    label: str | None = None

    type: ClassVar[str] = "location"


@attrs.frozen
class ClipboardAction:
    """Copies ``clipboard_text`` (1 to 1,000 characters) to the user's clipboard.

    ``label`` is the text on the button (up to 20 characters).
    """

    label: str | None = None
    clipboard_text: str = attrs.field(kw_only=True)

    type: ClassVar[str] = "clipboard"


@attrs.frozen
class RichMenuSwitchAction:
    """Switches the user's rich menu to the alias ``rich_menu_alias_id``.

    It also sends a postback with ``data``. ``label`` is the text on the button (up to 20
    characters).
    """

    label: str | None = None
    rich_menu_alias_id: str = attrs.field(kw_only=True)
    data: str = attrs.field(kw_only=True)

    type: ClassVar[str] = "richmenuswitch"


Action: TypeAlias = (
    PostbackAction
    | MessageAction
    | UriAction
    | DatetimePickerAction
    | CameraAction
    | CameraRollAction
    | LocationAction
    | ClipboardAction
    | RichMenuSwitchAction
)
"""Any action: on a quick reply, a template button or a flex component."""

ACTION_TYPES: tuple[type[Action], ...] = (
    PostbackAction,
    MessageAction,
    UriAction,
    DatetimePickerAction,
    CameraAction,
    CameraRollAction,
    LocationAction,
    ClipboardAction,
    RichMenuSwitchAction,
)
QUICK_REPLY_ONLY: tuple[type[Action], ...] = (CameraAction, CameraRollAction, LocationAction)
"""Actions LINE accepts only on quick-reply buttons."""

_URI_SCHEMES = ("https", "http", "line", "tel")
_DATETIME_FORMS = {
    "date": (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "YYYY-MM-DD"),
    "time": (re.compile(r"^\d{2}:\d{2}$"), "HH:mm"),
    "datetime": (re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}$"), "YYYY-MM-DDTHH:mm"),
}


def check_url(url: str, where: str) -> None:
    """Raise :class:`~linegroupbot.errors.MessageValidationError` unless ``url`` is an HTTPS
    URL LINE will fetch."""
    if len(url) > MAX_URL_LENGTH:
        raise MessageValidationError(
            f"{where}: URL is longer than {MAX_URL_LENGTH} characters", property=where
        )
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise MessageValidationError(
            f"{where}: LINE only fetches HTTPS URLs; got {url[:80]!r}: serve it over https://",
            property=where,
        )


def _fail(where: str, problem: str) -> MessageValidationError:
    return MessageValidationError(f"{where}: {problem}", property=where)


def check_action(action: object, where: str, *, label_required: bool = True) -> None:
    """Validate one action as LINE would.

    Args:
        action: The action (anything else is refused).
        where: Its JSON path, for errors (``messages[0].quickReply.items[0].action``).
        label_required: False for actions without a label of their own (tapped flex boxes,
            images and texts, a template's default action).

    Raises:
        MessageValidationError: The first problem, with ``property`` naming its path.
    """
    if not isinstance(action, ACTION_TYPES):
        raise _fail(
            where, f"{type(action).__name__} is not an action: use linegroupbot.actions classes"
        )
    if action.label is None or action.label == "":
        if label_required:
            raise _fail(f"{where}.label", "required (the text the button shows)")
    elif len(action.label) > MAX_LABEL:
        raise _fail(f"{where}.label", f"longer than {MAX_LABEL} characters")
    if isinstance(action, PostbackAction | DatetimePickerAction | RichMenuSwitchAction) and not (
        0 < len(action.data) <= MAX_POSTBACK_DATA
    ):
        raise _fail(f"{where}.data", f"postback data must be 1 to {MAX_POSTBACK_DATA} characters")
    if isinstance(action, MessageAction):
        if not action.text:
            raise _fail(f"{where}.text", "required (what the user sends)")
        if len(action.text) > MAX_POSTBACK_DATA:
            raise _fail(f"{where}.text", f"longer than {MAX_POSTBACK_DATA} characters")
    if isinstance(action, ClipboardAction) and not (
        0 < len(action.clipboard_text) <= MAX_CLIPBOARD_TEXT
    ):
        raise _fail(f"{where}.clipboardText", f"must be 1 to {MAX_CLIPBOARD_TEXT} characters")
    if isinstance(action, RichMenuSwitchAction) and not (
        0 < len(action.rich_menu_alias_id) <= MAX_RICH_MENU_ALIAS
    ):
        raise _fail(f"{where}.richMenuAliasId", f"must be 1 to {MAX_RICH_MENU_ALIAS} characters")
    if isinstance(action, PostbackAction):
        for name, value in (
            ("displayText", action.display_text),
            ("fillInText", action.fill_in_text),
        ):
            if value is not None and not 0 < len(value) <= MAX_POSTBACK_DATA:
                raise _fail(f"{where}.{name}", f"must be 1 to {MAX_POSTBACK_DATA} characters")
    if isinstance(action, DatetimePickerAction):
        form = _DATETIME_FORMS.get(action.mode)
        if form is None:
            raise _fail(f"{where}.mode", f"{action.mode!r} is not one of date, time, datetime")
        for name in ("initial", "max", "min"):
            value = getattr(action, name)
            if value is not None and not form[0].match(value):
                raise _fail(f"{where}.{name}", f"{value!r} is not {form[1]} (mode {action.mode})")
    if isinstance(action, UriAction):
        if len(action.uri) > 1000:
            raise _fail(f"{where}.uri", "longer than 1000 characters")
        if urlsplit(action.uri).scheme not in _URI_SCHEMES:
            raise _fail(f"{where}.uri", f"{action.uri[:80]!r} must be an http(s), line or tel URI")
