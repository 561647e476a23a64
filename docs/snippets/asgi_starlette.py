"""The bot's webhook in a Starlette application (FastAPI: the same WebhookApp, see below)."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from linegroupbot import Bot, Context
from linegroupbot.asgi import WebhookApp

bot = Bot()


@bot.on_message(message_type="text")
async def echo(ctx: Context) -> None:
    await ctx.reply(ctx.text or "")


async def index(request: Request) -> PlainTextResponse:
    return PlainTextResponse("the rest of your site")


def make_app(store: str = "sqlite:///linegroupbot.db") -> Starlette:
    webhook = WebhookApp(bot, store=store)
    return Starlette(
        # LINE's webhook URL: https://<your host>/callback
        routes=[Route("/", index), Route("/callback", webhook, methods=["POST"])],
        lifespan=webhook.lifespan,  # the bot starts with the app and drains when it stops
    )


# Serve it with any ASGI server:  uvicorn --factory app:make_app --host 0.0.0.0 --port 8000
