"""Rich messages in a group: a flex lunch poll, a carousel from simulator JSON, quick replies,
quoting, and mentions next to emojis."""

from __future__ import annotations

from linegroupbot import Bot, Context, flex, messages
from linegroupbot.actions import (
    CameraAction,
    LocationAction,
    MessageAction,
    PostbackAction,
    UriAction,
)

bot = Bot()


def lunch_card(place: str, votes: int) -> flex.Bubble:
    """One bubble: a picture, the place, the votes so far and two buttons."""
    return flex.Bubble(
        hero=flex.Image(
            "https://cdn.example.com/lunch.png",
            size="full",
            aspect_ratio="20:13",
            aspect_mode="cover",
            action=UriAction(uri="https://example.com/menu"),
        ),
        body=flex.Box.vertical(
            flex.Text(place, weight="bold", size="xl"),
            flex.Box.baseline(
                flex.Icon("https://cdn.example.com/star.png", size="sm"),
                flex.Text(f"{votes} going", size="sm", color="#999999", margin="md"),
            ),
            spacing="sm",
        ),
        footer=flex.Box.horizontal(
            flex.Button(PostbackAction("I'm in", data=f"lunch:{place}"), style="primary"),
            flex.Button(MessageAction("Not today", text="not today"), style="link"),
            spacing="sm",
        ),
    )


@bot.on_message(command="lunch")
async def lunch(ctx: Context) -> None:
    place = ctx.command.args if ctx.command and ctx.command.args else "Noodle bar"
    card = messages.FlexMessage(alt_text=f"Lunch at {place}?", contents=lunch_card(place, 0))
    # LINE quotes from text and sticker messages: the text quotes the /lunch message.
    await ctx.reply("Who's in?", card, quote=True)


# JSON exported from LINE's Flex Message Simulator, read back as typed objects (and checked).
SIMULATOR_JSON = {
    "type": "carousel",
    "contents": [
        {
            "type": "bubble",
            "size": "micro",
            "body": {
                "type": "box",
                "layout": "vertical",
                "contents": [{"type": "text", "text": day, "weight": "bold"}],
            },
        }
        for day in ("Mon", "Tue", "Wed")
    ],
}
WEEK = flex.from_json(SIMULATOR_JSON)


@bot.on_message(command="week")
async def week(ctx: Context) -> None:
    await ctx.reply(messages.FlexMessage(alt_text="This week", contents=WEEK))


@bot.on_message(command="where")
async def where(ctx: Context) -> None:
    ask = messages.TextMessage(
        text="Where are you? Send your location or a photo.",
        quick_reply=messages.QuickReply.of(LocationAction("Location"), CameraAction("Photo")),
    )
    await ctx.reply(ask)


@bot.on_postback(data_prefix="lunch:")
async def going(ctx: Context) -> None:
    user_id = ctx.user_id
    if user_id is None:  # the member has not agreed to the terms: no mention possible
        await ctx.reply("Someone is in!")
        return
    wave = messages.emoji("5ac1bfd5040ab15980c9b435", "002")
    await ctx.reply(messages.mention("{wave} {who} is in!", wave=wave, who=user_id))
