"""A plugin with a typed context extension, as the plugin guide shows it."""

from __future__ import annotations

from collections import defaultdict

from linegroupbot.ext import Bot, ExtKey, PostbackContext


class PollStore:
    """Votes of one chat."""

    def __init__(self) -> None:
        self.votes: dict[str, str] = {}


class _Polls:
    def __init__(self) -> None:
        self.by_chat: defaultdict[str, PollStore] = defaultdict(PollStore)

    def for_chat(self, chat_id: str | None) -> PollStore:
        return self.by_chat[chat_id or ""]


POLLS: ExtKey[PollStore] = ExtKey("polls")


def setup(bot: Bot) -> None:
    polls = _Polls()
    bot.add_context_extension(POLLS, lambda ctx: polls.for_chat(ctx.chat_id))


bot = Bot(plugins=[__import__(__name__)])


@bot.on_postback(data_prefix="vote:")
async def vote(ctx: PostbackContext) -> None:
    store = ctx.ext[POLLS]  # mypy knows this is a PollStore
    store.votes[ctx.user_id or "anonymous"] = ctx.postback.data.removeprefix("vote:")
    await ctx.reply(f"{len(store.votes)} vote(s) so far.")
