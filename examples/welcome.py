"""Welcome: greets groups and rooms on join, welcomes new members by name, says goodbye.

Run it against the local emulator:  linegroupbot dev examples/welcome.py:bot
"""

from linegroupbot import Bot, Context, MemberJoinedContext, mention

bot = Bot()


@bot.on_join(scope="group")
async def hello_group(ctx: Context) -> None:
    summary = await ctx.group_summary()
    await ctx.reply(f"Hello, {summary.group_name}! I'll welcome everyone who joins.")


@bot.on_join(scope="room")
async def hello_room(ctx: Context) -> None:
    # Rooms have no name (and no summary endpoint), so greet them plainly.
    await ctx.reply("Hello, everyone in this chat! I'll welcome everyone who joins.")


@bot.on_member_joined
async def welcome(ctx: MemberJoinedContext) -> None:
    names: dict[str, str] = {}
    anonymous = 0
    for member in ctx.event.joined.members:
        if member.user_id is None:
            anonymous += 1  # not agreed to the terms: LINE does not tell us who they are
        else:
            names[f"m{len(names)}"] = member.user_id
    if names:
        tags = ", ".join("{" + key + "}" for key in names)
        await ctx.reply(mention(f"Welcome, {tags}! Glad to have you here.", **names))
    if anonymous:
        await ctx.reply(
            "Welcome to our new member! (I can't see your name until you add me as a friend.)",
            fallback_to_push=True,
        )


@bot.on_member_left
async def goodbye(ctx: Context) -> None:
    # memberLeft carries no reply token: push instead.
    await ctx.push_to_chat("Someone left us. Goodbye, and thanks for chatting!")
