"""Poll: /poll Question? A, B, C starts a poll with buttons; /results pushes the tally.

Run it against the local emulator:  linegroupbot dev examples/poll.py:bot
State is kept per group in memory: one open poll per chat.
"""

from __future__ import annotations

from collections import Counter

import attrs

from linegroupbot import Bot, Context, buttons

bot = Bot()


@attrs.define
class Poll:
    """One chat's open poll: the question, the choices and who voted for what."""

    question: str
    choices: list[str]
    votes: dict[str, str] = attrs.Factory(dict)
    anonymous: Counter[str] = attrs.Factory(Counter)

    def tally(self) -> Counter[str]:
        counts = Counter(self.votes.values()) + self.anonymous
        return Counter({choice: counts[choice] for choice in self.choices})


polls: dict[str, Poll] = {}


@bot.on_message(command="poll", scope=("group", "room"))
async def start_poll(ctx: Context) -> None:
    assert ctx.command is not None
    assert ctx.chat_id is not None
    question, _, rest = ctx.command.args.partition("?")
    choices = [c.strip() for c in rest.split(",") if c.strip()]
    if not question or not 2 <= len(choices) <= 4:
        await ctx.reply("Usage: /poll Question? choice one, choice two (2 to 4 choices)")
        return
    polls[ctx.chat_id] = Poll(question.strip() + "?", choices)
    await ctx.reply(buttons(question.strip() + "?", choices, data_prefix="vote:"))


@bot.on_postback(data_prefix="vote:")
async def vote(ctx: Context) -> None:
    assert ctx.postback is not None
    assert ctx.chat_id is not None
    poll = polls.get(ctx.chat_id)
    choice = ctx.postback.data.removeprefix("vote:")
    if poll is None or choice not in poll.choices:
        return
    if ctx.user_id is None:
        poll.anonymous[choice] += 1  # cannot tell anonymous voters apart
    else:
        poll.votes[ctx.user_id] = choice  # a member can change their vote
    ctx.log.info("vote", choice=choice)


@bot.on_message(command=("results", "close"), scope=("group", "room"))
async def results(ctx: Context) -> None:
    assert ctx.command is not None
    assert ctx.chat_id is not None
    poll = polls.get(ctx.chat_id)
    if poll is None:
        await ctx.reply("There is no open poll here. Start one with /poll")
        return
    lines = [f"{choice}: {count}" for choice, count in poll.tally().items()]
    await ctx.push_to_chat(f"{poll.question}\n" + "\n".join(lines))
    if ctx.command.name == "close":
        del polls[ctx.chat_id]
