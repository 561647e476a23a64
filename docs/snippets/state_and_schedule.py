"""State and scheduled pushes, as the state guide shows them: a poll, reminders, a signup."""

from __future__ import annotations

from datetime import timedelta

import attrs

from linegroupbot import Bot, Context, MessageContext, PostbackContext, buttons

bot = Bot()  # state and pushes live in the bot's store: `linegroupbot run` keeps it in SQLite


# --- a poll in the chat's state ----------------------------------------------------------------

POLL_TTL = 24 * 3600.0  # a poll is forgotten a day after its last vote


@attrs.define
class Poll:
    question: str
    options: list[str]
    votes: dict[str, str] = attrs.Factory(dict)  # user ID -> option

    def tally(self) -> str:
        counts = (f"{o} {list(self.votes.values()).count(o)}" for o in self.options)
        return f"{self.question} {', '.join(counts)} ({len(self.votes)} voted)"


@bot.on_message(command="poll")
async def open_poll(ctx: MessageContext, args: str) -> None:
    question, *options = (part.strip() for part in args.split("|"))
    if not 2 <= len(options) <= 4:
        await ctx.reply("Usage: /poll Question? | option | option (two to four options)")
        return
    await ctx.chat_state["poll"].set(Poll(question, options), ttl=POLL_TTL)
    await ctx.reply(buttons(question, options, data_prefix="vote:"))


@bot.on_message(command="results")
async def results(ctx: Context) -> None:
    poll = await ctx.chat_state["poll"].get(Poll)
    await ctx.reply(poll.tally() if poll is not None else "No poll is open.")


class PollClosed(Exception):
    """Raised by the update function (no poll, or no such option): update() writes nothing."""


@bot.on_postback(data_prefix="vote:")
async def vote(ctx: PostbackContext) -> None:
    choice, voter = ctx.postback.data.removeprefix("vote:"), ctx.user_id
    if voter is None:
        await ctx.reply("Add me as a friend to vote: I can't tell anonymous votes apart.")
        return

    def add_vote(poll: Poll | None) -> Poll:
        # Pure: update() calls it again when another vote was written in between.
        if poll is None or choice not in poll.options:
            raise PollClosed
        return attrs.evolve(poll, votes={**poll.votes, voter: choice})

    try:
        poll: Poll = await ctx.chat_state["poll"].update(add_vote, type=Poll, ttl=POLL_TTL)
    except PollClosed:
        await ctx.reply("That poll is closed.")
        return
    await ctx.reply(poll.tally())


# --- reminders: scheduled pushes -----------------------------------------------------------------


@bot.on_message(command="remind")
async def remind(ctx: MessageContext, args: str) -> None:
    minutes, _, text = args.partition(" ")
    try:
        delay = timedelta(minutes=float(minutes))
    except (ValueError, OverflowError):
        await ctx.reply("Usage: /remind MINUTES TEXT")
        return
    await ctx.reply(f"OK, in {minutes} min.")
    # Last in the handler: should the handler run again, it would schedule a second push.
    await ctx.push_later(delay, text or "Reminder!", max_lateness=600)


@bot.on_message(command="reminders")
async def reminders(ctx: Context) -> None:
    lines = [
        f"{n}. {push.due_at:%H:%M} UTC {push.messages[0]['text']}"
        for n, push in enumerate(await ctx.scheduled(), start=1)
    ]
    await ctx.reply("\n".join(lines) or "No reminders.")


@bot.on_message(command="cancel")
async def cancel(ctx: MessageContext, args: str) -> None:
    pending = await ctx.scheduled()
    number = int(args) if args.isdigit() else 0
    done = 0 < number <= len(pending) and await ctx.cancel_scheduled(pending[number - 1].id)
    await ctx.reply("Cancelled." if done else "No such reminder: see /reminders.")


@bot.on_leave
async def farewell_log(ctx: Context) -> None:
    # The chat's state and its scheduled pushes go by themselves after this handler.
    ctx.log.info("left_chat", reminders_dropped=len(await ctx.scheduled()))


# --- a two-step signup with member steps: last, because the first matching handler wins ---------

STEP_TIMEOUT = 300.0  # seconds a member has to answer before the question goes stale


@bot.on_message(command="signup")
async def signup(ctx: Context) -> None:
    await ctx.member_state.set_step("name", timeout=STEP_TIMEOUT)
    await ctx.reply("Your name? (/stop to give up)")


@bot.on_message(command="stop", step="*")
async def stop(ctx: Context) -> None:
    await ctx.member_state.clear_step()
    await ctx.reply("Stopped.")


@bot.on_message(step="name", message_type="text")
async def signup_name(ctx: Context) -> None:
    await ctx.member_state["signup"].set({"name": ctx.text}, ttl=STEP_TIMEOUT)
    await ctx.member_state.set_step("team", timeout=STEP_TIMEOUT)
    await ctx.reply("Your team?")


@bot.on_message(step="team", message_type="text")
async def signup_team(ctx: Context) -> None:
    answers = await ctx.member_state["signup"].get(default={})
    await ctx.member_state["signup"].delete()
    await ctx.member_state.clear_step()
    await ctx.reply(f"Welcome to team {ctx.text}, {answers.get('name', 'stranger')}!")
