"""The emulator's page as a bot author uses it, in a real headless Chromium.

Every test saves screenshots under ``build/screenshots/`` (or ``$LINEGROUPBOT_SCREENSHOTS``)
so a person can look at what the page showed.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from linegroupbot import Bot, Context, LineClient
from linegroupbot.emulator import Emulator

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("LINEGROUPBOT_SCREENSHOTS") or ROOT / "build" / "screenshots")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def bot() -> Bot:
    """Greets on join, echoes text, answers media with their size (read with get_content)."""
    bot = Bot()

    @bot.on_join
    async def hello(ctx: Context) -> None:
        await ctx.reply("Hi! I repeat whatever you say.")

    @bot.on_message(message_type="text")
    async def echo(ctx: Context) -> None:
        assert ctx.text is not None
        await ctx.reply(ctx.text)

    @bot.on_message(message_type=["image", "video", "audio", "file"])
    async def media(ctx: Context) -> None:
        data = await ctx.get_content()
        await ctx.reply(f"got {len(data)} bytes starting {data[:4]!r}")

    @bot.on_postback
    async def postback(ctx: Context) -> None:
        assert ctx.postback is not None
        params = ctx.postback.params
        picked = params.datetime or params.date or params.time if params else None
        await ctx.reply(f"postback {ctx.postback.data}" + (f" at {picked}" if picked else ""))

    @bot.on_unsend
    async def unsent(ctx: Context) -> None:
        await ctx.push_to_chat("someone unsent a message")

    return bot


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: apt-get install chromium (or -m 'not browser')")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


class Page:
    """A browser page on the emulator that fails the test on any dialog or script error."""

    def __init__(self, page: Any, line: Emulator, name: str) -> None:
        self.page = page
        self.line = line
        self.name = name
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    async def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        await dialog.dismiss()

    async def open(self) -> None:
        await self.page.goto(self.line.url + "/")
        await self.page.wait_for_selector("body[data-ready='1']", timeout=10_000)

    async def chat(self, chat: Any) -> None:
        await self.page.click(f"[data-testid=chat][data-chat-id='{chat.chat_id}']")

    async def shot(self, label: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (once, tiny)
        path = SHOTS / f"{self.name}-{label}.png"
        await self.page.screenshot(path=str(path))
        assert path.stat().st_size > 5000
        return path

    def clean(self) -> None:
        assert self.dialogs == []
        assert self.errors == []


@pytest.fixture
async def ui(browser: Any, line: Emulator, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    name = request.node.name.removeprefix("test_")[:60]
    try:
        yield Page(page, line, name)
    finally:
        await context.close()


def client(line: Emulator) -> LineClient:
    return LineClient(line.settings.access_token, api_base_url=line.url)


def delivered(line: Emulator, kind: str) -> list[dict[str, Any]]:
    """Events of ``kind`` the bot received, from the signed bodies."""
    return [
        e
        for d in line.world.deliveries
        for e in orjson.loads(d.body)["events"]
        if e["type"] == kind
    ]


async def test_the_timeline_scrolls_and_follows_new_messages(line: Emulator, ui: Page) -> None:
    from playwright.async_api import expect

    page = ui.page
    group = await line.create_group("Busy", ["Alice", "Bob"], invite_bot=False)
    for i in range(100):
        await line.say(group, "Alice" if i % 2 else "Bob", f"message {i}")
    await ui.open()
    await ui.chat(group)
    await expect(page.locator("[data-testid=member-message]")).to_have_count(100)
    sizes = await page.evaluate(
        """() => { const t = document.getElementById('timeline');
                   const c = document.getElementById('composer').getBoundingClientRect();
                   return { doc: document.documentElement.scrollHeight, view: innerHeight,
                            composerBottom: c.bottom, scroll: t.scrollHeight,
                            gap: t.scrollHeight - t.scrollTop - t.clientHeight }; }"""
    )
    # The page stays one screen high; the timeline scrolls, opened at the newest message.
    assert sizes["doc"] <= sizes["view"]
    assert sizes["composerBottom"] <= sizes["view"]
    assert sizes["scroll"] > 3 * sizes["view"]
    assert sizes["gap"] < 5
    await expect(
        page.locator("[data-testid=member-message]", has_text="message 99")
    ).to_be_in_viewport()
    await ui.shot("bottom")

    # Scrolled up, a new message does not pull the reader down; a button says it came.
    await page.evaluate("document.getElementById('timeline').scrollTop = 0")
    await line.say(group, "Alice", "while you read")
    await expect(page.locator("[data-testid=member-message]")).to_have_count(101)
    await expect(page.locator("[data-testid=jump-to-latest]")).to_be_visible()
    assert await page.evaluate("document.getElementById('timeline').scrollTop") == 0
    await expect(
        page.locator("[data-testid=member-message]", has_text="message 0")
    ).to_be_in_viewport()
    await ui.shot("scrolled-up")
    await page.click("[data-testid=jump-to-latest]")
    await expect(
        page.locator("[data-testid=member-message]", has_text="while you read")
    ).to_be_in_viewport()
    await expect(page.locator("[data-testid=jump-to-latest]")).to_be_hidden()

    # At the bottom, new messages are followed.
    await line.say(group, "Bob", "and one more")
    last = page.locator("[data-testid=member-message]", has_text="and one more")
    await expect(last).to_be_in_viewport()
    ui.clean()


async def test_it_opens_on_the_greeted_group_and_remembers_the_last_chat(
    line: Emulator, ui: Page
) -> None:
    from playwright.async_api import expect

    page = ui.page
    group = await line.seed_demo()
    await line.wait_for_bot_messages(group, since=0)
    await ui.open()
    await expect(page.locator("[data-testid=chat-title]")).to_have_text("Demo group")
    await expect(page.locator("[data-testid=bot-message]", has_text="I repeat")).to_have_count(1)
    await ui.shot("demo")
    room = next(c for c in line.world.chats.values() if c.kind == "room")
    await ui.chat(room)
    await expect(page.locator("[data-testid=chat-title]")).to_have_text("Room: Alice, Bob")
    await page.reload()
    await page.wait_for_selector("body[data-ready='1']")
    await expect(page.locator("[data-testid=chat-title]")).to_have_text("Room: Alice, Bob")
    # Rooms and groups are explained where they are named.
    kind = page.locator("[data-testid=chat-kind]")
    await expect(kind).to_have_text("room")
    assert "exists for the bot" in (await kind.get_attribute("title") or "")
    ui.clean()


async def test_mentions_are_suggested_and_sent_as_real_mention_data(
    line: Emulator, ui: Page
) -> None:
    from playwright.async_api import expect

    page = ui.page
    alice = line.add_user("Alice")
    bob = line.add_user("Bob")
    group = await line.create_group("Friends", [alice, bob])
    await ui.open()
    await ui.chat(group)
    await page.select_option("[data-testid=speaker]", alice.user_id)
    box = page.locator("[data-testid=composer-text]")
    await box.click()
    await box.press_sequentially("hey @B")
    suggestions = page.locator("[data-testid=mention-suggestion]")
    await expect(suggestions).to_have_count(2)  # the bot and Bob; not Alice herself
    await ui.shot("suggestions")
    await box.press("ArrowDown")
    await box.press("Enter")  # picks Bob, does not send
    await box.press_sequentially("and @Al")
    await box.press("Tab")
    await expect(box).to_have_value("hey @Bob and @All ")
    await box.press("Enter")
    sent = page.locator("[data-testid=member-message]", has_text="hey @Bob and @All")
    await expect(sent.locator("[data-testid=mention]")).to_have_count(2)
    await expect(page.locator("[data-testid=bot-message]", has_text="hey @Bob")).to_have_count(1)
    [event] = [e for e in delivered(line, "message") if e["message"]["text"].startswith("hey")]
    assert event["message"]["mention"] == {
        "mentionees": [
            {"index": 4, "length": 4, "type": "user", "userId": bob.user_id},
            {"index": 13, "length": 4, "type": "all"},
        ]
    }
    await ui.shot("mentions")
    ui.clean()


async def test_shift_enter_breaks_the_line_and_enter_sends(line: Emulator, ui: Page) -> None:
    from playwright.async_api import expect

    page = ui.page
    group = await line.create_group("Lines", ["Alice"])
    await ui.open()
    await ui.chat(group)
    box = page.locator("[data-testid=composer-text]")
    await box.click()
    await box.press_sequentially("first line")
    await box.press("Shift+Enter")
    await box.press_sequentially("second line")
    await expect(page.locator("[data-testid=member-message]")).to_have_count(0)
    await box.press("Enter")
    await expect(page.locator("[data-testid=member-message]")).to_have_count(1)
    await expect(box).to_have_value("")
    texts = [e["message"]["text"] for e in delivered(line, "message")]
    assert texts == ["first line\nsecond line"]
    ui.clean()


async def test_quote_a_message_then_unsend_the_answer(line: Emulator, ui: Page) -> None:
    from playwright.async_api import expect

    page = ui.page
    alice = line.add_user("Alice")
    bob = line.add_user("Bob")
    group = await line.create_group("Lunch", [alice, bob])
    question = await line.say(group, alice, "lunch at noon?")
    await ui.open()
    await ui.chat(group)
    await page.select_option("[data-testid=speaker]", bob.user_id)
    asked = page.locator(f"[data-message-id='{question['message']['id']}']")
    await asked.locator("[data-testid=reply-message]").click()
    await expect(page.locator("[data-testid=replying]")).to_contain_text("lunch at noon?")
    await expect(page.locator("[data-testid=composer-text]")).to_be_focused()
    await page.keyboard.type("count me in")
    await page.keyboard.press("Enter")
    answer = page.locator("[data-testid=member-message]", has_text="count me in")
    await expect(answer.locator("[data-testid=quote]")).to_contain_text("lunch at noon?")
    await expect(page.locator("[data-testid=replying]")).to_be_hidden()
    [event] = [e for e in delivered(line, "message") if e["message"]["text"] == "count me in"]
    assert event["message"]["quotedMessageId"] == question["message"]["id"]
    await ui.shot("quoted")

    # Only the speaker's own messages can be unsent; the bot gets unsend.
    await expect(asked.locator("[data-testid=unsend-message]")).to_have_count(0)
    await answer.locator("[data-testid=unsend-message]").click()
    unsent = page.locator("[data-testid=member-message][data-unsent] [data-testid=unsent]")
    await expect(unsent).to_have_text("Bob unsent a message")
    await expect(
        page.locator("[data-testid=bot-message]", has_text="someone unsent")
    ).to_have_count(1)
    [gone] = delivered(line, "unsend")
    assert gone["unsend"]["messageId"] == event["message"]["id"]
    await ui.shot("unsent")
    ui.clean()


async def test_a_picked_file_reaches_the_bots_get_content(
    line: Emulator, ui: Page, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    page = ui.page
    group = await line.create_group("Files", ["Alice"])
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"NOTE: bring snacks")
    picture = tmp_path / "dot.png"
    from linegroupbot.emulator import TINY_PNG

    picture.write_bytes(TINY_PNG)
    await ui.open()
    await ui.chat(group)
    await page.set_input_files("[data-testid=file-input]", str(notes))
    await expect(page.locator("[data-testid=bot-message]", has_text="got 18 bytes")).to_have_count(
        1
    )
    await expect(page.locator("[data-testid=file]")).to_contain_text("notes.txt")
    await page.set_input_files("[data-testid=file-input]", str(picture))
    answer = page.locator("[data-testid=bot-message]", has_text=f"got {len(TINY_PNG)} bytes")
    await expect(answer).to_have_count(1)
    photo = page.locator("[data-testid=member-message] img.pic")
    await expect(photo).to_have_count(1)
    assert await photo.evaluate("img => img.complete && img.naturalWidth") == 1
    files = [e["message"] for e in delivered(line, "message")]
    assert [(m["type"], m.get("fileName")) for m in files] == [
        ("file", "notes.txt"),
        ("image", None),
    ]
    await ui.shot("files")
    ui.clean()


STICKER = {"type": "sticker", "packageId": "446", "stickerId": "1988"}
BUTTONS = {
    "type": "template",
    "altText": "Lunch?",
    "template": {
        "type": "buttons",
        "title": "Lunch",
        "text": "Where shall we go?",
        "actions": [
            {"type": "postback", "label": "Noodles", "data": "lunch=noodles"},
            {"type": "datetimepicker", "label": "Pick a time", "data": "when", "mode": "time"},
            {"type": "uri", "label": "Menu", "uri": "https://example.com/menu"},
        ],
    },
}
CONFIRM = {
    "type": "template",
    "altText": "Sure?",
    "template": {
        "type": "confirm",
        "text": "Book a table?",
        "actions": [
            {"type": "message", "label": "Yes", "text": "yes please"},
            {"type": "message", "label": "No", "text": "no thanks"},
        ],
    },
}
CAROUSEL = {
    "type": "template",
    "altText": "Menu",
    "template": {
        "type": "carousel",
        "columns": [
            {
                "title": t,
                "text": f"{t} of the day",
                "actions": [{"type": "postback", "label": f"Order {t}", "data": f"order={t}"}],
            }
            for t in ("Soup", "Salad", "Cake")
        ],
    },
}
FLEX = {
    "type": "flex",
    "altText": "Receipt",
    "contents": {
        "type": "bubble",
        "header": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                {
                    "type": "text",
                    "text": "RECEIPT",
                    "weight": "bold",
                    "color": "#06c755",
                    "size": "sm",
                }
            ],
        },
        "body": {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": [
                {"type": "text", "text": "Noodle House", "weight": "bold", "size": "xl"},
                {"type": "separator"},
                {
                    "type": "box",
                    "layout": "horizontal",
                    "contents": [
                        {"type": "text", "text": "Ramen", "color": "#555555"},
                        {"type": "text", "text": "¥980", "align": "end"},
                    ],
                },
                {
                    "type": "box",
                    "layout": "horizontal",
                    "contents": [
                        {"type": "text", "text": "Gyoza", "color": "#555555"},
                        {"type": "text", "text": "¥420", "align": "end"},
                    ],
                },
            ],
        },
        "footer": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                {
                    "type": "button",
                    "style": "primary",
                    "action": {"type": "postback", "label": "Pay now", "data": "pay"},
                }
            ],
        },
    },
}
IMAGEMAP = {
    "type": "imagemap",
    "baseUrl": "https://example.com/map",
    "altText": "Floor map",
    "baseSize": {"width": 1040, "height": 520},
    "actions": [
        {
            "type": "message",
            "text": "left room",
            "area": {"x": 0, "y": 0, "width": 520, "height": 520},
        },
        {
            "type": "message",
            "text": "right room",
            "area": {"x": 520, "y": 0, "width": 520, "height": 520},
        },
    ],
}
QUICK = {
    "type": "text",
    "text": "How was it?",
    "quickReply": {
        "items": [
            {"type": "action", "action": {"type": "postback", "label": "Great", "data": "rate=5"}},
            {"type": "action", "action": {"type": "message", "label": "Meh", "text": "meh"}},
        ]
    },
}


async def test_every_kind_of_bot_message_is_drawn_and_acts(line: Emulator, ui: Page) -> None:
    from playwright.async_api import expect

    page = ui.page
    alice = line.add_user("Alice")
    group = await line.create_group("Menu", [alice])
    async with client(line) as api:
        await api.push_raw(group.chat_id, [STICKER, BUTTONS, CONFIRM])
        await api.push_raw(
            group.chat_id,
            [
                {
                    "type": "image",
                    "originalContentUrl": "https://example.com/a.jpg",
                    "previewImageUrl": "https://example.com/a-small.jpg",
                },
                {
                    "type": "textV2",
                    "text": "Thanks {who}!",
                    "sender": {"name": "Chef"},
                    "substitution": {
                        "who": {
                            "type": "mention",
                            "mentionee": {"type": "user", "userId": alice.user_id},
                        }
                    },
                },
            ],
        )
        await api.push_raw(group.chat_id, [CAROUSEL, FLEX, IMAGEMAP, QUICK])
    await ui.open()
    await ui.chat(group)
    bots = page.locator("[data-testid=bot-message]")
    await expect(bots.locator("[data-testid=sticker]")).to_have_count(1)
    await expect(
        bots.locator("[data-testid=template]", has_text="Where shall we go?")
    ).to_have_count(1)
    await expect(bots.locator("[data-testid=template]", has_text="Book a table?")).to_have_count(1)
    await expect(bots.locator("[data-testid=carousel] [data-testid=template]")).to_have_count(3)
    await expect(bots.locator("[data-testid=flex-bubble]")).to_have_count(1)
    await expect(bots.locator("[data-testid=flex-text]", has_text="Noodle House")).to_have_count(1)
    await expect(bots.locator("[data-testid=imagemap-area]")).to_have_count(2)
    await expect(bots.locator("[data-testid=mention]")).to_have_text("@Alice")
    thanks = bots.filter(has_text="Thanks @Alice!")
    await expect(thanks.locator("[data-testid=sender]")).to_have_text("Chef \u00b7 push")
    await expect(bots.locator(".bubble > .broken")).to_have_count(1)  # offline: a labelled frame
    quick = page.locator("[data-testid=quick-reply]")
    await expect(quick).to_have_count(2)
    await ui.shot("kinds")
    flex_box = await bots.locator("[data-testid=flex-bubble]").bounding_box()
    assert flex_box is not None
    assert flex_box["height"] > 100

    # Quick replies act, then go, as in LINE.
    await quick.filter(has_text="Great").click()
    await expect(
        page.locator("[data-testid=bot-message]", has_text="postback rate=5")
    ).to_have_count(1)
    await expect(quick).to_have_count(0)
    # Flex buttons, template buttons, confirm buttons, imagemap areas and pickers all act.
    await page.locator("[data-testid=flex-bubble] [data-testid=action-button]").click()
    await expect(bots.filter(has_text="postback pay")).to_have_count(1)
    await page.locator("[data-testid=action-button]", has_text="Order Cake").click()
    await expect(bots.filter(has_text="postback order=Cake")).to_have_count(1)
    await page.locator("[data-testid=action-button]", has_text="Yes").click()
    await expect(page.locator("[data-testid=member-message]", has_text="yes please")).to_have_count(
        1
    )
    await page.locator("[data-testid=imagemap-area]").nth(1).click()
    await expect(page.locator("[data-testid=member-message]", has_text="right room")).to_have_count(
        1
    )
    await page.locator("[data-testid=datetime-input]").fill("12:30")
    await line.say(group, alice, "a live update while picking")  # keeps the picked time
    await expect(page.locator("[data-testid=datetime-input]")).to_have_value("12:30")
    await page.locator("[data-testid=action-button]", has_text="Pick a time").click()
    await expect(bots.filter(has_text="postback when at 12:30")).to_have_count(1)
    [picked] = [e for e in delivered(line, "postback") if e["postback"]["data"] == "when"]
    assert picked["postback"]["params"] == {"time": "12:30"}
    await ui.shot("acted")
    ui.clean()


async def test_the_inspector_shows_deliveries_and_calls_of_this_chat(
    line: Emulator, ui: Page
) -> None:
    from playwright.async_api import expect

    page = ui.page
    group = await line.create_group("Inspect", ["Alice"])
    other = await line.create_group("Elsewhere", ["Alice"])
    await line.say(group, "Alice", "inspect me")
    await line.wait_for_bot_messages(group)
    await ui.open()
    await ui.chat(group)
    await page.click("[data-testid=tab-inspector]")
    deliveries = page.locator("[data-testid=delivery]")
    # This chat's join and message; not the other group's join.
    await expect(deliveries).to_have_count(2)
    latest = deliveries.first
    await expect(latest.locator("[data-testid=delivery-status]")).to_have_text("200")
    await expect(latest).to_contain_text("message")
    await expect(latest).to_contain_text(" ms")
    await latest.locator("summary").click()
    body = latest.locator("[data-testid=delivery-body]")
    await expect(body).to_contain_text('"text": "inspect me"')
    await expect(body).to_contain_text("webhookEventId")
    assert line.world.deliveries[-1].signature in await latest.inner_text()

    calls = page.locator("[data-testid=api-call]")
    await expect(calls).to_have_count(2)  # the replies to the join and to the message
    reply = calls.first
    await expect(reply).to_contain_text("POST /v2/bot/message/reply")
    await expect(reply.locator("[data-testid=call-status]")).to_have_text("200")
    await reply.locator("summary").click()
    await expect(reply.locator("[data-testid=call-request]")).to_contain_text("inspect me")
    await expect(reply.locator("[data-testid=call-response]")).to_contain_text("sentMessages")
    last_call = line.world.calls[-1]
    await expect(reply.locator("[data-testid=request-id]")).to_have_text(last_call.request_id)
    await expect(reply.locator("[data-testid=retry-key]")).to_have_text("(none)")
    await ui.shot("inspector")

    # A push with a retry key shows it; "Only this chat" off shows everything.
    async with client(line) as api:
        await api.push(group.chat_id, "pushed")
    await expect(calls).to_have_count(3)
    key = line.world.calls[-1].retry_key
    assert key
    await calls.first.locator("summary").click()
    await expect(calls.first.locator("[data-testid=retry-key]")).to_have_text(key)
    await page.uncheck("[data-testid=only-this-chat]")
    await expect(deliveries).to_have_count(3)
    assert other.chat_id in line.world.deliveries[1].chat_ids
    ui.clean()


async def test_errors_are_shown_in_the_page_and_keep_the_draft(line: Emulator, ui: Page) -> None:
    from playwright.async_api import expect

    page = ui.page
    group = await line.create_group("Empty", ["Alice"])
    await ui.open()
    await ui.chat(group)
    await line.remove_member(group, "Alice")  # nobody left to speak as
    await expect(page.locator("[data-testid=member]")).to_have_count(0)
    box = page.locator("[data-testid=composer-text]")
    await box.fill("is anyone here?")
    await box.press("Enter")
    error = page.locator("[data-testid=error]")
    await expect(error).to_be_visible()
    await expect(error).to_contain_text("needs the user")
    await expect(box).to_have_value("is anyone here?")
    await page.click("[data-testid=add-user]")  # no name typed
    await expect(error).to_contain_text("name first")
    await ui.shot("error")
    ui.clean()  # and no alert() was shown


async def test_the_loading_animation_shows_in_a_one_to_one_chat(line: Emulator, ui: Page) -> None:
    from playwright.async_api import expect

    page = ui.page
    alice = line.add_user("Alice", friend=True)
    await ui.open()
    await ui.chat(line.direct_chat(alice))
    async with client(line) as api:
        await api.show_loading(alice.user_id, seconds=20)
        loading = page.locator("[data-testid=loading]")
        await expect(loading).to_have_count(1)
        await ui.shot("loading")
        await api.push(alice.user_id, "done thinking")
    await expect(loading).to_have_count(0)
    await expect(page.locator("[data-testid=bot-message]", has_text="done thinking")).to_have_count(
        1
    )
    ui.clean()


async def test_dark_mode_follows_the_system(browser: Any, line: Emulator) -> None:
    context = await browser.new_context(
        viewport={"width": 1280, "height": 900}, color_scheme="dark"
    )
    try:
        page = Page(await context.new_page(), line, "dark_mode")
        group = await line.seed_demo()
        await line.wait_for_bot_messages(group, since=0)
        await line.say(group, "Alice", "hello @Bot, is it dark in here?")
        await line.wait_for_bot_messages(group)
        await page.open()
        panel = await page.page.evaluate("getComputedStyle(document.body).backgroundColor")
        channels = [int(x) for x in re.findall(r"\d+", panel)[:3]]
        assert max(channels) < 60, panel
        await page.shot("dark")
        page.clean()
    finally:
        await context.close()


async def test_controls_have_names_for_screen_readers(line: Emulator, ui: Page) -> None:
    page = ui.page
    group = await line.seed_demo()
    await line.wait_for_bot_messages(group, since=0)
    async with client(line) as api:
        await api.push_raw(group.chat_id, [BUTTONS, FLEX, QUICK])
    await ui.open()
    await page.locator("[data-testid=quick-reply]").first.wait_for()
    unnamed = await page.evaluate(
        """() => [...document.querySelectorAll('button, input, select, textarea, [role=button]')]
              .filter((n) => n.type !== 'file' && n.offsetParent !== null)
              .filter((n) => !(n.getAttribute('aria-label') || n.textContent.trim()
                               || (n.id && document.querySelector(`label[for="${n.id}"]`))
                               || n.closest('label') || n.title))
              .map((n) => n.outerHTML.slice(0, 80))"""
    )
    assert unnamed == []
    # The first Tab offers a way past the chat list and the timeline to the message box.
    await page.locator("body").focus()
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.dataset.testid") == "skip-to-composer"
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.dataset.testid") == "composer-text"
    # The composer is reachable from the keyboard, in reading order.
    await page.focus("[data-testid=speaker]")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.dataset.testid") == "composer-text"
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.dataset.testid") == "send"
    assert await page.locator("[data-testid=timeline]").get_attribute("role") == "log"
    ui.clean()


async def test_stickers_are_picked_and_people_settings_use_plain_words(
    line: Emulator, ui: Page
) -> None:
    from playwright.async_api import expect

    page = ui.page
    alice = line.add_user("Alice")
    group = await line.create_group("Stickers", [alice])
    await ui.open()
    await ui.chat(group)
    await page.click("[data-testid=open-stickers]")
    options = page.locator("[data-testid=sticker-option]")
    await expect(options.first).to_be_focused()
    await ui.shot("picker")
    await options.nth(5).click()
    await expect(page.locator("[data-testid=member-message] [data-testid=sticker]")).to_have_count(
        1
    )
    [sticker] = [e["message"] for e in delivered(line, "message")]
    assert (sticker["packageId"], sticker["stickerId"]) == ("11537", "52002734")
    await expect(page.locator("[data-testid=sticker-picker]")).to_be_hidden()

    # "Agreed to the terms" and "friend" in words a bot author knows.
    card = page.locator("[data-testid=user]", has_text="Alice")
    await expect(card).to_contain_text("Agreed to the bot's terms")
    await card.locator("[data-testid=toggle-consent]").uncheck()
    await line.wait_until(lambda: not alice.consented)
    await line.say(group, alice, "who am I?")
    message = delivered(line, "message")[-1]
    assert "userId" not in message["source"]
    await card.locator("[data-testid=toggle-friend]", has_text="Add the bot as friend").click()
    await line.wait_for_delivery(lambda d: d.event_types == ["follow"])
    await expect(card.locator("[data-testid=toggle-friend]")).to_have_text("Block the bot")
    ui.clean()


async def test_a_tour_of_the_page(line: Emulator, ui: Page) -> None:
    """The scene of the docs' screenshot: the demo group in use."""
    from playwright.async_api import expect

    page = ui.page
    group = await line.seed_demo()
    await line.wait_for_bot_messages(group, since=0)
    question = await line.say(group, "Alice", "@Bot where shall we eat tonight?")
    await line.wait_for_bot_messages(group)
    await line.say(group, "Bob", "noodles again?", quote=question["message"]["id"])
    await line.wait_for_bot_messages(group)
    await line.send_sticker(group, "Bob", "11537", "52002734")
    async with client(line) as api:
        await api.push_raw(group.chat_id, [FLEX, QUICK])
    await ui.open()
    await expect(page.locator("[data-testid=quick-reply]")).to_have_count(2)
    await expect(page.locator("[data-testid=chat-title]")).to_have_text("Demo group")
    await ui.shot("light")
    await page.click("[data-testid=tab-inspector]")
    await page.locator("[data-testid=api-call] summary").first.click()
    await ui.shot("inspector")
    ui.clean()


@pytest.mark.line(raise_handler_errors=False)  # the bot's reply is refused on purpose
async def test_quick_replies_go_once_tapped_even_if_the_bot_stays_quiet(
    line: Emulator, ui: Page
) -> None:
    from playwright.async_api import expect

    page = ui.page
    group = await line.create_group("Quiet", ["Alice"])
    silent = {
        "type": "text",
        "text": "Vote?",
        "quickReply": {
            "items": [
                {"type": "action", "action": {"type": "postback", "label": "Aye", "data": "x"}}
            ]
        },
    }
    line.fail_next("/v2/bot/message/reply", status=400, count=1)  # the bot's answer is lost
    async with client(line) as api:
        await api.push_raw(group.chat_id, [silent])
    await ui.open()
    await ui.chat(group)
    quick = page.locator("[data-testid=quick-reply]")
    await expect(quick).to_have_count(1)
    await quick.click()
    await expect(quick).to_have_count(0)
    await line.wait_for_delivery(lambda d: d.event_types == ["postback"])
    await page.reload()  # the emulator remembers that they were used
    await page.wait_for_selector("body[data-ready='1']")
    await expect(page.locator("[data-testid=bot-message]", has_text="Vote?")).to_have_count(1)
    await expect(quick).to_have_count(0)
    ui.clean()


async def test_mentions_after_an_emoji_count_characters(line: Emulator, ui: Page) -> None:
    from playwright.async_api import expect

    page = ui.page
    alice = line.add_user("Alice")
    bob = line.add_user("Bob")
    group = await line.create_group("Emoji", [alice, bob], invite_bot=False)
    await ui.open()
    await ui.chat(group)
    await page.select_option("[data-testid=speaker]", alice.user_id)
    box = page.locator("[data-testid=composer-text]")
    await box.fill("\U0001f35c for @")
    await box.press("End")
    await box.press_sequentially("Bob")
    await expect(page.locator("[data-testid=mention-suggestion]")).to_have_count(1)
    await box.press("Enter")  # picks Bob
    await box.press("Enter")  # sends
    said = page.locator("[data-testid=member-message]", has_text="for @Bob")
    await expect(said.locator("[data-testid=mention]")).to_have_text("@Bob")
    [entry] = [e for e in line.world.timeline if e.kind == "member"]
    assert entry.message["mention"]["mentionees"] == [
        {"index": 6, "length": 4, "type": "user", "userId": bob.user_id}
    ]
    assert entry.message["text"][6:10] == "@Bob"
    ui.clean()


async def test_the_inspector_shows_a_webhook_the_bot_did_not_take(line: Emulator, ui: Page) -> None:
    from playwright.async_api import expect

    page = ui.page
    group = await line.create_group("Down", ["Alice"])
    line.sender.redelivery = False
    line.set_webhook_url("http://127.0.0.1:9/callback")  # nobody listens there
    await line.say(group, "Alice", "are you there?")
    await ui.open()
    await ui.chat(group)
    await page.click("[data-testid=tab-inspector]")
    failed = page.locator("[data-testid=delivery]").first
    status = failed.locator("[data-testid=delivery-status]")
    await expect(status).to_contain_text("Error")
    assert "bad" in (await status.get_attribute("class") or "")
    await failed.locator("summary").click()
    await expect(failed).to_contain_text("are you there?")
    ui.clean()


async def test_a_narrow_window_keeps_the_chat_and_folds_the_side_panel(
    browser: Any, line: Emulator
) -> None:
    from playwright.async_api import expect

    context = await browser.new_context(viewport={"width": 900, "height": 800})
    try:
        page = Page(await context.new_page(), line, "narrow")
        group = await line.seed_demo()
        await line.wait_for_bot_messages(group, since=0)
        await page.open()
        await expect(page.page.locator("[data-testid=tab-inspector]")).to_be_hidden()
        width = await page.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 900
        await page.page.click("#toggle-side")
        await expect(page.page.locator("[data-testid=tab-inspector]")).to_be_visible()
        await expect(page.page.locator("[data-testid=composer-text]")).to_be_visible()
        await page.shot("side-open")
        page.clean()
    finally:
        await context.close()


def test_the_page_benchmark_runs_and_reports_a_ratio() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "bench_emulator_page.py", "--messages", "20", "--repeat", "1"],
        cwd=ROOT / "benchmarks",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "x faster" in result.stdout


async def test_other_chats_show_how_many_messages_are_unread(line: Emulator, ui: Page) -> None:
    from playwright.async_api import expect

    page = ui.page
    here = await line.create_group("Here", ["Alice"])
    there = await line.create_group("There", ["Bob"])
    await line.say(there, "Bob", "old news")  # said before the page opened: read
    await ui.open()
    await ui.chat(here)
    badge = page.locator(f"[data-chat-id='{there.chat_id}'] [data-testid=unread]")
    await expect(badge).to_have_count(0)
    await line.say(there, "Bob", "psst")  # and the bot echoes it: two unread
    await line.wait_for_bot_messages(there)
    await expect(badge).to_have_text("2")
    await line.say(here, "Alice", "meanwhile here")
    await expect(
        page.locator(f"[data-chat-id='{here.chat_id}'] [data-testid=unread]")
    ).to_have_count(0)
    await ui.shot("unread")
    await ui.chat(there)
    await expect(badge).to_have_count(0)
    ui.clean()


async def test_a_delivery_can_be_sent_again_as_a_redelivery(line: Emulator, ui: Page) -> None:
    from playwright.async_api import expect

    page = ui.page
    group = await line.create_group("Again", ["Alice"])
    await line.say(group, "Alice", "only once please")
    await line.wait_for_bot_messages(group)
    await ui.open()
    await ui.chat(group)
    await page.click("[data-testid=tab-inspector]")
    deliveries = page.locator("[data-testid=delivery]")
    await deliveries.first.locator("summary").click()
    await deliveries.first.locator("[data-testid=redeliver]").click()
    await expect(deliveries).to_have_count(3)
    await expect(deliveries.first).to_contain_text("redelivery #2")
    again = line.world.deliveries[-1]
    first = orjson.loads(line.world.deliveries[-2].body)["events"][0]
    [event] = orjson.loads(again.body)["events"]
    assert event["webhookEventId"] == first["webhookEventId"]
    assert event["deliveryContext"] == {"isRedelivery": True}
    assert again.status == 200
    # The bot handles each event once: no second echo (by the time a later message is
    # answered, the chat's earlier events are done).
    await line.say(group, "Alice", "after")
    await line.wait_for_bot_messages(group)
    texts = [m.get("text") for m in line.bot_messages(group, since=0)]
    assert texts.count("only once please") == 1
    ui.clean()


CAFE = {
    "type": "flex",
    "altText": "Brown Cafe",
    "contents": {
        "type": "bubble",
        "hero": {
            "type": "image",
            "url": "https://example.com/cafe.jpg",
            "size": "full",
            "aspectRatio": "20:13",
            "aspectMode": "cover",
        },
        "body": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                {"type": "text", "text": "Brown Cafe", "weight": "bold", "size": "xl"},
                {
                    "type": "box",
                    "layout": "baseline",
                    "margin": "md",
                    "contents": [
                        {"type": "icon", "size": "sm", "url": "https://example.com/star.png"},
                        {"type": "icon", "size": "sm", "url": "https://example.com/star.png"},
                        {
                            "type": "text",
                            "text": "4.0",
                            "size": "sm",
                            "color": "#999999",
                            "margin": "md",
                            "flex": 0,
                        },
                    ],
                },
                {
                    "type": "box",
                    "layout": "vertical",
                    "margin": "lg",
                    "spacing": "sm",
                    "contents": [
                        {
                            "type": "box",
                            "layout": "baseline",
                            "spacing": "sm",
                            "contents": [
                                {
                                    "type": "text",
                                    "text": "Place",
                                    "color": "#aaaaaa",
                                    "size": "sm",
                                    "flex": 1,
                                },
                                {
                                    "type": "text",
                                    "text": "Miraina Tower, 4-1-6 Shinjuku, Tokyo",
                                    "wrap": True,
                                    "color": "#666666",
                                    "size": "sm",
                                    "flex": 5,
                                },
                            ],
                        },
                        {
                            "type": "box",
                            "layout": "baseline",
                            "spacing": "sm",
                            "contents": [
                                {
                                    "type": "text",
                                    "text": "Time",
                                    "color": "#aaaaaa",
                                    "size": "sm",
                                    "flex": 1,
                                },
                                {
                                    "type": "text",
                                    "text": "10:00 - 23:00",
                                    "wrap": True,
                                    "color": "#666666",
                                    "size": "sm",
                                    "flex": 5,
                                },
                            ],
                        },
                    ],
                },
            ],
        },
        "footer": {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": [
                {
                    "type": "button",
                    "style": "link",
                    "height": "sm",
                    "action": {"type": "uri", "label": "CALL", "uri": "https://example.com"},
                },
                {
                    "type": "button",
                    "style": "link",
                    "height": "sm",
                    "action": {"type": "uri", "label": "WEBSITE", "uri": "https://example.com"},
                },
                {"type": "box", "layout": "vertical", "contents": [], "margin": "sm"},
            ],
            "flex": 0,
        },
    },
}


async def test_flex_rows_share_their_width_as_line_lays_them_out(line: Emulator, ui: Page) -> None:
    from playwright.async_api import expect

    page = ui.page
    group = await line.create_group("Cafe", ["Alice"], invite_bot=False)
    group.bot_in = True
    async with client(line) as api:
        await api.push_raw(group.chat_id, [CAFE])
    await ui.open()
    await ui.chat(group)
    bubble = page.locator("[data-testid=flex-bubble]")
    rating = bubble.locator("[data-testid=flex-text]", has_text="4.0")
    await expect(rating).to_be_visible()
    box = await rating.bounding_box()
    assert box is not None
    assert box["width"] > 10  # flex 0: as wide as its text, not squeezed to nothing
    place = await bubble.locator("[data-testid=flex-text]", has_text="Place").bounding_box()
    where = await bubble.locator("[data-testid=flex-text]", has_text="Miraina").bounding_box()
    assert place is not None
    assert where is not None
    assert abs(place["y"] - where["y"]) < 4  # one baseline row
    assert where["width"] > 3 * place["width"]  # flex 5 against flex 1
    hero = await bubble.locator("[data-testid=flex-hero]").bounding_box()
    assert hero is not None
    assert (
        abs(hero["width"] / hero["height"] - 20 / 13) < 0.1
    )  # the image's aspect ratio, even unloaded
    await ui.shot("cafe")
    ui.clean()
