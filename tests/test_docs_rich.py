"""The rich messages and going-live guides' snippets work against the emulator."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from linegroupbot import Bot
from linegroupbot.emulator import Emulator
from linegroupbot.emulator.channel import channel_of
from linegroupbot.testing import connect
from linegroupbot.testing.harness import running_bot

from .spec_schema import check

SNIPPETS = Path(__file__).resolve().parents[1] / "docs" / "snippets"


def _snippet(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"snippet_{name[:-3]}", SNIPPETS / name)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_rich_messages_snippet() -> None:
    bot: Bot = _snippet("rich_messages.py").bot
    async with connect(bot) as line:
        group = await line.create_group("Team", ["Alice"])
        said = await line.say(group, "Alice", "/lunch Ramen")
        quoted, card = await line.wait_for_bot_messages(group, 2)
        assert quoted == {
            "type": "text",
            "text": "Who's in?",
            "quoteToken": said["message"]["quoteToken"],
        }
        check(card, "Message")
        assert card["altText"] == "Lunch at Ramen?"
        body = card["contents"]["body"]["contents"]
        assert body[0] == {"type": "text", "text": "Ramen", "weight": "bold", "size": "xl"}
        assert card["contents"]["footer"]["contents"][0]["action"]["data"] == "lunch:Ramen"

        await line.say(group, "Alice", "/week")
        [week] = await line.wait_for_bot_messages(group)
        check(week, "Message")
        assert [b["body"]["contents"][0]["text"] for b in week["contents"]["contents"]] == [
            "Mon",
            "Tue",
            "Wed",
        ]

        await line.say(group, "Alice", "/where")
        [ask] = await line.wait_for_bot_messages(group)
        check(ask, "Message")
        assert [i["action"]["type"] for i in ask["quickReply"]["items"]] == ["location", "camera"]

        await line.tap_postback(group, "Alice", "lunch:Ramen")
        [going] = await line.wait_for_bot_messages(group)
        check(going, "Message")
        assert going["text"] == "{wave} {who} is in!"
        assert going["substitution"]["wave"] == {
            "type": "emoji",
            "productId": "5ac1bfd5040ab15980c9b435",
            "emojiId": "002",
        }
        assert going["substitution"]["who"]["mentionee"]["type"] == "user"


async def test_going_live_snippet_issues_its_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    async with Emulator() as line:
        monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN", raising=False)
        monkeypatch.setenv("LINE_CHANNEL_ID", channel_of(line).channel_id)
        monkeypatch.setenv("LINE_CHANNEL_SECRET", line.settings.channel_secret)
        monkeypatch.setenv("LINE_API_BASE_URL", line.url)
        bot: Bot = _snippet("going_live.py").bot
        async with running_bot(bot) as url:
            line.set_webhook_url(url)
            group = await line.create_group("Team", ["Alice"])
            await line.say(group, "Alice", "/whoami")
            [answer] = await line.wait_for_bot_messages(group)
    assert answer == {"type": "text", "text": "I am Bot (@123abcde)"}
    assert channel_of(line).issued == 1
