"""The bot the tutorial builds, step by step: a small group helper."""

from __future__ import annotations

from linegroupbot import (
    Bot,
    Context,
    MemberJoinedContext,
    MessageContext,
    NoUserIdError,
    PostbackContext,
    Router,
    buttons,
    where,
)
from linegroupbot.middleware import CallNext

bot = Bot()


# Step 1: say hello when invited.
@bot.on_join(scope="group")
async def hello(ctx: Context) -> None:
    summary = await ctx.group_summary()
    await ctx.reply(f"Hi {summary.group_name}! Type /help to see what I can do.")


# Step 2: commands, with arguments.
@bot.on_message(command="help")
async def help_(ctx: Context) -> None:
    await ctx.reply("/who, /roll N, /lunch, and I welcome newcomers.")


@bot.on_message(command="roll")
async def roll(ctx: MessageContext, args: str) -> None:
    sides = int(args) if args.isdigit() else 6
    await ctx.reply(f"You rolled {sides}: always the max in tests.")


# Step 3: members who have not agreed to the terms have no userId.
@bot.on_message(command="who")
async def who(ctx: Context) -> None:
    try:
        profile = await ctx.member_profile()
    except NoUserIdError:
        await ctx.reply("I can't see your name until you add me as a friend.")
        return
    await ctx.reply(f"You are {profile.display_name}.")


# Step 4: welcome newcomers (memberJoined has a reply token; memberLeft does not).
@bot.on_member_joined
async def welcome(ctx: MemberJoinedContext) -> None:
    await ctx.reply(f"Welcome! We are now {await ctx.member_count()}.")


# Step 5: buttons and postbacks, in a router of their own.
lunch = Router(name="lunch", filters=where.scope("group"))


@lunch.on_message(command="lunch")
async def ask_lunch(ctx: Context) -> None:
    await ctx.reply(buttons("Lunch?", ["Ramen", "Salad"], data_prefix="lunch:"))


@lunch.on_postback(data_prefix="lunch:")
async def lunch_vote(ctx: PostbackContext) -> None:
    choice = ctx.postback.data.removeprefix("lunch:")
    await ctx.reply(f"Noted: {choice}.")


bot.include(lunch)


# Step 6: a middleware that ignores events in standby mode.
@bot.add_middleware
async def skip_standby(ctx: Context, call_next: CallNext) -> bool:
    if ctx.event.mode == "standby":
        return True  # handled: another channel owns this chat
    return await call_next(ctx)
