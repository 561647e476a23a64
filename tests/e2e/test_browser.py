"""The emulator's web page in a real headless Chromium: talk to the bot, invite it."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from linegroupbot import Bot
from linegroupbot.cli import load_bot
from linegroupbot.emulator import Emulator

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def bot() -> Bot:
    return load_bot(str(Path(__file__).resolve().parents[2] / "examples" / "echo.py") + ":bot")


@pytest.fixture
async def page(line: Emulator) -> AsyncIterator[Any]:
    if CHROMIUM is None:
        pytest.fail(
            "Chromium is not installed: apt-get install chromium (or deselect -m 'not browser')"
        )
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = await browser.new_page(viewport={"width": 1200, "height": 700})
            yield page
        finally:
            await browser.close()


async def _open(page: Any, line: Emulator) -> None:
    await page.goto(line.url + "/")
    await page.wait_for_selector("body[data-ready='1']", timeout=10_000)


async def test_sending_a_message_in_the_page_shows_the_bots_reply(
    line: Emulator, page: Any, tmp_path: Path
) -> None:
    alice = line.add_user("Alice")
    group = await line.create_group("Friends", [alice, "Bob"])
    await _open(page, line)
    await page.click(f"[data-chat-id='{group.chat_id}']")
    await page.select_option("[data-testid=speaker]", alice.user_id)
    await page.fill("[data-testid=composer-text]", "hello from the browser")
    await page.click("[data-testid=send]")
    reply = page.locator("[data-testid=bot-message]", has_text="hello from the browser")
    await reply.wait_for(timeout=10_000)
    member = page.locator("[data-testid=member-message]", has_text="hello from the browser")
    assert await member.count() == 1
    assert line.bot_messages(group)[-1] == {"type": "text", "text": "hello from the browser"}
    await page.screenshot(path=str(tmp_path / "chat.png"))
    assert (tmp_path / "chat.png").stat().st_size > 1000


async def test_inviting_the_bot_from_the_page_shows_the_join_greeting(
    line: Emulator, page: Any
) -> None:
    group = await line.create_group("Quiet", ["Alice", "Bob"], invite_bot=False)
    await _open(page, line)
    await page.click(f"[data-chat-id='{group.chat_id}']")
    assert await page.locator("[data-testid=bot-message]").count() == 0
    await page.click("[data-testid=invite-bot]")
    greeting = page.locator("[data-testid=bot-message]", has_text="I repeat whatever you say")
    await greeting.wait_for(timeout=10_000)
    assert group.bot_in is True
    assert [d.event_types for d in line.world.deliveries] == [["join"]]


async def test_postback_buttons_in_the_page_send_postbacks(line: Emulator, page: Any) -> None:
    from linegroupbot import messages

    group = await line.create_group("Polls", ["Alice"])
    async with line_client(line) as client:
        await client.push(
            group.chat_id, [messages.buttons("Lunch?", ["Yes", "No"], data_prefix="vote:")]
        )
    await _open(page, line)
    await page.click(f"[data-chat-id='{group.chat_id}']")
    await page.locator("[data-testid=action-button]", has_text="Yes").click()
    delivery = await line.wait_for_delivery(lambda d: d.event_types == ["postback"])
    assert delivery.status == 200


def line_client(line: Emulator) -> Any:
    from linegroupbot import LineClient

    return LineClient(line.settings.access_token, api_base_url=line.url)
