"""The bot's webhook in a FastAPI application, beside the application's own endpoints."""

from fastapi import FastAPI
from starlette.routing import Route

from linegroupbot import Bot, Context
from linegroupbot.asgi import WebhookApp

bot = Bot()


@bot.on_message(message_type="text")
async def echo(ctx: Context) -> None:
    await ctx.reply(ctx.text or "")


def make_app(store: str = "sqlite:///linegroupbot.db") -> FastAPI:
    webhook = WebhookApp(bot, store=store)
    app = FastAPI(lifespan=webhook.lifespan)  # the bot starts with the app and drains at exit
    # LINE's webhook URL: https://<your host>/callback. WebhookApp is an ASGI application,
    # not an endpoint function, so it goes in a plain Starlette Route.
    app.routes.append(Route("/callback", webhook, methods=["POST"]))

    @app.get("/")
    async def index() -> dict[str, str]:
        return {"page": "the rest of your site"}

    return app


# Serve it with any ASGI server:  uvicorn --factory app:make_app --host 0.0.0.0 --port 8000
