"""The multi-module example: routers from handler modules, a middleware, and the plugin."""

from __future__ import annotations

from pathlib import Path

from linegroupbot.emulator import Emulator
from linegroupbot.testing import bot_fixture, cached_bot

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "multimodule" / "app.py"  # template-path

bot = bot_fixture(EXAMPLE)


async def test_handlers_from_every_module_and_the_plugin(line: Emulator) -> None:
    group = await line.create_group("Team", ["Alice", "Bob"])
    [hello] = await line.wait_for_bot_messages(group)
    assert hello["text"].startswith("Hello! Try /shout")
    for text, expected in [
        ("hello", "Hello to you too!"),
        ("/members", "2 members here."),
        ("/shout quiet please", "QUIET PLEASE!"),
        ("WHY ARE WE SHOUTING", "No need to shout :)"),
        ("/count", "I have seen 5 message(s) here."),
    ]:
        await line.say(group, "Alice", text)
        [answer] = await line.wait_for_bot_messages(group)
        assert answer["text"] == expected


async def test_admin_router_is_for_groups_and_rooms_only(line: Emulator) -> None:
    await line.follow("Alice")
    chat = line.world.direct_chat(line.world.user("Alice").user_id)
    await line.say(chat, "Alice", "/shout hi")
    [shout] = await line.wait_for_bot_messages(chat)
    assert shout["text"] == "HI!"
    assert cached_bot(f"{EXAMPLE}:bot").plugins == ["linegroupbot_shout"]
