"""Testing helpers: run a bot against the local LINE platform emulator on loopback.

Example::

    async with connect(bot) as line:        # an Emulator wired to the running bot
        group = await line.create_group("Friends", ["Alice", "Bob"])
        await line.say(group, "Alice", "/who")
        [answer] = await line.wait_for_bot_messages(group)

With pytest, the ``line`` fixture does the same for the ``bot`` fixture you define
(``bot = bot_fixture("app.py")`` makes one from a file). ``attach(bot, emulator)`` runs a
bot against an emulator that outlives it, to test a restart.
"""

from .fixtures import bot_fixture, cached_bot
from .harness import attach, connect, running_bot

__all__ = ["attach", "bot_fixture", "cached_bot", "connect", "running_bot"]
