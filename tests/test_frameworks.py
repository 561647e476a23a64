"""A bot inside other web applications: an aiohttp app (sub-app), Starlette and FastAPI (ASGI)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import aiohttp
import pytest

from linegroupbot import Bot
from linegroupbot.emulator import Emulator
from linegroupbot.serving import start_site
from tests.helpers import signed, uvicorn_server
from tests.payloads import event

SNIPPETS = Path(__file__).resolve().parents[1] / "docs" / "snippets"


def _snippet(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"snippet_{name}", SNIPPETS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _wire(bot: Bot, emulator: Emulator) -> None:
    bot.configure(
        channel_secret=emulator.settings.channel_secret,
        access_token=emulator.settings.access_token,
        api_base_url=emulator.url,
        data_api_base_url=emulator.url,
    )


async def _conversation(emulator: Emulator, site: str) -> None:
    """The bot answers in a group through the host app, which still serves its own page."""
    group = await emulator.create_group("Friends", ["Alice", "Bob"])
    await emulator.say(group, "Alice", "hello from the host app")
    [echo] = await emulator.wait_for_bot_messages(group)
    assert echo == {"type": "text", "text": "hello from the host app"}
    async with aiohttp.ClientSession() as session, session.get(site + "/") as resp:
        assert await resp.text() == "the rest of your site"


async def test_the_bot_as_a_sub_app_of_an_existing_aiohttp_app(
    line_emulator: Emulator, tmp_path: Path
) -> None:
    snippet = _snippet("mount_aiohttp")
    snippet.bot.store = f"sqlite:///{tmp_path}/bot.db"
    _wire(snippet.bot, line_emulator)
    runner, port = await start_site(snippet.make_app(), "127.0.0.1", 0)
    try:
        site = f"http://127.0.0.1:{port}"
        line_emulator.set_webhook_url(f"{site}/line/callback")
        await _conversation(line_emulator, site)
        async with aiohttp.ClientSession() as session, session.get(site + "/line/healthz") as r:
            assert (await r.json())["store"].startswith("sqlite:///")
    finally:
        await runner.cleanup()
    assert snippet.bot.runtime is not None
    assert not snippet.bot.runtime.started


async def test_the_bot_in_a_starlette_app_served_byuvicorn_server(
    line_emulator: Emulator, tmp_path: Path
) -> None:
    snippet = _snippet("asgi_starlette")
    _wire(snippet.bot, line_emulator)
    app = snippet.make_app(store=f"sqlite:///{tmp_path}/bot.db")
    async with uvicorn_server(app) as site:
        assert snippet.bot.runtime is not None
        assert snippet.bot.runtime.started
        line_emulator.set_webhook_url(f"{site}/callback")
        await _conversation(line_emulator, site)
        raw, headers = signed(event("message_text"), secret="not-the-channel-secret")
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{site}/callback", data=raw, headers=headers) as resp,
        ):
            assert resp.status == 401
            assert "x-line-signature" in (await resp.json())["error"]
    assert not snippet.bot.runtime.started  # uvicorn's shutdown drained the bot


async def test_the_bot_in_a_fastapi_app_served_by_uvicorn(
    line_emulator: Emulator, tmp_path: Path
) -> None:
    """The FastAPI recipe of the deploying guide, as it is written there, on a real server."""
    snippet = _snippet("asgi_fastapi")
    _wire(snippet.bot, line_emulator)
    app = snippet.make_app(store=f"sqlite:///{tmp_path}/bot.db")
    async with uvicorn_server(app) as site:
        assert snippet.bot.runtime is not None
        assert snippet.bot.runtime.started  # FastAPI ran the bot's lifespan
        line_emulator.set_webhook_url(f"{site}/callback")
        group = await line_emulator.create_group("Friends", ["Alice", "Bob"])
        await line_emulator.say(group, "Alice", "hello from FastAPI")  # signed by the emulator
        [echo] = await line_emulator.wait_for_bot_messages(group)
        assert echo == {"type": "text", "text": "hello from FastAPI"}
        raw, headers = signed(event("message_text"), secret="not-the-channel-secret")
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{site}/callback", data=raw, headers=headers) as resp:
                assert resp.status == 401
                assert "x-line-signature" in (await resp.json())["error"]
            async with session.get(f"{site}/") as resp:  # FastAPI's own endpoint
                assert await resp.json() == {"page": "the rest of your site"}
            async with session.get(f"{site}/callback") as resp:  # the route takes POST only
                assert resp.status == 405
        assert snippet.bot.runtime.receiver is not None
        assert snippet.bot.runtime.receiver.rejected == 1  # the forged one, and only it
    assert not snippet.bot.runtime.started  # uvicorn's shutdown drained the bot


async def test_a_webhook_app_without_lifespan_starts_on_the_first_request(
    line_emulator: Emulator, tmp_path: Path
) -> None:
    from linegroupbot.asgi import WebhookApp

    bot = Bot()
    _wire(bot, line_emulator)
    webhook = WebhookApp(bot, store=f"sqlite:///{tmp_path}/bot.db")
    async with uvicorn_server(webhook) as site:
        async with aiohttp.ClientSession() as session, session.get(site + "/") as resp:
            assert resp.status == 200
            assert (await resp.json())["role"] == "all"
        raw, headers = signed(event("message_text"), secret=line_emulator.settings.channel_secret)
        async with aiohttp.ClientSession() as session:
            async with session.post(site + "/", data=raw, headers=headers) as resp:
                assert resp.status == 200
                assert (await resp.json())["queued"] == 1
            async with session.put(site + "/") as resp:
                assert resp.status == 405


def test_a_webhook_app_cannot_be_a_worker() -> None:
    from linegroupbot.asgi import WebhookApp

    with pytest.raises(ValueError, match="receives webhooks"):
        WebhookApp(Bot(), store="memory://", role="worker")  # type: ignore[arg-type]
