"""The Messaging API side of the emulator: the endpoints a group bot calls, answered as LINE does.

Every request passes one middleware that assigns ``x-line-request-id``, applies injected
faults and the rate limit, checks the bearer token, and records the call.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import attrs
import orjson
from aiohttp import web

from . import channel
from .validation import validate_messages
from .world import ApiCall, Chat

if TYPE_CHECKING:
    from . import Emulator

__all__ = ["FaultRule", "add_routes", "api_middleware"]

RETRY_KEY_PATHS = frozenset(
    {
        "/v2/bot/message/push",
        "/v2/bot/message/multicast",
        "/v2/bot/message/broadcast",
        "/v2/bot/message/narrowcast",
    }
)
EMULATOR_KEY: web.AppKey[Emulator] = web.AppKey("emulator")


@attrs.define
class FaultRule:
    """Make the next ``count`` calls to paths matching ``path`` fail.

    ``status`` answers with that status (LINE's error shape); ``delay`` waits first;
    ``drop`` closes the connection without an answer; ``after`` applies the fault after
    the call took effect (a message delivered, then the answer lost); ``retry_after`` sends
    a ``Retry-After`` header of that many seconds.
    """

    path: str
    count: int = 1
    status: int | None = 500
    delay: float = 0.0
    drop: bool = False
    after: bool = False
    retry_after: float | None = None

    def matches(self, path: str) -> bool:
        """Whether the rule covers ``path`` (exact, or regular expression)."""
        return self.path == path or re.fullmatch(self.path, path) is not None


def _json(status: int, body: Any, **headers: str) -> web.Response:
    return web.Response(
        status=status,
        body=orjson.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def _error(status: int, message: str, details: list[dict[str, str]] | None = None) -> web.Response:
    body: dict[str, Any] = {"message": message}
    if details:
        body["details"] = details
    return _json(status, body)


NOT_FOUND = "Not found"


def _redact(headers: Any) -> dict[str, str]:
    # str(): aiohttp's header names are istr, which JSON encoders refuse as dict keys.
    out = {str(k): v for k, v in headers.items() if k.lower() != "authorization"}
    if "Authorization" in headers:
        out["Authorization"] = "Bearer <redacted>"
    return out


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def api_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request id, faults, rate limit, auth and call recording for ``/v2/`` paths."""
    if not request.path.startswith("/v2/"):
        return await handler(request)
    emulator = request.app[EMULATOR_KEY]
    request_id = str(uuid.uuid4())
    started = time.monotonic()
    raw = await request.read()
    try:
        payload: Any = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        payload = None
    fault = emulator._take_fault(request.path)
    if fault is not None and fault.delay:
        await asyncio.sleep(fault.delay)
    response: web.StreamResponse
    if fault is not None and not fault.after:
        if fault.drop:
            _drop(request)
            return web.Response(status=500)
        response = _fault_response(fault)
    elif not channel.authorized(emulator, request.headers.get("Authorization")):
        response = _error(
            401,
            "Authentication failed. Confirm that the access token in the authorization header"
            " is valid.",
        )
    elif not emulator._rate_ok(_endpoint(request)):
        response = _error(429, "The API rate limit has been exceeded. Try again later.")
    elif raw and payload is None and request.method == "POST":
        response = _error(400, "The request body has 1 error(s)", [{"message": "invalid JSON"}])
    else:
        try:
            response = await handler(request)
        except _Refused as refused:
            response = refused.response
        retry_key = request.headers.get("X-Line-Retry-Key")
        if retry_key and 200 <= response.status < 300 and request.path in RETRY_KEY_PATHS:
            body = getattr(response, "body", b"")
            sent = orjson.loads(body).get("sentMessages", []) if body else []
            emulator.retry_keys[retry_key] = (request_id, sent)
        if fault is not None:
            if fault.drop:
                _drop(request)
                return web.Response(status=500)
            response = _fault_response(fault)
    response.headers["x-line-request-id"] = request_id
    body = getattr(response, "body", None)
    try:
        recorded = orjson.loads(body) if isinstance(body, bytes) and body[:1] == b"{" else None
    except orjson.JSONDecodeError:
        recorded = None
    emulator.world.calls.append(
        ApiCall(
            seq=emulator.world.next_seq(),
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=_redact(request.headers),
            json=payload,
            status=response.status,
            response=recorded,
            request_id=request_id,
            retry_key=request.headers.get("X-Line-Retry-Key"),
            chat_id=_call_chat(emulator, request, payload),
            latency_ms=round((time.monotonic() - started) * 1000, 2),
        )
    )
    emulator.changed()
    return response


def _endpoint(request: web.Request) -> str:
    """The endpoint a request is for (``/v2/bot/group/{chat_id}/summary``): limits count each."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else request.path


_CHAT_PATH = re.compile(r"/v2/bot/(?:group|room)/([^/]+)/")


def _call_chat(emulator: Emulator, request: web.Request, payload: Any) -> str | None:
    """The chat a call concerns, for the page's filter (``None``: not one chat)."""
    found = _CHAT_PATH.match(request.path)
    if found:
        return found.group(1)
    if not isinstance(payload, dict):
        return None
    if isinstance(payload.get("to"), str):
        return str(payload["to"])
    if isinstance(payload.get("chatId"), str):
        return str(payload["chatId"])
    token = emulator.world.reply_tokens.get(str(payload.get("replyToken")))
    return token.chat_id if token is not None else None


def _drop(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.close()


def _fault_response(fault: FaultRule) -> web.Response:
    status = fault.status or 500
    response = _error(status, "Injected fault" if status >= 500 else "Injected error")
    if fault.retry_after is not None:
        response.headers["Retry-After"] = str(fault.retry_after)
    return response


def _emulator(request: web.Request) -> Emulator:
    return request.app[EMULATOR_KEY]


async def _payload(request: web.Request) -> dict[str, Any]:
    try:
        payload = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        return {}
    return payload if isinstance(payload, dict) else {}


# --- sending --------------------------------------------------------------------------------


def _check_retry_key(request: web.Request) -> web.Response | None:
    key = request.headers.get("X-Line-Retry-Key")
    if key is None:
        return None
    if request.path not in RETRY_KEY_PATHS:
        return _error(400, "X-Line-Retry-Key is not supported for this endpoint")
    try:
        uuid.UUID(key)
    except ValueError:
        return _error(400, "The retry key is not a valid UUID")
    accepted = _emulator(request).retry_keys.get(key)
    if accepted is not None:
        request_id, sent = accepted
        return _json(
            409,
            {"message": "The retry key is already accepted", "sentMessages": sent},
            **{"x-line-accepted-request-id": request_id},
        )
    return None


# What LINE lets a member (or a later message) quote, and so answers with a quote token.
QUOTABLE = frozenset({"text", "textV2", "sticker", "image", "video"})


def _deliver(request: web.Request, chat_ids: list[str], messages: list[Any], via: str) -> Any:
    world = _emulator(request).world
    sent = []
    for chat_id in chat_ids:
        for message in messages:
            message_id = world.next_message_id()
            entry = world.record(chat_id, "bot", world.bot_user_id, message, via=via)
            entry.message_id = message_id
            answer = {"id": message_id}
            if message.get("type") in QUOTABLE:
                entry.quote_token = answer["quoteToken"] = world.issue_quote_token(
                    chat_id, message_id
                )
            sent.append(answer)
    return sent[: len(messages)]


def _invalid_quotes(request: web.Request, chat_id: str, messages: list[Any]) -> web.Response | None:
    """Quote tokens must be ones LINE issued for a message in the chat the send goes to."""
    world = _emulator(request).world
    problems = []
    for index, message in enumerate(messages):
        token = message.get("quoteToken")
        if token is None or message.get("type") not in ("text", "textV2", "sticker"):
            continue
        target = world.quote_tokens.get(token) if isinstance(token, str) else None
        if target is None or target.chat_id != chat_id:
            problems.append(
                {"message": "Invalid quote token", "property": f"messages[{index}].quoteToken"}
            )
    if problems:
        return _error(400, f"The request body has {len(problems)} error(s)", problems)
    return None


def _invalid_messages(payload: dict[str, Any]) -> web.Response | None:
    problems = validate_messages(payload.get("messages"))
    if problems:
        return _error(400, f"The request body has {len(problems)} error(s)", problems)
    return None


async def reply(request: web.Request) -> web.StreamResponse:
    """``POST /v2/bot/message/reply``: single-use, expiring reply tokens."""
    if request.headers.get("X-Line-Retry-Key") is not None:
        return _error(400, "X-Line-Retry-Key is not supported for this endpoint")
    emulator = _emulator(request)
    payload = await _payload(request)
    invalid = _invalid_messages(payload)
    if invalid is not None:
        return invalid
    token = emulator.world.reply_tokens.get(str(payload.get("replyToken")))
    expired = token is not None and (
        time.monotonic() - token.issued_at > emulator.settings.reply_token_ttl
    )
    if token is None or token.used or expired:
        return _error(400, "Invalid reply token")
    bad_quote = _invalid_quotes(request, token.chat_id, payload["messages"])
    if bad_quote is not None:
        return bad_quote
    token.used = True
    return _send(request, [token.chat_id], payload["messages"], "reply")


def _send(request: web.Request, chat_ids: list[str], messages: list[Any], via: str) -> web.Response:
    emulator = _emulator(request)
    if via != "reply":
        quota = emulator.settings.monthly_quota
        cost = len(chat_ids) * len(messages)
        if quota is not None and emulator.quota_used + cost > quota:
            return _error(429, "You have reached your monthly limit.")
        emulator.quota_used += cost
    return _json(200, {"sentMessages": _deliver(request, chat_ids, messages, via)})


async def quota(request: web.Request) -> web.StreamResponse:
    """``GET /v2/bot/message/quota``."""
    limit = _emulator(request).settings.monthly_quota
    return _json(200, {"type": "none"} if limit is None else {"type": "limited", "value": limit})


async def quota_consumption(request: web.Request) -> web.StreamResponse:
    """``GET /v2/bot/message/quota/consumption``: counted messages sent so far."""
    return _json(200, {"totalUsage": _emulator(request).quota_used})


class _Refused(Exception):
    """Raised by checks shared between endpoints; the middleware answers with ``response``."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


async def _sending(request: web.Request) -> dict[str, Any]:
    """What push, multicast and broadcast check first: the retry key, then the messages."""
    conflict = _check_retry_key(request)
    if conflict is not None:
        raise _Refused(conflict)
    payload = await _payload(request)
    invalid = _invalid_messages(payload)
    if invalid is not None:
        raise _Refused(invalid)
    return payload


async def push(request: web.Request) -> web.StreamResponse:
    """``POST /v2/bot/message/push`` to a user, group or room the bot can reach."""
    payload = await _sending(request)
    to = payload.get("to")
    chat = _emulator(request).world.chats.get(to) if isinstance(to, str) else None
    # A room nobody has spoken in does not exist on the platform yet.
    if chat is None or not chat.bot_in or not chat.exists:
        return _error(
            400,
            "The property, 'to', in the request body is invalid",
            [{"message": "the bot cannot send to this ID", "property": "to"}],
        )
    bad_quote = _invalid_quotes(request, chat.chat_id, payload["messages"])
    if bad_quote is not None:
        return bad_quote
    return _send(request, [chat.chat_id], payload["messages"], "push")


async def multicast(request: web.Request) -> web.StreamResponse:
    """``POST /v2/bot/message/multicast``: user IDs only, never groups or rooms."""
    payload = await _sending(request)
    to = payload.get("to")
    if not isinstance(to, list) or not 1 <= len(to) <= 500:
        return _error(
            400,
            "The request body has 1 error(s)",
            [{"message": "Size must be between 1 and 500", "property": "to"}],
        )
    bad = [
        {"message": "must be a valid user ID", "property": f"to[{i}]"}
        for i, t in enumerate(to)
        if not (isinstance(t, str) and t.startswith("U"))
    ]
    if bad:
        return _error(400, f"The request body has {len(bad)} error(s)", bad)
    world = _emulator(request).world
    targets = [t for t in to if t in world.users and world.users[t].friend]
    return _send(request, targets, payload["messages"], "multicast")


async def broadcast(request: web.Request) -> web.StreamResponse:
    """``POST /v2/bot/message/broadcast``: every friend, never groups or rooms."""
    payload = await _sending(request)
    world = _emulator(request).world
    targets = [u.user_id for u in world.users.values() if u.friend]
    return _send(request, targets, payload["messages"], "broadcast")


async def narrowcast(request: web.Request) -> web.StreamResponse:
    """``POST /v2/bot/message/narrowcast``: accepted (202), sent to friends in the background.

    The emulator does not model audiences or demographics: every friend receives it.
    """
    payload = await _sending(request)
    emulator = _emulator(request)
    targets = [u.user_id for u in emulator.world.users.values() if u.friend]
    sent = _send(request, targets, payload["messages"], "narrowcast")
    if sent.status != 200:
        return sent
    emulator.narrowcasts[request.headers.get("X-Line-Retry-Key") or ""] = len(targets)
    return _json(202, {})


async def narrowcast_progress(request: web.Request) -> web.StreamResponse:
    """``GET /v2/bot/message/progress/narrowcast?requestId=``."""
    request_id = request.query.get("requestId")
    emulator = _emulator(request)
    call = next((c for c in emulator.world.calls if c.request_id == request_id), None)
    if call is None or call.path != "/v2/bot/message/narrowcast":
        return _error(404, NOT_FOUND)
    count = emulator.narrowcasts.get(call.headers.get("X-Line-Retry-Key", ""), 0)
    return _json(200, {"phase": "succeeded", "successCount": count, "failureCount": 0})


async def loading(request: web.Request) -> web.StreamResponse:
    """``POST /v2/bot/chat/loading/start``: one-on-one chats only, 5 to 60 s in steps of 5.

    The page shows the animation in that chat until the time is up or the bot sends.
    """
    payload = await _payload(request)
    chat_id = payload.get("chatId")
    seconds = payload.get("loadingSeconds", 20)
    if not isinstance(chat_id, str) or not chat_id.startswith("U"):
        return _error(
            400,
            "The request body has 1 error(s)",
            [{"message": "must be a user ID", "property": "chatId"}],
        )
    if not isinstance(seconds, int) or not 5 <= seconds <= 60 or seconds % 5:
        return _error(
            400,
            "The request body has 1 error(s)",
            [{"message": "must be a multiple of 5 from 5 to 60", "property": "loadingSeconds"}],
        )
    emulator = _emulator(request)
    chat = emulator.world.chats.get(chat_id)
    if chat is not None and chat.bot_in:
        chat.loading_until = int((time.time() + seconds) * 1000)
    return _json(202, {})


# --- profiles, groups, rooms -------------------------------------------------------------------


def _profile(emulator: Emulator, user_id: str) -> dict[str, Any]:
    user = emulator.world.users[user_id]
    body: dict[str, Any] = {"userId": user.user_id, "displayName": user.display_name}
    if user.picture_url:
        body["pictureUrl"] = user.picture_url
    if user.status_message:
        body["statusMessage"] = user.status_message
    return body


async def profile(request: web.Request) -> web.StreamResponse:
    """``GET /v2/bot/profile/{userId}``: friends of the bot only."""
    emulator = _emulator(request)
    user = emulator.world.users.get(request.match_info["user_id"])
    if user is None or not user.friend:
        return _error(404, NOT_FOUND)
    return _json(200, _profile(emulator, user.user_id))


def _chat(request: web.Request, kind: str) -> Chat | None:
    """The group or room in the path, if the bot is in it and it exists on the platform."""
    chat = _emulator(request).world.chats.get(request.match_info["chat_id"])
    if chat is None or chat.kind != kind or not chat.bot_in or not chat.exists:
        return None
    return chat


async def summary(request: web.Request) -> web.StreamResponse:
    """``GET /v2/bot/group/{groupId}/summary``."""
    chat = _chat(request, "group")
    if chat is None:
        return _error(404, NOT_FOUND)
    return _json(
        200,
        {
            "groupId": chat.chat_id,
            "groupName": chat.name,
            "pictureUrl": f"https://profile.line-scdn.example/{chat.chat_id}.png",
        },
    )


def member_count(kind: str) -> Handler:
    """``GET /v2/bot/{group|room}/{id}/members/count``."""

    async def handle(request: web.Request) -> web.StreamResponse:
        chat = _chat(request, kind)
        if chat is None:
            return _error(404, NOT_FOUND)
        return _json(200, {"count": len(chat.members)})

    return handle


def member_profile(kind: str) -> Handler:
    """``GET /v2/bot/{group|room}/{id}/member/{userId}``: members only, friends or not."""

    async def handle(request: web.Request) -> web.StreamResponse:
        chat = _chat(request, kind)
        user_id = request.match_info["user_id"]
        if chat is None or user_id not in chat.members:
            return _error(404, NOT_FOUND)
        return _json(200, _profile(_emulator(request), user_id))

    return handle


def member_ids(kind: str) -> Handler:
    """``GET /v2/bot/{group|room}/{id}/members/ids``: verified accounts only, paged."""

    async def handle(request: web.Request) -> web.StreamResponse:
        emulator = _emulator(request)
        if not emulator.settings.verified:
            return _error(403, "Access to this API is not available for your account")
        chat = _chat(request, kind)
        if chat is None:
            return _error(404, NOT_FOUND)
        size = emulator.settings.member_ids_page_size
        start_token = request.query.get("start")
        start = 0
        if start_token:
            try:
                start = int(start_token.removeprefix("page-"))
            except ValueError:
                return _error(400, "The start parameter is invalid")
        ids = chat.members[start : start + size]
        body: dict[str, Any] = {"memberIds": ids}
        if start + size < len(chat.members):
            body["next"] = f"page-{start + size}"
        return _json(200, body)

    return handle


def leave(kind: str) -> Handler:
    """``POST /v2/bot/{group|room}/{id}/leave``: the bot leaves, and a leave event follows."""

    async def handle(request: web.Request) -> web.StreamResponse:
        chat = _chat(request, kind)
        if chat is None:
            return _error(404, NOT_FOUND)
        _emulator(request)._bot_left(chat)
        return _json(200, {})

    return handle


async def content(request: web.Request) -> web.StreamResponse:
    """``GET /v2/bot/message/{messageId}/content`` on the data host."""
    stored = _emulator(request).world.contents.get(request.match_info["message_id"])
    if stored is None:
        return _error(404, NOT_FOUND)
    data, content_type = stored
    return web.Response(body=data, content_type=content_type)


def add_routes(app: web.Application) -> None:
    """Register the Messaging API routes."""
    app.router.add_post("/v2/bot/message/reply", reply)
    app.router.add_post("/v2/bot/message/push", push)
    app.router.add_post("/v2/bot/message/multicast", multicast)
    app.router.add_post("/v2/bot/message/broadcast", broadcast)
    app.router.add_post("/v2/bot/message/narrowcast", narrowcast)
    app.router.add_get("/v2/bot/message/progress/narrowcast", narrowcast_progress)
    app.router.add_post("/v2/bot/chat/loading/start", loading)
    app.router.add_get("/v2/bot/message/quota", quota)
    app.router.add_get("/v2/bot/message/quota/consumption", quota_consumption)
    app.router.add_get("/v2/bot/profile/{user_id}", profile)
    app.router.add_get("/v2/bot/group/{chat_id}/summary", summary)
    for kind in ("group", "room"):
        app.router.add_get(f"/v2/bot/{kind}/{{chat_id}}/members/count", member_count(kind))
        app.router.add_get(f"/v2/bot/{kind}/{{chat_id}}/member/{{user_id}}", member_profile(kind))
        app.router.add_get(f"/v2/bot/{kind}/{{chat_id}}/members/ids", member_ids(kind))
        app.router.add_post(f"/v2/bot/{kind}/{{chat_id}}/leave", leave(kind))
    app.router.add_get("/v2/bot/message/{message_id}/content", content)
    channel.add_routes(app)
