"""A bot split into modules: handler routers in handlers/, a middleware, and a plugin.

Run it against the local emulator:  linegroupbot dev examples/multimodule/app.py:bot
Needs the shout plugin package installed (pip install -e on its plugin_shout directory).
"""

import linegroupbot_shout
from middleware import log_timing

from linegroupbot import Bot

bot = Bot(plugins=[linegroupbot_shout])
bot.add_middleware(log_timing)
bot.include("handlers.greetings")
bot.include("handlers.admin")
