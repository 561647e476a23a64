"""The emulator's own side: the browser chat page, a JSON control API and live updates.

Everything the page can do goes through ``/_emulator/...``; the same endpoints let
scripts in any language drive the emulated world.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from importlib import resources
from typing import TYPE_CHECKING, Any

import attrs
import orjson
from aiohttp import WSMsgType, web

from .api import EMULATOR_KEY

if TYPE_CHECKING:
    from . import Emulator

__all__ = ["add_routes"]


def _emulator(request: web.Request) -> Emulator:
    return request.app[EMULATOR_KEY]


def _ok(body: Any = None) -> web.Response:
    return web.Response(body=orjson.dumps(body or {"ok": True}), content_type="application/json")


def _bad(message: str, status: int = 400) -> web.Response:
    return web.Response(
        status=status, body=orjson.dumps({"error": message}), content_type="application/json"
    )


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    data = orjson.loads(raw)
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return data


async def page(request: web.Request) -> web.StreamResponse:
    """The browser group chat."""
    html = resources.files("linegroupbot.emulator").joinpath("ui/index.html").read_bytes()
    return web.Response(body=html, content_type="text/html")


async def state(request: web.Request) -> web.StreamResponse:
    """The whole world as JSON."""
    return _ok(_emulator(request).world.summary())


async def calls(request: web.Request) -> web.StreamResponse:
    """Recorded Messaging API calls (authorization redacted)."""
    return _ok({"calls": [attrs.asdict(c) for c in _emulator(request).world.calls]})


async def deliveries(request: web.Request) -> web.StreamResponse:
    """Webhook deliveries and their outcomes."""
    return _ok({"deliveries": [attrs.asdict(d) for d in _emulator(request).world.deliveries]})


async def redeliver(request: web.Request) -> web.StreamResponse:
    """``POST /_emulator/deliveries/{seq}/redeliver``: send a delivery's events again."""
    emulator = _emulator(request)
    try:
        delivery = await emulator.redeliver(int(request.match_info["seq"]))
    except (KeyError, ValueError):
        return _bad("no such delivery", 404)
    if delivery is None:
        return _bad("the emulator has no webhook URL to send to", 409)
    return _ok(attrs.asdict(delivery))


async def add_user(request: web.Request) -> web.StreamResponse:
    """``{"name", "consented"?, "friend"?}``: add a user."""
    body = await _body(request)
    name = str(body.get("name") or "").strip()
    if not name:
        return _bad("a user needs a name")
    user = _emulator(request).add_user(
        name, consented=bool(body.get("consented", True)), friend=bool(body.get("friend", False))
    )
    return _ok(attrs.asdict(user))


async def create_group(request: web.Request) -> web.StreamResponse:
    """``{"name", "members": [...], "inviteBot"?}``: create a group."""
    body = await _body(request)
    name = str(body.get("name") or "").strip()
    if not name:
        return _bad("a group needs a name")
    chat = await _emulator(request).create_group(
        name, list(body.get("members") or []), invite_bot=bool(body.get("inviteBot", True))
    )
    return _ok(attrs.asdict(chat))


async def create_room(request: web.Request) -> web.StreamResponse:
    """``{"members": [...], "withBot"?}``: create a room."""
    body = await _body(request)
    members = list(body.get("members") or [])
    if len(members) < 2:
        return _bad("a room starts with at least two members")
    chat = await _emulator(request).create_room(members, with_bot=bool(body.get("withBot", True)))
    return _ok(attrs.asdict(chat))


_NO_SPEAKER = frozenset({"invite-bot", "remove-bot"})


async def chat_action(request: web.Request) -> web.StreamResponse:
    """``POST /_emulator/chats/{chat_id}/{action}``: what a member does in a chat."""
    emulator = _emulator(request)
    body = await _body(request)
    action = request.match_info["action"]
    try:
        chat = emulator.world.chat(request.match_info["chat_id"])
        user = body.get("user")
        if action not in _NO_SPEAKER and not (user or body.get("users")):
            return _bad(f"{action} needs the user who does it: {{'user': name or ID}}")
        if action == "say":
            text = str(body.get("text") or "")
            if not text.strip():
                return _bad("say needs some text")
            mentions = body.get("mentions")
            if mentions is not None and not isinstance(mentions, list):
                return _bad("mentions must be a list of {index, length, user or type: all}")
            event = await emulator.say(
                chat,
                str(user),
                text,
                quote=str(body["quote"]) if body.get("quote") else None,
                mentions=mentions,
            )
            return _ok({"ok": True, "event": event})
        elif action == "unsend":
            message_id = str(body.get("message_id") or "")
            if not message_id:
                return _bad("unsend needs message_id")
            await emulator.unsend(chat, str(user), message_id)
        elif action == "edit":
            text = str(body.get("text") or "")
            message_id = str(body.get("message_id") or "")
            if not text or not message_id:
                return _bad("edit needs message_id and text")
            stamp = body.get("timestamp")
            await emulator.edit(
                chat,
                str(user),
                message_id,
                text,
                timestamp=int(stamp) if isinstance(stamp, int) else None,
            )
        elif action == "sticker":
            await emulator.send_sticker(
                chat,
                str(user),
                str(body.get("packageId") or "446"),
                str(body.get("stickerId") or "1988"),
            )
        elif action in ("image", "video", "audio", "file"):
            data = _bytes(body)
            content_type = str(body.get("contentType") or "")
            if action == "image":
                await emulator.send_image(chat, str(user), *_content(data, content_type))
            elif action == "file":
                await emulator.send_file(
                    chat, str(user), data or b"", str(body.get("fileName") or "file.txt")
                )
            else:
                if data is None:
                    return _bad(f"a {action} message needs its bytes: data (base64)")
                send = emulator.send_video if action == "video" else emulator.send_audio
                await send(
                    chat,
                    str(user),
                    data,
                    content_type or f"{action}/mp4",
                    duration=int(body.get("duration") or 1000),
                )
        elif action == "location":
            await emulator.send_location(chat, str(user))
        elif action == "postback":
            await emulator.tap_postback(
                chat,
                str(user),
                str(body.get("data") or ""),
                params=body.get("params"),
                display_text=body.get("displayText"),
            )
        elif action == "add-member":
            await emulator.add_members(chat, _users(body))
        elif action == "remove-member":
            await emulator.remove_members(chat, _users(body))
        elif action == "invite-bot":
            await emulator.invite_bot(chat)
        elif action == "remove-bot":
            await emulator.remove_bot(chat)
        else:
            return _bad(f"unknown action {action!r}", 404)
    except KeyError as error:
        return _bad(str(error.args[0]), 404)
    except ValueError as error:
        return _bad(str(error), 409)
    return _ok()


def _bytes(body: dict[str, Any]) -> bytes | None:
    data = body.get("data")
    if data is None:
        return None
    try:
        return base64.b64decode(str(data), validate=True)
    except binascii.Error:
        raise web.HTTPBadRequest(
            body=orjson.dumps({"error": "data must be base64"}), content_type="application/json"
        ) from None


def _content(data: bytes | None, content_type: str) -> tuple[bytes, str]:
    from . import TINY_PNG

    return (TINY_PNG, "image/png") if data is None else (data, content_type or "image/png")


def _users(body: dict[str, Any]) -> list[str]:
    """``{"user": ...}`` or ``{"users": [...]}``: who joins or leaves."""
    users = body.get("users")
    if isinstance(users, list):
        return [str(u) for u in users]
    return [str(body.get("user"))]


async def upload(request: web.Request) -> web.StreamResponse:
    """``POST /_emulator/chats/{chat_id}/upload?user=&name=``: a member sends a picked file.

    The body is the file's bytes; its ``Content-Type`` makes it an image, video, audio or
    file message, whose bytes the bot fetches with ``get_content``.
    """
    emulator = _emulator(request)
    data = await request.read()
    if not data:
        return _bad("the upload is empty")
    try:
        chat = emulator.world.chat(request.match_info["chat_id"])
        event = await emulator.send_upload(
            chat,
            request.query.get("user", ""),
            data,
            request.headers.get("Content-Type") or "application/octet-stream",
            request.query.get("name") or "file",
        )
    except KeyError as error:
        return _bad(str(error.args[0]), 404)
    except ValueError as error:
        return _bad(str(error), 409)
    return _ok({"ok": True, "event": event})


async def content(request: web.Request) -> web.StreamResponse:
    """``GET /_emulator/content/{message_id}``: a member's photo or file, for the page."""
    stored = _emulator(request).world.contents.get(request.match_info["message_id"])
    if stored is None:
        return _bad("no such content (unsent, or never sent)", 404)
    data, content_type = stored
    return web.Response(body=data, content_type=content_type)


async def user_action(request: web.Request) -> web.StreamResponse:
    """``POST /_emulator/users/{user}/{consent|follow|unfollow}``."""
    emulator = _emulator(request)
    body = await _body(request)
    action = request.match_info["action"]
    try:
        user = emulator.world.user(request.match_info["user"])
    except KeyError as error:
        return _bad(str(error.args[0]), 404)
    if action == "consent":
        emulator.set_consent(user, bool(body.get("consented", not user.consented)))
    elif action == "follow":
        await emulator.follow(user)
    elif action == "unfollow":
        await emulator.unfollow(user)
    else:
        return _bad(f"unknown action {action!r}", 404)
    return _ok(attrs.asdict(user))


async def fault(request: web.Request) -> web.StreamResponse:
    """``{"path", "count"?, "status"?, "delay"?, "drop"?, "after"?, "retryAfter"?}``."""
    body = await _body(request)
    if not body.get("path"):
        return _bad("a fault needs a path")
    rule = _emulator(request).fail_next(
        str(body["path"]),
        count=int(body.get("count", 1)),
        status=body.get("status", 500),
        delay=float(body.get("delay", 0.0)),
        drop=bool(body.get("drop", False)),
        after=bool(body.get("after", False)),
        retry_after=body.get("retryAfter"),
    )
    return _ok(attrs.asdict(rule))


async def live(request: web.Request) -> web.StreamResponse:
    """WebSocket: the whole state after every change."""
    emulator = _emulator(request)
    ws = web.WebSocketResponse(heartbeat=20)
    await ws.prepare(request)
    pending = asyncio.Event()
    remove = emulator.add_listener(pending.set)
    pending.set()

    async def pump() -> None:
        while not ws.closed:
            await pending.wait()
            pending.clear()
            await asyncio.sleep(0.02)  # coalesce bursts of changes into one update
            await ws.send_bytes(orjson.dumps(emulator.world.summary()))

    sender = asyncio.create_task(pump())
    try:
        async for message in ws:
            if message.type == WSMsgType.ERROR:
                break
    finally:
        remove()
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
    return ws


def add_routes(app: web.Application) -> None:
    """Register the page, control API and WebSocket."""
    app.router.add_get("/", page)
    app.router.add_get("/_emulator/state", state)
    app.router.add_get("/_emulator/calls", calls)
    app.router.add_get("/_emulator/deliveries", deliveries)
    app.router.add_get("/_emulator/ws", live)
    app.router.add_post("/_emulator/deliveries/{seq}/redeliver", redeliver)
    app.router.add_post("/_emulator/users", add_user)
    app.router.add_post("/_emulator/groups", create_group)
    app.router.add_post("/_emulator/rooms", create_room)
    app.router.add_get("/_emulator/content/{message_id}", content)
    app.router.add_post("/_emulator/chats/{chat_id}/upload", upload)
    app.router.add_post("/_emulator/chats/{chat_id}/{action}", chat_action)
    app.router.add_post("/_emulator/users/{user}/{action}", user_action)
    app.router.add_post("/_emulator/faults", fault)
