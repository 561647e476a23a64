"""Poll: /poll Question? A, B, C starts a poll with buttons; /results pushes the tally.

Run it against the local emulator:  linegroupbot dev examples/poll.py:bot
One open poll per chat, kept in the chat's state (``ctx.chat_state``) in the bot's store:
with a durable store (SQLite, the default of ``linegroupbot run``, or Redis) a poll and
its votes survive restarts. Votes are recorded with atomic updates, so workers handling
votes at the same time lose none.
"""

from __future__ import annotations

from collections import Counter

import attrs

from linegroupbot import Bot, CommandMatch, MessageContext, PostbackContext, buttons

bot = Bot()


@attrs.frozen
class Poll:
    """One chat's open poll: the question, the choices and who voted for what."""

    question: str
    choices: list[str]
    votes: dict[str, str] = attrs.Factory(dict)
    """Member's userId -> their choice (a member can change their vote)."""
    anonymous: dict[str, str] = attrs.Factory(dict)
    """Votes of members LINE does not name, by webhook event ID (so a re-run counts once)."""

    def tally(self) -> Counter[str]:
        counts = Counter(self.votes.values()) + Counter(self.anonymous.values())
        return Counter({choice: counts[choice] for choice in self.choices})


class NotAVote(Exception):
    """No open poll, or not one of its choices: nothing to record."""


def with_vote(poll: Poll | None, choice: str, voter: str | None, event_id: str) -> Poll:
    """The poll with one more vote (pure: the store may run it again on a fresher poll)."""
    if poll is None or choice not in poll.choices:
        raise NotAVote
    if voter is None:  # cannot tell anonymous voters apart: count each tap once
        return attrs.evolve(poll, anonymous={**poll.anonymous, event_id: choice})
    return attrs.evolve(poll, votes={**poll.votes, voter: choice})


@bot.on_message(command="poll", scope=("group", "room"))
async def start_poll(ctx: MessageContext, args: str) -> None:
    question, _, rest = args.partition("?")
    choices = [c.strip() for c in rest.split(",") if c.strip()]
    if not question or not 2 <= len(choices) <= 4:
        await ctx.reply("Usage: /poll Question? choice one, choice two (2 to 4 choices)")
        return
    poll = Poll(question.strip() + "?", choices)
    await ctx.chat_state["poll"].set(poll)  # a new poll replaces the open one
    await ctx.reply(buttons(poll.question, choices, data_prefix="vote:"))


@bot.on_postback(data_prefix="vote:")
async def vote(ctx: PostbackContext) -> None:
    choice = ctx.postback.data.removeprefix("vote:")
    voter, event_id = ctx.user_id, ctx.event.webhook_event_id
    try:
        await ctx.chat_state["poll"].update(
            lambda poll: with_vote(poll, choice, voter, event_id), type=Poll
        )
    except NotAVote:
        return  # a stale button (the poll was closed) or made-up data
    ctx.log.info("vote", choice=choice)


@bot.on_message(command=("results", "close"), scope=("group", "room"))
async def results(ctx: MessageContext, command: CommandMatch) -> None:
    poll = await ctx.chat_state["poll"].get(Poll)
    if poll is None:
        await ctx.reply("There is no open poll here. Start one with /poll")
        return
    lines = [f"{choice}: {count}" for choice, count in poll.tally().items()]
    await ctx.push_to_chat(f"{poll.question}\n" + "\n".join(lines))
    if command.name == "close":
        await ctx.chat_state["poll"].delete()
