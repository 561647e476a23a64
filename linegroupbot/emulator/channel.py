"""The channel side of the emulator: bot info, the webhook endpoint and its test, channel access
tokens (stateless ones, with a lifetime tests can shorten), and delivery statistics.

``channel_of(emulator)`` holds this state; tests shorten token lifetimes with
``channel_of(emu).token_lifetime = 2``. Where LINE's answer is not published (the test
endpoint's ``reason`` words), the emulator says so in the docs and answers as LINE's
reference shows.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
import time
import weakref
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
import attrs
import orjson
from aiohttp import web

from .webhooks import sign

if TYPE_CHECKING:
    from . import Emulator

__all__ = ["ChannelState", "add_routes", "authorized", "channel_of"]

_JST = dt.timezone(dt.timedelta(hours=9))
_FIRST_COUNTED_DAY = dt.date(2018, 3, 31)


@attrs.define
class ChannelState:
    """The emulated channel's settings and the tokens it issued.

    ``token_lifetime``: seconds a stateless token lives (LINE: 900). ``statistics_delay``:
    days before a day's delivery counts are ready (LINE: about 1). ``privacy_threshold``:
    days with fewer messages report ``unavailable_for_privacy`` (LINE: 20).
    ``webhook_active``: the console's "Use webhook" switch.
    """

    channel_id: str = "1660000000"
    basic_id: str = "@123abcde"
    token_lifetime: float = 900.0
    statistics_delay: int = 1
    privacy_threshold: int = 20
    webhook_active: bool = True
    tokens: dict[str, float] = attrs.Factory(dict)
    issued: int = 0
    webhook_tests: list[dict[str, Any]] = attrs.Factory(list)

    def live(self, token: str) -> bool:
        """Whether ``token`` is one the emulator issued and it has not expired."""
        expires = self.tokens.get(token)
        return expires is not None and time.monotonic() < expires


_STATES: weakref.WeakKeyDictionary[Emulator, ChannelState] = weakref.WeakKeyDictionary()


def channel_of(emulator: Emulator) -> ChannelState:
    """The channel state of ``emulator`` (made on first use)."""
    state = _STATES.get(emulator)
    if state is None:
        state = _STATES[emulator] = ChannelState()
    return state


def authorized(emulator: Emulator, header: str | None) -> bool:
    """Whether an ``Authorization`` header carries the long-lived token or a live issued one."""
    if header is None or not header.startswith("Bearer "):
        return False
    token = header[len("Bearer ") :]
    return token == emulator.settings.access_token or channel_of(emulator).live(token)


def _json(status: int, body: Any) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


def _emulator(request: web.Request) -> Emulator:
    from .api import EMULATOR_KEY

    return request.app[EMULATOR_KEY]


async def _body(request: web.Request) -> Any:
    raw = await request.read()
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None


def _bad(message: str, prop: str) -> web.Response:
    return _json(
        400,
        {
            "message": "The request body has 1 error(s)",
            "details": [{"message": message, "property": prop}],
        },
    )


# --- tokens --------------------------------------------------------------------------------------


async def issue_token(request: web.Request) -> web.StreamResponse:
    """``POST /oauth2/v3/token``: a stateless channel access token for the channel's ID/secret."""
    emulator = _emulator(request)
    state = channel_of(emulator)
    if request.content_type != "application/x-www-form-urlencoded":
        return _json(400, {"error": "invalid_request", "error_description": "form body expected"})
    form = await request.post()
    if form.get("grant_type") != "client_credentials":
        return _json(
            400,
            {"error": "unsupported_grant_type", "error_description": "client_credentials only"},
        )
    if form.get("client_id") != state.channel_id:
        return _json(400, {"error": "invalid_client", "error_description": "invalid client_id"})
    if form.get("client_secret") != emulator.settings.channel_secret:
        return _json(400, {"error": "invalid_client", "error_description": "invalid client_secret"})
    token = "st-" + secrets.token_urlsafe(24)
    state.tokens[token] = time.monotonic() + state.token_lifetime
    state.issued += 1
    return _json(
        200,
        {
            "token_type": "Bearer",
            "access_token": token,
            "expires_in": int(state.token_lifetime) if state.token_lifetime >= 1 else 1,
        },
    )


async def verify_token(request: web.Request) -> web.StreamResponse:
    """``GET /oauth2/v2.1/verify?access_token=``: the token's channel and seconds left."""
    emulator = _emulator(request)
    state = channel_of(emulator)
    token = request.query.get("access_token", "")
    if token == emulator.settings.access_token:
        left = 30 * 24 * 3600
    elif state.live(token):
        left = max(0, int(state.tokens[token] - time.monotonic()))
    else:
        return _json(400, {"error": "invalid_request", "error_description": "access token expired"})
    return _json(200, {"client_id": state.channel_id, "expires_in": left, "scope": ""})


# --- bot info ----------------------------------------------------------------------------------


async def bot_info(request: web.Request) -> web.StreamResponse:
    """``GET /v2/bot/info``."""
    emulator = _emulator(request)
    return _json(
        200,
        {
            "userId": emulator.world.bot_user_id,
            "basicId": channel_of(emulator).basic_id,
            "displayName": emulator.settings.bot_name,
            "chatMode": "bot",
            "markAsReadMode": "auto",
        },
    )


# --- webhook endpoint -----------------------------------------------------------------------------


def _endpoint_problem(url: Any) -> str | None:
    """Why LINE would refuse ``url`` as a webhook endpoint (the emulator also takes plain HTTP
    to a loopback address, where the bots it tests listen)."""
    if not isinstance(url, str) or not url:
        return "must be specified"
    if len(url) > 500:
        return "Length must be between 0 and 500"
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return None
    if parts.scheme == "http" and _loopback(host):
        return None
    return "Invalid webhook endpoint URL: use an https:// URL"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def get_endpoint(request: web.Request) -> web.StreamResponse:
    """``GET /v2/bot/channel/webhook/endpoint``."""
    emulator = _emulator(request)
    url = emulator.sender.webhook_url
    if not url:
        return _json(404, {"message": "Webhook endpoint is not set"})
    return _json(200, {"endpoint": url, "active": channel_of(emulator).webhook_active})


async def set_endpoint(request: web.Request) -> web.StreamResponse:
    """``PUT /v2/bot/channel/webhook/endpoint``: where the emulator sends webhooks from now on."""
    emulator = _emulator(request)
    payload = await _body(request)
    url = payload.get("endpoint") if isinstance(payload, dict) else None
    problem = _endpoint_problem(url)
    if problem is not None:
        return _bad(problem, "endpoint")
    emulator.set_webhook_url(url)
    return _json(200, {})


async def test_endpoint(request: web.Request) -> web.StreamResponse:
    """``POST /v2/bot/channel/webhook/test``: send a signed empty webhook, report the answer."""
    emulator = _emulator(request)
    payload = await _body(request)
    url = payload.get("endpoint") if isinstance(payload, dict) else None
    if url is None:
        url = emulator.sender.webhook_url
        if not url:
            return _json(400, {"message": "Webhook endpoint is not set"})
    problem = _endpoint_problem(url)
    if problem is not None:
        return _bad(problem, "endpoint")
    body = orjson.dumps({"destination": emulator.world.bot_user_id, "events": []})
    headers = {
        "Content-Type": "application/json",
        "x-line-signature": sign(body, emulator.settings.channel_secret),
    }
    timestamp = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    timeout = aiohttp.ClientTimeout(total=emulator.settings.webhook_timeout)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, data=body, headers=headers) as resp,
        ):
            status = resp.status
            reason = "OK" if 200 <= status < 300 else "ERROR_STATUS_CODE"
            detail = f"{status} {resp.reason or ''}".strip()
    except TimeoutError:
        status, reason, detail = 0, "REQUEST_TIMEOUT", "the webhook did not answer in time"
    except aiohttp.ClientError as error:
        status, reason, detail = 0, "COULD_NOT_CONNECT", str(error) or type(error).__name__
    result = {
        "success": 200 <= status < 300,
        "timestamp": timestamp,
        "statusCode": status,
        "reason": reason,
        "detail": detail,
    }
    channel_of(emulator).webhook_tests.append({"endpoint": url, **result})
    return _json(200, result)


# --- delivery statistics -------------------------------------------------------------------------


def delivery_count(kind: str) -> Any:
    """``GET /v2/bot/message/delivery/{kind}?date=yyyyMMdd``: messages sent that day (UTC+9)."""

    async def count(request: web.Request) -> web.StreamResponse:
        emulator = _emulator(request)
        state = channel_of(emulator)
        raw = request.query.get("date", "")
        try:
            day = dt.datetime.strptime(raw, "%Y%m%d").date() if len(raw) == 8 else None
        except ValueError:
            day = None
        if day is None:
            return _json(
                400,
                {
                    "message": "The request parameters have 1 error(s)",
                    "details": [{"message": "must be yyyyMMdd", "property": "date"}],
                },
            )
        today = dt.datetime.now(_JST).date()
        if day < _FIRST_COUNTED_DAY:
            return _json(200, {"status": "out_of_service"})
        if day > today - dt.timedelta(days=state.statistics_delay):
            return _json(200, {"status": "unready"})
        sent = sum(
            1
            for entry in emulator.world.timeline
            if entry.kind == "bot"
            and entry.via == kind
            and dt.datetime.fromtimestamp(entry.timestamp / 1000, _JST).date() == day
        )
        if sent < state.privacy_threshold:
            return _json(200, {"status": "unavailable_for_privacy"})
        return _json(200, {"status": "ready", "success": sent})

    return count


def add_routes(app: web.Application) -> None:
    """Register the channel endpoints (called by the emulator's API module)."""
    app.router.add_post("/oauth2/v3/token", issue_token)
    app.router.add_get("/oauth2/v2.1/verify", verify_token)
    app.router.add_get("/v2/bot/info", bot_info)
    app.router.add_get("/v2/bot/channel/webhook/endpoint", get_endpoint)
    app.router.add_put("/v2/bot/channel/webhook/endpoint", set_endpoint)
    app.router.add_post("/v2/bot/channel/webhook/test", test_endpoint)
    for kind in ("reply", "push", "multicast", "broadcast"):
        app.router.add_get(f"/v2/bot/message/delivery/{kind}", delivery_count(kind))
