"""Conversation state on every store: values, atomic updates, steps, clearing; in a bot."""

from __future__ import annotations

import asyncio

import attrs
import pytest

from linegroupbot import Bot, Context, NoUserIdError
from linegroupbot.state import State
from linegroupbot.stores import MemoryStore, Store
from linegroupbot.testing import connect
from tests import payloads
from tests.helpers import Opener


@attrs.define
class Poll:
    question: str
    votes: dict[str, str] = attrs.Factory(dict)


async def test_typed_values_round_trip_and_default(opener: Opener) -> None:
    state = State(await opener(), "C1")
    assert await state["poll"].get(Poll) is None
    assert await state["poll"].get(Poll, default=Poll("none")) == Poll("none")
    await state["poll"].set(Poll("Lunch?", {"U1": "A"}))
    assert await state["poll"].get(Poll) == Poll("Lunch?", {"U1": "A"})
    assert await state["poll"].get() == {"question": "Lunch?", "votes": {"U1": "A"}}
    await state.set([1, 2, 3])
    assert await state.get() == [1, 2, 3]
    await state["poll"].delete()
    assert await state["poll"].get(Poll) is None
    assert await state.get() == [1, 2, 3]


async def test_concurrent_updates_from_two_workers_lose_nothing(opener: Opener) -> None:
    one, two = await opener(), await opener()

    async def vote(store: Store, voter: int) -> None:
        def add(poll: Poll) -> Poll:
            return Poll(poll.question, {**poll.votes, f"U{voter}": "A"})

        await State(store, "C1")["poll"].update(add, type=Poll, default=Poll("Lunch?"))

    await asyncio.gather(*(vote(one if n % 2 else two, n) for n in range(40)))
    poll = await State(one, "C1")["poll"].get(Poll)
    assert poll is not None
    assert len(poll.votes) == 40


async def test_update_can_be_async_and_sets_a_ttl(opener: Opener) -> None:
    state = State(await opener(), "C1", "U1")

    async def bump(count: int) -> int:
        await asyncio.sleep(0)
        return count + 1

    assert await state["n"].update(bump, default=0, ttl=0.2) == 1
    assert await state["n"].update(bump, default=0, ttl=0.2) == 2
    await asyncio.sleep(0.4)
    assert await state["n"].get() is None


async def test_steps_time_out_and_clear(opener: Opener) -> None:
    state = State(await opener(), "C1", "U1")
    assert await state.step() is None
    await state.set_step("awaiting_name")
    assert await state.step() == "awaiting_name"
    await state.clear_step()
    assert await state.step() is None
    await state.set_step("awaiting_answer", timeout=0.15)
    await asyncio.sleep(0.3)
    assert await state.step() is None


async def test_member_and_chat_state_are_apart(opener: Opener) -> None:
    store = await opener()
    await State(store, "C1").set("chat")
    await State(store, "C1", "U1").set("alice")
    await State(store, "C2", "U1").set("alice elsewhere")
    assert await State(store, "C1").get() == "chat"
    assert await State(store, "C1", "U1").get() == "alice"
    await State(store, "C1", "U1").clear()
    assert await State(store, "C1", "U1").get() is None
    assert await State(store, "C1").get() == "chat"
    assert await State(store, "C2", "U1").get() == "alice elsewhere"


async def test_a_two_step_conversation_in_a_group() -> None:
    bot = Bot()

    @bot.on_message(command="signup")
    async def start(ctx: Context) -> None:
        await ctx.member_state.set_step("name", timeout=60)
        await ctx.reply("Your name?")

    @bot.on_message(step="name")
    async def name(ctx: Context) -> None:
        await ctx.member_state["signup"].set({"name": ctx.text})
        await ctx.member_state.set_step("team", timeout=60)
        await ctx.reply("Your team?")

    @bot.on_message(step="team")
    async def team(ctx: Context) -> None:
        signup = await ctx.member_state["signup"].get()
        await ctx.member_state.clear_step()
        await ctx.reply(f"{signup['name']} joins {ctx.text}")

    @bot.on_message
    async def other(ctx: Context) -> None:
        await ctx.reply("(not in a conversation)")

    async with connect(bot) as line:
        group = await line.create_group("Club", ["Alice", "Bob"])
        await line.say(group, "Alice", "/signup")
        assert (await line.wait_for_bot_messages(group))[0]["text"] == "Your name?"
        await line.say(group, "Bob", "Bob talks")  # Bob is not in Alice's conversation
        assert (await line.wait_for_bot_messages(group))[0]["text"] == "(not in a conversation)"
        await line.say(group, "Alice", "Alice")
        assert (await line.wait_for_bot_messages(group))[0]["text"] == "Your team?"
        await line.say(group, "Alice", "Red")
        assert (await line.wait_for_bot_messages(group))[0]["text"] == "Alice joins Red"
        await line.say(group, "Alice", "hello")
        assert (await line.wait_for_bot_messages(group))[0]["text"] == "(not in a conversation)"


async def test_state_is_forgotten_when_the_bot_or_a_member_leaves() -> None:
    bot = Bot()
    store = MemoryStore()
    bot.store = store

    @bot.on_message(command="remember")
    async def remember(ctx: Context) -> None:
        await ctx.chat_state.set("group memory")
        await ctx.member_state.set("member memory")
        await ctx.reply("ok")

    async with connect(bot) as line:
        group = await line.create_group("G", ["Alice", "Bob"])
        alice = line.world.user("Alice").user_id
        await line.say(group, "Alice", "/remember")
        await line.wait_for_bot_messages(group)
        assert await State(store, group.chat_id, alice).get() == "member memory"
        await line.remove_member(group, "Alice")
        assert bot.runtime is not None
        await bot.runtime.wait_idle()
        assert await State(store, group.chat_id, alice).get() is None
        assert await State(store, group.chat_id).get() == "group memory"
        await line.remove_bot(group)
        await bot.runtime.wait_idle()
        assert await State(store, group.chat_id).get() is None


async def test_member_state_needs_a_user_id_and_state_needs_a_store() -> None:
    bot = Bot()
    errors: list[BaseException] = []

    @bot.on_message
    async def handler(ctx: Context) -> None:
        try:
            await ctx.member_state.get()
        except NoUserIdError as error:
            errors.append(error)
        await ctx.reply("done")

    async with connect(bot) as line:
        group = await line.create_group("G", ["Alice"])
        line.set_consent("Alice", False)
        await line.say(group, "Alice", "hi")
        await line.wait_for_bot_messages(group)
    assert "use ctx.chat_state" in str(errors[0])
    from linegroupbot import StoreError
    from linegroupbot.context import Context as Ctx
    from linegroupbot.convert import structure_event

    event = structure_event(payloads.event("follow"))
    with pytest.raises(StoreError, match="has none"):
        Ctx(event, bot.client).chat_state  # noqa: B018


async def test_an_update_that_returns_none_deletes_and_one_that_raises_writes_nothing(
    opener: Opener,
) -> None:
    state = State(await opener(), "C1")
    await state["n"].set(5)
    assert await state["n"].update(lambda n: None) is None
    assert await state["n"].get() is None
    await state["n"].set(7)

    def refuse(n: int) -> int:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        await state["n"].update(refuse)
    assert await state["n"].get() == 7


async def test_state_can_outlive_a_leave_when_the_author_says_so() -> None:
    store = MemoryStore()
    bot = Bot(store=store, clear_state_on_leave=False)

    @bot.on_message(command="remember")
    async def remember(ctx: Context) -> None:
        await ctx.chat_state.set("kept")
        await ctx.member_state.set("kept too")
        await ctx.reply("ok")

    async with connect(bot) as line:
        group = await line.create_group("G", ["Alice", "Bob"])
        alice = line.world.user("Alice").user_id
        await line.say(group, "Alice", "/remember")
        await line.wait_for_bot_messages(group)
        await line.remove_member(group, "Alice")
        await line.remove_bot(group)
        assert bot.runtime is not None
        await bot.runtime.wait_idle()
        assert await State(store, group.chat_id).get() == "kept"
        assert await State(store, group.chat_id, alice).get() == "kept too"
        assert await State(store, group.chat_id)["__roster__"].get() is None  # rosters go
