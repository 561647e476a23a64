"""The ``linegroupbot`` command: run, worker, dev, emulator, check, dead-letters and new."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import importlib
import importlib.util
import json
import os
import platform
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

import aiohttp

from . import channel_cli
from ._env import check_url_settings
from .errors import ConfigurationError, StoreError
from .loading import load_bot
from .logging import configure_logging
from .serving import wait_for_signal

__all__ = ["load_bot", "main"]  # load_bot is re-exported from .loading


def _watch_root(target: str) -> Path:
    """The folder ``dev`` watches: the bot file's folder, or the top package's."""
    location = target.rpartition(":")[0] or target
    if location.endswith(".py") or "/" in location:
        return Path(location).resolve().parent
    spec = importlib.util.find_spec(location.split(".")[0])
    origin = spec.origin if spec is not None else None
    if origin is None:
        return Path.cwd()
    root = Path(origin).resolve().parent
    # a top-level module (app.py) watches its folder; a package, the folder it lives in
    return root.parent if Path(origin).name == "__init__.py" else root


_IGNORED_DIRS = frozenset(
    {".venv", "venv", ".git", "__pycache__", "build", "dist", ".tox", ".nox", "node_modules"}
    | {".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", "wheels"}
)


def _reload_filter() -> Any:
    """watchfiles filter: Python sources and .env, outside environments, VCS and build output."""
    from watchfiles import DefaultFilter

    class BotFiles(DefaultFilter):
        def __call__(self, change: Any, path: str) -> bool:
            parts = Path(path).parts
            if any(part in _IGNORED_DIRS or part.endswith(".egg-info") for part in parts):
                return False
            name = parts[-1] if parts else ""
            return bool(name.endswith(".py") or name == ".env") and bool(
                super().__call__(change, path)
            )

    return BotFiles()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- commands -------------------------------------------------------------------------------


_TUNABLE = ("lease_ttl", "max_attempts", "max_deliveries", "retry_delay", "concurrency", "shards")


def _load_tuned_bot(args: argparse.Namespace) -> Any:
    bot = load_bot(args.target)
    options = (
        "lease_ttl",
        "max_attempts",
        "max_deliveries",
        "retry_delay",
        "concurrency",
        "shards",
    )
    for option in options:
        value = getattr(args, option, None)
        if value is not None:
            setattr(bot, option, value)
    return bot


def _load_env_file(args: argparse.Namespace) -> Path | None:
    """Read ``--env-file`` (default ``.env`` when present) into the environment.

    Variables already set win: the file only fills in what the environment lacks.
    """
    if getattr(args, "no_env_file", False):
        return None
    given = getattr(args, "env_file", None)
    path = Path(given) if given else Path(".env")
    if not path.is_file():
        if given:
            raise ConfigurationError(f"no env file {given} (--env-file); check the path")
        return None
    from dotenv import dotenv_values

    for key, value in dotenv_values(path).items():
        if value is not None and key not in os.environ:
            os.environ[key] = value
    return path


def _cmd_run(args: argparse.Namespace) -> int:
    _load_env_file(args)
    check_url_settings()
    configure_logging(args.log_format, args.log_level)
    bot = _load_tuned_bot(args)
    bot.run(args.host, args.port, path=args.path, store=args.store, role=args.role)
    return 0


def _cmd_worker(args: argparse.Namespace) -> int:
    _load_env_file(args)
    check_url_settings()
    configure_logging(args.log_format, args.log_level)
    bot = _load_tuned_bot(args)
    bot.run(args.host, args.port, store=args.store, role="worker")
    return 0


def _cmd_dead_letters(args: argparse.Namespace) -> int:
    from .bot import DEFAULT_RUN_STORE
    from .runtime import resolve_store_url
    from .stores import SqliteStore, open_store

    if args.limit < 1:
        print("linegroupbot: --limit must be at least 1", file=sys.stderr)
        return 2
    if args.action == "list" and (args.ids or args.all):
        print("linegroupbot: list takes no IDs and no --all (see --limit)", file=sys.stderr)
        return 2
    store = open_store(resolve_store_url(args.store, None, DEFAULT_RUN_STORE), shards=args.shards)
    if isinstance(store, SqliteStore) and not store.path.exists():
        print(
            f"linegroupbot: no store at {store.url} (looked for {store.path.resolve()}): run "
            "this in the bot's working folder, or pass --store (or set LINEGROUPBOT_STORE)",
            file=sys.stderr,
        )
        return 2

    async def each(ids: list[str], operation: Callable[[str], Awaitable[object]], done: str) -> int:
        """Apply ``operation`` to each dead letter; exit status 1 if any was unknown."""
        missing = 0
        for dead_id in ids:
            if await operation(dead_id):
                print(f"{done} {dead_id}")
            else:
                print(f"no dead letter {dead_id}")
                missing += 1
        return 1 if missing else 0

    async def act() -> int:
        await store.open()
        try:
            if args.action == "list":
                letters = await store.dead_letters(limit=args.limit)
                if args.json:
                    for dead in letters:
                        print(
                            json.dumps(
                                {
                                    "id": dead.id,
                                    "event_id": dead.event_id,
                                    "key": dead.key,
                                    "attempts": dead.attempts,
                                    "failed_at": dead.failed_at,
                                    "error": dead.error,
                                    "event": json.loads(dead.payload),
                                }
                            )
                        )
                    return 0
                if not letters:
                    print(f"no dead letters in {store.url}")
                for dead in letters:
                    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(dead.failed_at))
                    print(
                        f"{dead.id}  {when}  event {dead.event_id or '-'}  chat {dead.key}  "
                        f"attempts {dead.attempts}\n    {dead.error}"
                    )
                return 0
            if args.action == "replay":
                ids = args.ids or []
                if args.all:
                    ids = [d.id for d in await store.dead_letters(limit=1_000_000)]
                if not ids:
                    print("name dead letters to replay (IDs from 'list'), or pass --all")
                    return 2
                return await each(ids, store.replay, "replayed")
            if args.action == "purge":
                if not args.ids and not args.all:
                    print("name dead letters to delete, or pass --all")
                    return 2
                if args.all:
                    print(f"deleted {await store.purge()} dead letter(s)")
                    return 0
                return await each(args.ids, store.purge, "deleted")
            raise AssertionError(args.action)
        finally:
            await store.close()

    return asyncio.run(act())


def _cmd_emulator(args: argparse.Namespace) -> int:
    from .emulator import Emulator

    configure_logging(args.log_format, args.log_level)

    async def serve() -> None:
        emulator = Emulator(
            channel_secret=args.channel_secret,
            access_token=args.access_token,
            webhook_url=args.webhook_url,
            verified=args.verified,
        )
        url = await emulator.start(args.host, args.port)
        if args.seed:
            await emulator.seed_demo()
        print(f"LINE emulator on {url}  (chat page: {url}/)", flush=True)
        # The emulator's own default credentials are no secret; values given on the
        # command line are never printed.
        secret = args.channel_secret if args.channel_secret == _EMULATOR_SECRET else "<yours>"
        token = args.access_token if args.access_token == _EMULATOR_TOKEN else "<yours>"
        print(
            f"  point a bot at it: LINE_API_BASE_URL={url} LINE_DATA_API_BASE_URL={url} "
            f"LINE_CHANNEL_SECRET={secret} LINE_CHANNEL_ACCESS_TOKEN={token}",
            flush=True,
        )
        try:
            await wait_for_signal()
        finally:
            await emulator.stop()

    asyncio.run(serve())
    return 0


class _BotProcess:
    """The bot under ``dev``: a child process, restarted when its files change."""

    def __init__(
        self, target: str, port: int, env: dict[str, str], log_format: str, store: str
    ) -> None:
        self.target = target
        self.store = store
        self.port = port
        self.env = env
        self.log_format = log_format
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "linegroupbot",
            "run",
            self.target,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-format",
            self.log_format,
            "--store",
            self.store,
            "--no-env-file",  # dev read it already; its emulator settings must win
        ]
        self.process = subprocess.Popen(command, env=self.env)  # noqa: S603 (our own interpreter)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    async def wait_ready(self, timeout: float = 20.0) -> bool:
        url = f"http://127.0.0.1:{self.port}/healthz"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with aiohttp.ClientSession() as session:
            while loop.time() < deadline:
                if self.process is None or self.process.poll() is not None:
                    return False
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(url) as resp:
                        if resp.status == 200:
                            return True
                await asyncio.sleep(0.1)
        return False


def _cmd_dev(args: argparse.Namespace) -> int:
    from .emulator import Emulator

    _load_env_file(args)
    load_bot(args.target)  # a wrong target fails here, in one line, before anything starts
    configure_logging(args.log_format, args.log_level)
    secret = secrets.token_hex(16)
    token = secrets.token_hex(24)

    async def serve() -> None:
        emulator = Emulator(channel_secret=secret, access_token=token, verified=args.verified)
        url = await emulator.start("127.0.0.1", args.port)
        bot_port = args.bot_port or _free_port()
        env = dict(os.environ)
        env.update(
            LINE_CHANNEL_SECRET=secret,
            LINE_CHANNEL_ACCESS_TOKEN=token,
            LINE_API_BASE_URL=url,
            LINE_DATA_API_BASE_URL=url,
            PYTHONUNBUFFERED="1",
        )
        bot = _BotProcess(args.target, bot_port, env, args.log_format, args.store)
        bot.start()
        try:
            if not await bot.wait_ready():
                print(f"the bot {args.target} did not start; see the errors above", flush=True)
                return
            emulator.set_webhook_url(f"http://127.0.0.1:{bot_port}/callback")
            await emulator.seed_demo()
            await _watch(
                args.target,
                bot,
                ready=lambda: print(f"\n  Chat with your bot at {url}/\n", flush=True),
            )
        finally:
            bot.stop()
            await emulator.stop()

    asyncio.run(serve())
    return 0


async def _watch(target: str, bot: _BotProcess, *, ready: Callable[[], object]) -> None:
    """Restart the bot when its sources change (debounced: one restart per burst of saves).

    ``ready`` is called once the watcher runs, so that a change made after it is seen.
    """
    from watchfiles import awatch

    announced = False
    stopper = asyncio.Event()
    signals = asyncio.create_task(wait_for_signal())
    signals.add_done_callback(lambda _: stopper.set())
    try:
        async for changes in awatch(
            _watch_root(target),
            watch_filter=_reload_filter(),
            debounce=400,
            step=100,
            stop_event=stopper,
            rust_timeout=250,
            yield_on_timeout=True,  # an empty set first: the watcher is running
        ):
            if not announced:
                ready()
                announced = True
            if not changes:
                continue
            names = sorted({Path(path).name for _, path in changes})
            print(f"  files changed ({', '.join(names)}): restarting the bot", flush=True)
            bot.stop()
            bot.start()
            await bot.wait_ready()
    finally:
        signals.cancel()


def _secret_setting(value: str | None, variable: str) -> str:
    """How ``check`` shows a secret: set (its cleaned length), NOT SET, or INVALID."""
    from .client import clean_token

    if not value or not value.strip():
        return f"NOT SET: set {variable}"
    try:
        cleaned = clean_token(value, variable, variable)
    except ConfigurationError:
        return f"INVALID: whitespace or control characters inside it: check {variable}"
    return f"set ({len(cleaned)} characters)"


def _check_settings(bot: Any) -> Iterator[str]:
    from .bot import DEFAULT_RUN_STORE
    from .runtime import resolve_store_url
    from .stores.url import redact_url

    secret = bot._secret or os.environ.get("LINE_CHANNEL_SECRET")
    token = bot._token or os.environ.get("LINE_CHANNEL_ACCESS_TOKEN")
    api = bot.api_base_url or os.environ.get("LINE_API_BASE_URL") or "https://api.line.me"
    store = bot.store if isinstance(bot.store, str | None) else bot.store.url
    yield "settings"
    yield f"  channel secret  {_secret_setting(secret, 'LINE_CHANNEL_SECRET')}"
    yield f"  access token    {_secret_setting(token, 'LINE_CHANNEL_ACCESS_TOKEN')}"
    yield f"  API             {api}"
    yield f"  store (run)     {redact_url(resolve_store_url(None, store, DEFAULT_RUN_STORE))}"
    yield f"  commands        start with {' or '.join(repr(p) for p in bot.command_prefixes)}"
    yield f"  concurrency     {bot.concurrency} handlers at once"


def _callable_name(function: Any) -> str:
    return str(getattr(function, "__qualname__", None) or repr(function))


def _check_handlers(bot: Any) -> Iterator[str]:
    from .routing import Router

    yield f"plugins: {', '.join(bot.plugins) if bot.plugins else 'none'}"
    yield "handlers, in dispatch order"

    def walk(router: Router, depth: int) -> Iterator[str]:
        pad = "  " * depth
        kind = "bot" if router is bot else "router"
        line = f"{pad}{kind} {router.name!r}"
        if router.filter is not None:
            line += f"  when {router.filter!r}"
        yield line
        if router.middleware:
            names = ", ".join(_callable_name(m) for m in router.middleware)
            yield f"{pad}  middleware: {names}"
        if not router.entries:
            yield f"{pad}  (no handlers)"
        for entry in router.entries:
            if isinstance(entry, Router):
                yield from walk(entry, depth + 1)
                continue
            types = ", ".join(t.__name__ for t in entry.event_types)
            when = f"  when {entry.filter!r}" if entry.filter is not None else ""
            yield f"{pad}  {entry.name}  on {types}{when}"

    yield from walk(bot, 1)


def _check_account(bot: Any) -> Iterator[str]:
    """Ask LINE who the bot is: proves the token (or the channel ID and secret) works."""
    from .client import RetryPolicy
    from .errors import LineApiError, LineConnectionError, LineGroupBotError

    has_token = bot._token or os.environ.get("LINE_CHANNEL_ACCESS_TOKEN")
    if not has_token and not getattr(bot, "issues_tokens", False):
        return
    yield "LINE account"

    async def ask() -> Any:
        bot.retry = RetryPolicy(attempts=2, total_timeout=10.0)
        try:
            return await bot.client.bot_info()
        finally:
            await bot.client.close()

    try:
        info = asyncio.run(ask())
    except LineApiError as error:
        what = "refused the access token" if error.status == 401 else f"answered {error.status}"
        yield f"  problem: LINE {what}: {error.message}"
        return
    except LineConnectionError as error:
        yield f"  problem: LINE could not be reached: {error}"
        return
    except LineGroupBotError as error:
        yield f"  problem: {error}"
        return
    yield f"  token works     {info.display_name} ({info.basic_id}), user ID {info.user_id}"
    if info.chat_mode == "chat":
        yield (
            "  chat mode       on: people may answer in LINE Official Account Manager too "
            "(webhooks still arrive)"
        )


_CHECKS: list[Callable[[Any], Iterable[str]]] = [_check_settings, _check_handlers, _check_account]
"""What ``linegroupbot check`` prints, section by section: add a function to add a section."""


def _cmd_check(args: argparse.Namespace) -> int:
    env_file = _load_env_file(args)
    check_url_settings()
    configure_logging("console", "WARNING")
    bot = load_bot(args.target)
    source = f" (settings: the environment, then {env_file})" if env_file else ""
    print(f"{args.target}: {bot!r}{source}")
    problems = 0
    for check in _CHECKS:
        if args.offline and check is _check_account:
            continue
        for line in check(bot):
            print(line)
            problems += line.lstrip().startswith("problem:")
    missing = [
        variable
        for variable, value in (
            ("LINE_CHANNEL_SECRET", bot._secret or os.environ.get("LINE_CHANNEL_SECRET")),
            (
                "LINE_CHANNEL_ACCESS_TOKEN",
                bot._token or os.environ.get("LINE_CHANNEL_ACCESS_TOKEN"),
            ),
        )
        if not _secret_setting(value, variable).startswith("set ")
    ]
    if missing:
        print(
            f"problem: {' and '.join(missing)} not set or not valid, so `run` would refuse to start"
        )
        return 1
    return 1 if problems else 0


def _cmd_new(args: argparse.Namespace) -> int:
    from . import __version__
    from .templates import TEMPLATES, create_project, describe, install_source, wheel_source

    if args.list or args.directory is None:
        for name in sorted(TEMPLATES):
            print(f"{name:12} {describe(name)}")
        return 0
    directory = Path(args.directory)
    source = wheel_source(Path(args.wheel)) if args.wheel else install_source()
    create_project(directory, args.template, force=args.force, source=source)
    if source.missing:
        print(
            f"linegroupbot: warning: this linegroupbot was installed from {source.missing}, "
            f"which is no longer there, so the project installs linegroupbot>={__version__} "
            "from your package index instead; to install it from a wheel, run this again "
            "with --force --wheel PATH/linegroupbot-VERSION-py3-none-any.whl",
            file=sys.stderr,
        )
    readme = (directory / "README.md").read_text(encoding="utf-8")
    block = readme.split("```console\n", 1)[1].split("```", 1)[0]
    print(f"Created {directory} from the {args.template!r} template (see its README.md). Next:")
    print(f"  cd {shlex.quote(str(directory))}")
    for line in block.splitlines():
        print(f"  {line}")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage mistake reported in one line (and a pointer to ``--help``)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _version() -> str:
    from . import __version__

    return f"linegroupbot {__version__} (Python {platform.python_version()})"


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="linegroupbot", description="Run and develop LINE group bots.")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def logging_args(p: argparse.ArgumentParser, default: str = "console") -> None:
        p.add_argument("--log-format", choices=("console", "json"), default=default)
        p.add_argument(
            "--log-level",
            type=str.upper,
            choices=LOG_LEVELS,
            default="INFO",
            metavar="{" + ",".join(LOG_LEVELS) + "}",
        )

    def env_args(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--env-file",
            default=None,
            help="read variables from this file (default: .env when present); variables "
            "already set in the environment win",
        )
        p.add_argument("--no-env-file", action="store_true", help="read no .env file")

    def store_url(value: str) -> str:
        if not value.strip():
            raise argparse.ArgumentTypeError(
                "is empty: give a store URL (memory://, sqlite:///bot.db or "
                "redis://host:6379/0), or leave --store out for the default"
            )
        return value

    store_help = (
        "where accepted events live: memory://, sqlite:///bot.db or redis://host:6379/0 "
        "(default: the bot's, $LINEGROUPBOT_STORE, else sqlite:///linegroupbot.db)"
    )

    def delivery_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--store", type=store_url, default=None, help=store_help)
        p.add_argument(
            "--lease-ttl",
            type=float,
            default=None,
            help="seconds before a dead worker's events go to another (default 15)",
        )
        p.add_argument(
            "--max-attempts", type=int, default=None, help="attempts before dead-lettering (3)"
        )
        p.add_argument(
            "--max-deliveries",
            type=int,
            default=None,
            help="deliveries to workers that died before dead-lettering (10)",
        )
        p.add_argument("--retry-delay", type=float, default=None, help="first retry's delay (0.5)")
        p.add_argument("--concurrency", type=int, default=None, help="handlers at once (64)")
        p.add_argument("--shards", type=int, default=None, help="queue shards (16)")

    run = sub.add_parser("run", help="serve a bot's webhook (and handle its events)")
    run.add_argument("target", help="MODULE_OR_FILE:ATTR, e.g. examples/echo.py:bot")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--path", default="/callback")
    run.add_argument(
        "--role",
        choices=("all", "receiver"),
        default="all",
        help="all: receive and handle; receiver: only verify, enqueue and answer",
    )
    delivery_args(run)
    logging_args(run)
    env_args(run)
    run.set_defaults(func=_cmd_run)

    worker = sub.add_parser("worker", help="handle the events receivers queued in a shared store")
    worker.add_argument("target", help="MODULE_OR_FILE:ATTR, e.g. examples/echo.py:bot")
    worker.add_argument("--host", default="127.0.0.1", help="where /healthz is served")
    worker.add_argument("--port", type=int, default=8001, help="the /healthz port (0: any)")
    delivery_args(worker)
    logging_args(worker)
    env_args(worker)
    worker.set_defaults(func=_cmd_worker)

    dead = sub.add_parser("dead-letters", help="list, replay or delete events that failed")
    dead.add_argument("action", choices=("list", "replay", "purge"))
    dead.add_argument("ids", nargs="*", help="dead letter IDs (from 'list')")
    dead.add_argument("--all", action="store_true", help="replay or delete every dead letter")
    dead.add_argument(
        "--store",
        type=store_url,
        default=None,
        help="the bot's store (default: $LINEGROUPBOT_STORE, else sqlite:///linegroupbot.db)",
    )
    dead.add_argument("--shards", type=int, default=None, help="queue shards (16)")
    dead.add_argument("--limit", type=int, default=100, help="how many to list")
    dead.add_argument("--json", action="store_true", help="one JSON object per line")
    dead.set_defaults(func=_cmd_dead_letters)

    dev = sub.add_parser("dev", help="run a bot against the local emulator, reloading on change")
    dev.add_argument("target", help="MODULE_OR_FILE:ATTR, e.g. examples/echo.py:bot")
    dev.add_argument("--port", type=int, default=8787, help="the emulator's port (0: any)")
    dev.add_argument("--bot-port", type=int, default=0, help="the bot's port (default: any)")
    dev.add_argument("--verified", action="store_true", help="allow member ID lookups")
    dev.add_argument(
        "--store", type=store_url, default="memory://", help="the bot's store (default memory://)"
    )
    logging_args(dev)
    env_args(dev)
    dev.set_defaults(func=_cmd_dev)

    check = sub.add_parser(
        "check", help="load a bot and list its settings, plugins, routers and handlers"
    )
    check.add_argument("target", help="MODULE_OR_FILE:ATTR, e.g. app.py:bot")
    check.add_argument(
        "--offline", action="store_true", help="do not ask LINE whether the token works"
    )
    env_args(check)
    check.set_defaults(func=_cmd_check)

    emu = sub.add_parser("emulator", help="run the LINE platform emulator alone")
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=8787)
    emu.add_argument(
        "--channel-secret",
        default=_EMULATOR_SECRET,
        help="the secret webhooks are signed with: the bot's LINE_CHANNEL_SECRET "
        "(default: %(default)s)",
    )
    emu.add_argument(
        "--access-token",
        default=_EMULATOR_TOKEN,
        help="the token the API accepts: the bot's LINE_CHANNEL_ACCESS_TOKEN "
        "(default: %(default)s)",
    )
    emu.add_argument("--webhook-url", default=None, help="the bot's webhook URL, if running")
    emu.add_argument("--verified", action="store_true", help="allow member ID lookups")
    emu.add_argument("--seed", action="store_true", help="create demo users, a group and a room")
    logging_args(emu)
    emu.set_defaults(func=_cmd_emulator)

    new = sub.add_parser("new", help="create a bot project from a template")
    new.add_argument("directory", nargs="?", help="where to create the project")
    new.add_argument("--template", "-t", default="echo", help="template name (see --list)")
    new.add_argument("--list", action="store_true", help="list the templates")
    new.add_argument("--force", action="store_true", help="write into a non-empty directory")
    new.add_argument(
        "--wheel",
        default=None,
        metavar="PATH",
        help="install linegroupbot from this wheel (copied into the project's wheels/) "
        "(default: from where this linegroupbot was installed)",
    )
    new.set_defaults(func=_cmd_new)
    channel_cli.add_commands(sub)
    return parser


def _listen_problem(args: argparse.Namespace, error: OSError) -> str:
    """What went wrong binding the server's port, and what to pass instead."""
    host = getattr(args, "host", "127.0.0.1")
    port = getattr(args, "port", None)
    flag = "--port"
    if error.errno == errno.EADDRINUSE:
        other = f"{flag} {port + 1}" if port else f"{flag} 0 (any free port)"
        return (
            f"cannot listen there: port {port} on {host} is already in use (another bot or "
            f"server has it): stop that one, or pick another port, e.g. {other}"
        )
    if error.errno == errno.EACCES:
        return (
            f"cannot listen there: no permission for port {port} on {host} (ports below 1024 "
            f"need root): pick a port above 1024 with {flag}"
        )
    return f"cannot listen there: {host} is not an address of this machine (--host): {error}"


_EMULATOR_SECRET = "emulator-channel-secret"  # noqa: S105 (the emulator's public default)
_EMULATOR_TOKEN = "emulator-access-token"  # noqa: S105 (the emulator's public default)


def _fatal(args: argparse.Namespace, message: str) -> None:
    """The one line a fatal error gets: plain, or one JSON object under ``--log-format json``."""
    from .logging import scrub

    message = scrub(message)
    if getattr(args, "log_format", None) == "json":
        import datetime as dt

        import orjson

        record = {
            "event": "command_failed",
            "level": "error",
            "error": message,
            "timestamp": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
        }
        print(orjson.dumps(record).decode(), file=sys.stderr)
    else:
        print(f"linegroupbot: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``linegroupbot`` command (``python -m linegroupbot`` runs it too).

    Args:
        argv: The arguments after the command's name; ``None``: ``sys.argv[1:]``.

    Returns:
        The exit status: the subcommand's own (0 on success); 2 when the bot or its store
        is misconfigured or the address cannot be listened on (the message goes to stderr);
        130 after Ctrl-C.
    """
    args = _parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except (ConfigurationError, StoreError) as error:
        _fatal(args, str(error))
        return 2
    except BrokenPipeError:  # `linegroupbot dead-letters list | head`
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (silence the flush at exit)
        return 0
    except OSError as error:
        if error.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            _fatal(args, _listen_problem(args, error))
            return 2
        raise
    except KeyboardInterrupt:
        return 130
    return result
