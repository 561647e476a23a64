"""Signup: /signup asks a member their name, then their team, one question at a time.

Run it against the local emulator:  linegroupbot dev examples/signup.py:bot
Each member has their own conversation (``ctx.member_state`` and its step), so several
can sign up in one group at once and what others say is not taken as an answer. An
unanswered question is dropped after five minutes; /cancel leaves at once; /signups
lists who signed up in this group. It all lives in the bot's store.
"""

from __future__ import annotations

import attrs

from linegroupbot import Bot, Context, MessageContext, mention
from linegroupbot.messages import Sendable

bot = Bot()
TIMEOUT = 300.0
"""Seconds a member has to answer each question before the conversation is dropped."""


@attrs.frozen
class Signup:
    """A member's answers: the draft while they answer, then their entry in the group."""

    name: str = ""
    team: str = ""


def to_sender(ctx: Context, text: str) -> Sendable:
    """``text`` addressed to the sender with a mention (our own words only: in a mention
    message, braces are placeholders, so members' answers are sent as plain text)."""
    return mention("{you}: " + text, you=ctx.user_id) if ctx.user_id else text


def answer(ctx: Context) -> str | None:
    """The member's answer: one line of text, not too long."""
    text = (ctx.text or "").strip()
    return text if text and "\n" not in text and len(text) <= 40 else None


@bot.on_message(command="signup", scope=("group", "room"))
async def start(ctx: Context) -> None:
    if ctx.user_id is None:  # not agreed to the terms: LINE does not say who they are
        await ctx.reply("I can't tell who you are: add me as a friend first, then /signup again.")
        return
    await ctx.member_state["signup"].set(Signup(), ttl=TIMEOUT)
    await ctx.member_state.set_step("name", timeout=TIMEOUT)
    await ctx.reply(to_sender(ctx, "what's your name? (/cancel to stop)"))


@bot.on_message(command="cancel", scope=("group", "room"))
async def cancel(ctx: Context) -> None:
    if ctx.user_id is None or await ctx.member_state.step() is None:
        await ctx.reply("You're not signing up: nothing to cancel.")
        return
    await ctx.member_state.clear_step()
    await ctx.member_state["signup"].delete()
    await ctx.reply(to_sender(ctx, "signup cancelled."))


@bot.on_message(command="signups", scope=("group", "room"))
async def signups(ctx: Context) -> None:
    roster = await ctx.chat_state["signups"].get(dict[str, Signup], default={})
    if not roster:
        await ctx.reply("Nobody signed up yet: /signup")
        return
    lines = [f"{s.name} ({s.team})" for s in sorted(roster.values(), key=lambda s: s.name)]
    await ctx.reply(f"{len(roster)} signed up:\n" + "\n".join(lines))


@bot.on_message(step="name")
async def name(ctx: Context) -> None:
    given = answer(ctx)
    if given is None:
        await ctx.reply(to_sender(ctx, "please type your name (one line, up to 40 characters)."))
        return
    await ctx.member_state["signup"].set(Signup(name=given), ttl=TIMEOUT)
    await ctx.member_state.set_step("team", timeout=TIMEOUT)
    await ctx.reply(f"Thanks, {given}. Which team are you in?")  # their words: no mention


@bot.on_message(step="team")
async def team(ctx: MessageContext, user_id: str) -> None:  # member steps need a sender
    given = answer(ctx)
    if given is None:
        await ctx.reply(to_sender(ctx, "please type your team (one line, up to 40 characters)."))
        return
    draft = await ctx.member_state["signup"].get(Signup)
    if draft is not None:
        entry = attrs.evolve(draft, team=given)
        # Into the group's roster first, then leave the conversation: a re-run after a
        # crash in between finds the step and the draft again and writes the same entry.
        await ctx.chat_state["signups"].update(
            lambda roster: {**roster, user_id: entry}, type=dict[str, Signup], default={}
        )
    await ctx.member_state.clear_step()
    await ctx.member_state["signup"].delete()
    if draft is None:  # the draft ran out just before the step did
        await ctx.reply(to_sender(ctx, "that took too long: please /signup again."))
        return
    await ctx.reply(f"Signed up: {draft.name}, team {given}. See everyone with /signups")
