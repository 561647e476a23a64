"""Admin: /members, /roster, /who, /ids and /bye for groups and rooms.

Run it against the local emulator:  linegroupbot dev examples/admin.py:bot
(add --verified to allow /ids, which LINE keeps for verified and premium accounts).
/roster lists who the bot knows is here: the framework keeps each chat's roster from
joins, leaves and messages, in the bot's store.
"""

from linegroupbot import Bot, Context, ForbiddenError, NoUserIdError

bot = Bot()
GROUPS_AND_ROOMS = ("group", "room")


@bot.on_message(command="members", scope=GROUPS_AND_ROOMS)
async def members(ctx: Context) -> None:
    count = await ctx.member_count()
    await ctx.reply(f"This chat has {count} member{'s' if count != 1 else ''} (besides me).")


@bot.on_message(command="roster", scope=GROUPS_AND_ROOMS)
async def roster(ctx: Context) -> None:
    refreshed = await ctx.roster.refresh()  # the whole list, where LINE allows it
    await ctx.roster.fill_names(limit=20)
    known = await ctx.roster.members()
    count = await ctx.roster.headcount()
    lines = [m.display_name or "(unnamed)" for m in known]
    if count.anonymous:
        lines.append(f"+ {count.anonymous} I can't name (they haven't agreed to my terms)")
    if not refreshed.complete:
        lines.append("(from what I've seen here: LINE lists members for verified accounts only)")
    await ctx.reply(f"{count.total} member(s):\n" + "\n".join(lines))


@bot.on_message(command="who")
async def who(ctx: Context) -> None:
    try:
        profile = await ctx.member_profile()
    except NoUserIdError:
        await ctx.reply(
            "I can't see who you are: LINE only shares that once you agree to my terms "
            "(add me as a friend)."
        )
        return
    await ctx.reply(f"You are {profile.display_name}.")


@bot.on_message(command="ids", scope=GROUPS_AND_ROOMS)
async def ids(ctx: Context) -> None:
    try:
        found = [user_id async for user_id in ctx.member_ids()]
    except ForbiddenError:
        await ctx.reply(
            "LINE only lets verified or premium accounts list member IDs, and I'm not one."
        )
        return
    await ctx.reply(f"{len(found)} member IDs:\n" + "\n".join(found[:20]))


@bot.on_message(command="bye", scope=GROUPS_AND_ROOMS)
async def bye(ctx: Context) -> None:
    await ctx.reply("Bye, everyone!")
    await ctx.leave()


@bot.on_message(command=("members", "roster", "ids", "bye"), scope="user")
async def only_in_groups(ctx: Context) -> None:
    await ctx.reply("That command works in groups and rooms, not in our one-on-one chat.")
