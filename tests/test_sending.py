"""One shape for every send: ``ctx.reply``, ``ctx.push_to_chat``, ``ctx.push_later`` and the
client's sends each take messages as positional arguments, each a str, a message or a list."""

from __future__ import annotations

import pytest

from linegroupbot import Bot, Context, LineClient, MessageValidationError, messages
from linegroupbot.emulator import Emulator
from linegroupbot.testing import connect


async def test_the_client_takes_varargs_lists_or_both(
    line_emulator: Emulator, client: LineClient
) -> None:
    group = await line_emulator.create_group("G", ["Alice"])
    await client.push(group.chat_id, "one")
    await client.push(group.chat_id, "two", "three")
    await client.push(group.chat_id, ["four", messages.TextMessage(text="five")])
    await client.push(group.chat_id, "six", ["seven", "eight"])
    texts = [m["text"] for m in line_emulator.bot_messages(group, since=0)]
    assert texts == ["one", "two", "three", "four", "five", "six", "seven", "eight"]


async def test_the_client_counts_messages_after_opening_lists(client: LineClient) -> None:
    with pytest.raises(MessageValidationError, match="6 messages given"):
        await client.push("C" + "0" * 32, "a", ["b", "c"], ["d", "e", "f"])
    with pytest.raises(MessageValidationError, match="no messages given"):
        await client.push("C" + "0" * 32)
    with pytest.raises(MessageValidationError, match="cannot send dict"):
        await client.push("C" + "0" * 32, {"type": "text", "text": "raw"})  # type: ignore[arg-type]


async def test_the_context_takes_the_same_shapes() -> None:
    bot = Bot()

    @bot.on_message(text="list")
    async def as_list(ctx: Context) -> None:
        await ctx.reply(["a", "b"])

    @bot.on_message(text="mixed")
    async def mixed(ctx: Context) -> None:
        await ctx.push_to_chat("c", ["d", messages.TextMessage(text="e")])

    async with connect(bot) as line:
        group = await line.create_group("G", ["Alice"])
        await line.say(group, "Alice", "list")
        first = await line.wait_for_bot_messages(group, 2)
        await line.say(group, "Alice", "mixed")
        second = await line.wait_for_bot_messages(group, 3)
    assert [m["text"] for m in first] == ["a", "b"]
    assert [m["text"] for m in second] == ["c", "d", "e"]
