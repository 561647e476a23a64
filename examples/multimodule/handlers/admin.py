"""Admin commands, for groups and rooms only (the router's filter)."""

from linegroupbot import Context, Router, where

router = Router(name="admin", filters=where.scope(("group", "room")))


@router.on_message(command="members")
async def members(ctx: Context) -> None:
    await ctx.reply(f"{await ctx.member_count()} members here.")
