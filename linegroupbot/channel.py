"""What LINE says about the channel itself: the bot's account, its webhook, its deliveries."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import attrs

from .convert import _register

__all__ = [
    "LINE_TIMEZONE",
    "BotInfo",
    "DeliveryCount",
    "DeliveryKind",
    "WebhookEndpoint",
    "WebhookTestResult",
]

LINE_TIMEZONE = dt.timezone(dt.timedelta(hours=9), "JST")
"""LINE counts deliveries per day in Japan time (UTC+9)."""

DeliveryKind = Literal["reply", "push", "multicast", "broadcast"]
"""The sends LINE counts per day."""


@attrs.frozen
class BotInfo:
    """The bot's LINE account: its user ID, basic ID (``@…``), name, picture and chat modes.

    ``chat_mode`` is ``"chat"`` when chats are on in LINE Official Account Manager (people
    may answer instead of the bot), ``"bot"`` when off; ``mark_as_read_mode`` is ``"auto"``
    or ``"manual"``. ``user_id`` is the bot's user ID (a webhook's ``destination``),
    ``basic_id`` its ``@…`` ID, ``premium_id`` its premium ID if it has one,
    ``display_name`` and ``picture_url`` its name and picture.
    """

    user_id: str
    basic_id: str
    display_name: str
    chat_mode: str
    mark_as_read_mode: str
    premium_id: str | None = None
    picture_url: str | None = None


@attrs.frozen
class WebhookEndpoint:
    """The webhook URL set for the channel (``endpoint``), and whether LINE sends events to it
    (``active``)."""

    endpoint: str
    active: bool


@attrs.frozen
class WebhookTestResult:
    """What LINE saw when it sent an empty webhook to the endpoint (the console's Verify).

    ``success`` is true when the bot answered 2xx; ``status_code`` is the HTTP status
    (0 or less when no answer came); ``reason`` and ``detail`` are LINE's words;
    ``timestamp`` is when LINE sent it (ISO 8601).
    """

    status_code: int
    reason: str
    detail: str
    timestamp: str
    success: bool | None = None


@attrs.frozen
class DeliveryCount:
    """Messages LINE delivered on one day by one kind of send.

    ``status`` is ``ready`` (``success`` is the count), ``unready`` (LINE counts for
    about a day), ``unavailable_for_privacy`` (fewer than 20 that day) or
    ``out_of_service`` (before 2018-03-31).
    """

    status: str
    success: int | None = None


for _model in (BotInfo, WebhookEndpoint, WebhookTestResult, DeliveryCount):
    _register(_model)  # as the built-in models are: converters generated on first use
