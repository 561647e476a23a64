from linegroupbot import Bot, Context

bot = Bot()  # secret and token from LINE_CHANNEL_SECRET / LINE_CHANNEL_ACCESS_TOKEN


@bot.on_join(scope="group")
async def greet(ctx: Context) -> None:
    await ctx.reply("Hi all!")


@bot.on_message(command="who")  # matches "/who" and "!who"
async def who(ctx: Context) -> None:
    profile = await ctx.member_profile()
    await ctx.reply(profile.display_name)


@bot.on_message(command="bye", scope=("group", "room"))
async def bye(ctx: Context) -> None:
    await ctx.leave()
