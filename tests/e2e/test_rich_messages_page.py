"""The Rich messages guide's bot, drawn by the emulator page in headless Chromium.

The test saves the screenshot the guide shows (under ``build/screenshots/``, like the other
page tests); ``docs/_static/rich-messages.png`` is a copy of it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from linegroupbot import Bot
from linegroupbot.testing import connect
from tests.e2e.test_emulator_page import ARGS, CHROMIUM, SHOTS

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


def _snippet_bot() -> Bot:
    path = ROOT / "docs" / "snippets" / "rich_messages.py"
    spec = importlib.util.spec_from_file_location("rich_messages_page", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    bot: Bot = module.bot
    return bot


@pytest.fixture
async def page() -> AsyncIterator[Any]:
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: apt-get install chromium (or -m 'not browser')")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            yield await context.new_page()
        finally:
            await browser.close()


async def test_the_guides_flex_cards_and_quick_replies_are_drawn(page: Any) -> None:
    from playwright.async_api import expect

    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    async with connect(_snippet_bot()) as line:
        group = await line.create_group("Lunch club", ["Alice", "Bob"])
        await line.say(group, "Alice", "/lunch Ramen Ya")
        await line.wait_for_bot_messages(group, 2)
        await line.say(group, "Bob", "/week")
        await line.wait_for_bot_messages(group)
        await page.goto(line.url + "/")
        await page.wait_for_selector("body[data-ready='1']", timeout=10_000)
        await page.click(f"[data-testid=chat][data-chat-id='{group.chat_id}']")
        bots = page.locator("[data-testid=bot-message]")
        # The lunch card (one bubble) and the simulator carousel (three) are drawn as flex.
        await expect(page.locator("[data-testid=flex-bubble]")).to_have_count(4)
        await expect(bots.locator("[data-testid=flex-text]", has_text="Ramen Ya")).to_have_count(1)
        for day in ("Mon", "Tue", "Wed"):
            await expect(bots.locator("[data-testid=flex-text]", has_text=day)).to_have_count(1)
        # Tapping "I'm in" sends the postback; the bot answers with a mention.
        await page.locator("[data-testid=action-button]", has_text="I'm in").first.click()
        await line.wait_for_delivery(lambda d: d.event_types == ["postback"])
        [answer] = await line.wait_for_bot_messages(group)
        assert answer["type"] == "textV2"
        await expect(bots.last).to_contain_text("is in!")
        SHOTS.mkdir(parents=True, exist_ok=True)
        shot = SHOTS / "rich-messages.png"
        await page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000  # a real picture, not an empty page
    assert errors == []
