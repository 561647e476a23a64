"""The emulator's web page in a real headless Chromium: talk to the bot, invite it."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from linegroupbot import Bot, Context
from linegroupbot.cli import load_bot
from linegroupbot.emulator import Emulator

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def bot(request: pytest.FixtureRequest) -> Bot:
    """The example echo bot, or (``indirect`` param "edits") an echo bot that answers edits."""
    if getattr(request, "param", None) == "edits":
        return _edit_echo_bot()
    return load_bot(str(Path(__file__).resolve().parents[2] / "examples" / "echo.py") + ":bot")


def _edit_echo_bot() -> Bot:
    bot = Bot()

    @bot.on_message(message_type="text")
    async def echo(ctx: Context) -> None:
        assert ctx.text is not None
        await ctx.reply(ctx.text)

    @bot.on_message_edited
    async def edited(ctx: Context) -> None:
        await ctx.reply(f"edited: {ctx.text}")

    return bot


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


def _exactly(text: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(text)}$")


@pytest.mark.parametrize("bot", ["edits"], indirect=True)
async def test_a_member_edits_their_own_message_in_the_page(
    bot: Bot, line: Emulator, page: Any, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    alice = line.add_user("Alice")
    group = await line.create_group("Friends", [alice, "Bob"])
    bob = line.world.user("Bob")
    dialogs: list[str] = []

    async def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", on_dialog)
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    await _open(page, line)
    await page.click(f"[data-chat-id='{group.chat_id}']")
    await page.select_option("[data-testid=speaker]", alice.user_id)
    await page.fill("[data-testid=composer-text]", "see you at 6")
    await page.click("[data-testid=send]")
    bot_said = page.locator("[data-testid=bot-message]")
    await bot_said.filter(has_text="see you at 6").wait_for(timeout=10_000)
    bobs = await line.say(group, bob, "I'm in")
    await bot_said.filter(has_text="I'm in").wait_for(timeout=10_000)

    said = page.locator("[data-testid=member-message]", has_text="see you at 6")
    mine = page.locator(f"[data-message-id='{await said.get_attribute('data-message-id')}']")
    theirs = page.locator(f"[data-message-id='{bobs['message']['id']}']")
    edit_controls = page.locator("[data-testid=edit-message]")
    # Only the speaker's own message can be edited: not Bob's, not the bot's.
    await expect(edit_controls).to_have_count(1)
    await expect(mine.locator("[data-testid=edit-message]")).to_have_count(1)
    await expect(theirs.locator("[data-testid=edit-message]")).to_have_count(0)
    await expect(bot_said.locator("[data-testid=edit-message]")).to_have_count(0)

    # Escape cancels without telling the bot.
    await mine.locator("[data-testid=edit-message]").click()
    editor = page.locator("[data-testid=edit-text]")
    await expect(editor).to_be_focused()
    await expect(editor).to_have_value("see you at 6")
    await editor.fill("never mind")
    # A live update while typing keeps the editor, its draft and the focus.
    await line.say(group, bob, "anyone else?")
    await bot_said.filter(has_text="anyone else?").wait_for(timeout=10_000)
    await expect(editor).to_have_value("never mind")
    await expect(editor).to_be_focused()
    await editor.press("Escape")
    await expect(editor).to_have_count(0)
    await expect(mine.locator(".bubble > span")).to_have_text("see you at 6")

    # A refused edit (empty text) shows the emulator's error in the bubble, not in a dialog.
    await mine.locator("[data-testid=edit-message]").click()
    await editor.fill("   ")
    await editor.press("Enter")
    error = page.locator("[data-testid=edit-error]")
    await expect(error).to_contain_text("needs message_id and text")
    await expect(editor).to_be_focused()
    await page.screenshot(path=str(tmp_path / "editing.png"))

    # Enter saves: the bubble shows the new text marked edited, and the bot got the edit.
    await editor.fill("see you at 7")
    await editor.press("Enter")
    await expect(editor).to_have_count(0)
    await expect(page.locator("[data-testid=member-message][data-edited]")).to_have_count(1)
    await expect(mine.locator(".bubble > span")).to_have_text("see you at 7")
    await expect(mine.locator("[data-testid=edited-label]")).to_have_text("edited")
    bot_texts = bot_said.locator(".bubble > span")
    await expect(bot_texts.filter(has_text=_exactly("edited: see you at 7"))).to_have_count(1)
    delivery = await line.wait_for_delivery(lambda d: d.event_types == ["messageEdited"])
    assert delivery.status == 200
    assert line.bot_messages(group)[-1] == {"type": "text", "text": "edited: see you at 7"}
    assert [d.event_types for d in line.world.deliveries].count(["messageEdited"]) == 1

    # An edit made by a script is marked too, and Bob's message stays not Alice's to edit.
    await line.edit(group, bob, bobs["message"]["id"], "I'm in, +1")
    await expect(theirs.locator(".bubble > span")).to_have_text("I'm in, +1")
    await expect(theirs.locator("[data-testid=edited-label]")).to_have_text("edited")
    await expect(bot_texts.filter(has_text=_exactly("edited: I'm in, +1"))).to_have_count(1)
    await expect(edit_controls).to_have_count(1)
    await expect(bot_said.locator("[data-testid=edit-message]")).to_have_count(0)

    # Edit controls follow who the page speaks as.
    await page.select_option("[data-testid=speaker]", bob.user_id)
    await expect(theirs.locator("[data-testid=edit-message]")).to_have_count(1)
    await expect(mine.locator("[data-testid=edit-message]")).to_have_count(0)
    await page.select_option("[data-testid=speaker]", alice.user_id)
    await expect(mine.locator("[data-testid=edit-message]")).to_have_count(1)
    assert dialogs == []
    assert page_errors == []
    await page.screenshot(path=str(tmp_path / "edited.png"))
    assert (tmp_path / "edited.png").stat().st_size > 1000


async def test_messages_in_rooms_and_one_to_one_chats_have_no_edit_control(
    line: Emulator, page: Any
) -> None:
    from playwright.async_api import expect

    alice = line.add_user("Alice")
    room = await line.create_room([alice, "Bob"])
    await line.say(room, alice, "room talk")
    await line.follow(alice)
    direct = line.world.direct_chat(alice.user_id)
    await line.say(direct, alice, "just us")
    await _open(page, line)
    for chat, text in [(room, "room talk"), (direct, "just us")]:
        await page.click(f"[data-chat-id='{chat.chat_id}']")
        await page.select_option("[data-testid=speaker]", alice.user_id)
        said = page.locator("[data-testid=member-message]", has_text=text)
        await expect(said).to_have_count(1)
        await expect(page.locator("[data-testid=bot-message]", has_text=text)).to_have_count(1)
        await expect(page.locator("[data-testid=edit-message]")).to_have_count(0)


def line_client(line: Emulator) -> Any:
    from linegroupbot import LineClient

    return LineClient(line.settings.access_token, api_base_url=line.url)
