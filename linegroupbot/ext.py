"""The front door for plugin authors: everything a plugin needs, from one module.

A plugin is a module or an object with ``setup(bot)`` (:class:`~linegroupbot.bot.Plugin`).
Bots load it with ``Bot(plugins=[myplugin])``, or from the ``linegroupbot.plugins``
entry-point group with ``Bot(load_entry_point_plugins=True)``. Import what the plugin uses
from here: the names below are the plugin API, and keep their meaning across releases.

What ``setup(bot)`` may do:

- add handlers, in a :class:`~linegroupbot.routing.Router` of its own:
  ``bot.include(router)``;
- add middleware, a function (:data:`~linegroupbot.middleware.Middleware`) or a
  :class:`~linegroupbot.middleware.BaseMiddleware`: ``bot.add_middleware(mw)``;
- give handlers helpers through the context: ``bot.add_context_extension(KEY, factory)``
  with a typed :class:`~linegroupbot.context.ExtKey`, read as ``ctx.ext[KEY]`` (one
  factory call per event);
- offer filters (subclass :class:`~linegroupbot.filters.Filter`, or wrap a function in
  :class:`~linegroupbot.filters.FuncFilter`) for bots to pass as ``filters=``;
- teach the parser new webhook event types
  (:func:`~linegroupbot.convert.register_event`, then ``@router.on_event(MyEvent)``) and
  models it sends or reads (:func:`~linegroupbot.convert.register_model`);
- run code when the bot starts or stops: ``router.on_startup`` / ``router.on_shutdown``;
- read the bot's settings (``bot.command_prefixes``, ``bot.plugins``, ``bot.name``).

What it must not do: change the bot's connection settings, secret, token or store
(``bot.configure()`` fails once the bot runs, and the rest belongs to the bot's author),
dispatch events itself, register a context extension or an event type another plugin owns
(both raise), or use names that start with ``_``. A plugin whose ``setup`` raises stops
the bot from starting, with an error naming the plugin.
"""

from __future__ import annotations

from .bot import Bot, Plugin
from .context import (
    CommandMatch,
    Context,
    EventContext,
    ExtKey,
    MessageContext,
    PostbackContext,
    SkipHandler,
)
from .convert import register_event, register_model
from .events import Event
from .filters import Filter, FilterLike, FuncFilter, as_filter
from .middleware import BaseMiddleware, CallNext, Middleware
from .routing import INJECTABLE, Handler, HandlerOf, Register, Router

__all__ = [
    "INJECTABLE",
    "BaseMiddleware",
    "Bot",
    "CallNext",
    "CommandMatch",
    "Context",
    "Event",
    "EventContext",
    "ExtKey",
    "Filter",
    "FilterLike",
    "FuncFilter",
    "Handler",
    "HandlerOf",
    "MessageContext",
    "Middleware",
    "Plugin",
    "PostbackContext",
    "Register",
    "Router",
    "SkipHandler",
    "as_filter",
    "register_event",
    "register_model",
]
