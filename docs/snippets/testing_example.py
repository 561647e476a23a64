"""How a bot's test reads: the ``line`` fixture is the emulator wired to your ``bot``."""

from __future__ import annotations

import pytest

from linegroupbot import Bot, Context
from linegroupbot.emulator import Emulator


@pytest.fixture
def bot() -> Bot:
    bot = Bot()

    @bot.on_message(command="ping")
    async def ping(ctx: Context) -> None:
        await ctx.reply("pong")

    return bot


async def test_ping(line: Emulator) -> None:
    group = await line.create_group("Team", ["Alice", "Bob"])
    await line.say(group, "Alice", "/ping")
    [answer] = await line.wait_for_bot_messages(group)
    assert answer == {"type": "text", "text": "pong"}


@pytest.mark.line(verified=True, reply_token_ttl=30)  # emulator settings for this test
async def test_member_ids_on_a_verified_account(line: Emulator, bot: Bot) -> None:
    assert line.settings.verified
    group = await line.create_group("Team", ["Alice", "Bob"])
    assert len([uid async for uid in bot.client.group_member_ids(group.chat_id)]) == 2
