"""The bot's webhook inside an aiohttp application you already run."""

from aiohttp import web

from linegroupbot import Bot, Context

bot = Bot(store="sqlite:///linegroupbot.db")  # accepted events survive a restart


@bot.on_message(message_type="text")
async def echo(ctx: Context) -> None:
    await ctx.reply(ctx.text or "")


async def index(request: web.Request) -> web.Response:
    return web.Response(text="the rest of your site")


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/", index)
    # LINE's webhook URL: https://<your host>/line/callback (and /line/healthz for checks).
    # The sub-app starts the bot with your app and drains it when your app stops.
    app.add_subapp("/line", bot.create_app())
    return app


if __name__ == "__main__":
    web.run_app(make_app(), host="127.0.0.1", port=8000)
