"""The ``linegroupbot`` command: run, worker, dev, emulator, dead-letters and new."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import importlib
import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp

from . import channel_cli
from .errors import ConfigurationError, StoreError
from .loading import load_bot
from .logging import configure_logging
from .serving import wait_for_signal

__all__ = ["load_bot", "main"]  # load_bot is re-exported from .loading


def _watched_files(target: str) -> list[Path]:
    location = target.rpartition(":")[0] or target
    if location.endswith(".py") or "/" in location:
        root = Path(location).resolve().parent
    else:
        spec = importlib.util.find_spec(location.split(".")[0])
        origin = spec.origin if spec is not None else None
        if origin is None:
            return []
        root = Path(origin).resolve().parent
    return sorted(root.rglob("*.py"))


def _snapshot(files: Sequence[Path]) -> dict[Path, float]:
    stamps: dict[Path, float] = {}
    for path in files:
        with contextlib.suppress(OSError):
            stamps[path] = path.stat().st_mtime
    return stamps


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


def _cmd_run(args: argparse.Namespace) -> int:
    configure_logging(args.log_format, args.log_level)
    bot = _load_tuned_bot(args)
    bot.run(args.host, args.port, path=args.path, store=args.store, role=args.role)
    return 0


def _cmd_worker(args: argparse.Namespace) -> int:
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
            print(f"\n  Chat with your bot at {url}/\n", flush=True)
            await _watch(args.target, bot, emulator)
        finally:
            bot.stop()
            await emulator.stop()

    asyncio.run(serve())
    return 0


async def _watch(target: str, bot: _BotProcess, emulator: Any) -> None:
    stopper = asyncio.create_task(wait_for_signal())
    files = _watched_files(target)
    stamps = _snapshot(files)
    try:
        while not stopper.done():
            await asyncio.wait([stopper], timeout=1.0)
            current = _snapshot(_watched_files(target))
            if current != stamps:
                stamps = current
                print("  files changed: restarting the bot", flush=True)
                bot.stop()
                bot.start()
                await bot.wait_ready()
    finally:
        stopper.cancel()


def _cmd_new(args: argparse.Namespace) -> int:
    from .templates import TEMPLATES, create_project, describe

    if args.list or args.directory is None:
        for name in sorted(TEMPLATES):
            print(f"{name:12} {describe(name)}")
        return 0
    directory = Path(args.directory)
    create_project(directory, args.template, force=args.force)
    print(f"Created {directory} from the {args.template!r} template. Next:")
    print(f"  cd {directory} && python3 -m venv .venv && . .venv/bin/activate && pip install -e .")
    print("  linegroupbot dev app.py:bot      # chat with it in the browser")
    print("  python -m pytest                 # run its tests")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="linegroupbot", description="Run and develop LINE group bots."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def logging_args(p: argparse.ArgumentParser, default: str = "console") -> None:
        p.add_argument("--log-format", choices=("console", "json"), default=default)
        p.add_argument("--log-level", default="INFO")

    store_help = (
        "where accepted events live: memory://, sqlite:///bot.db or redis://host:6379/0 "
        "(default: the bot's, $LINEGROUPBOT_STORE, else sqlite:///linegroupbot.db)"
    )

    def delivery_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--store", default=None, help=store_help)
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
    run.set_defaults(func=_cmd_run)

    worker = sub.add_parser("worker", help="handle the events receivers queued in a shared store")
    worker.add_argument("target", help="MODULE_OR_FILE:ATTR, e.g. examples/echo.py:bot")
    worker.add_argument("--host", default="127.0.0.1", help="where /healthz is served")
    worker.add_argument("--port", type=int, default=8001, help="the /healthz port (0: any)")
    delivery_args(worker)
    logging_args(worker)
    worker.set_defaults(func=_cmd_worker)

    dead = sub.add_parser("dead-letters", help="list, replay or delete events that failed")
    dead.add_argument("action", choices=("list", "replay", "purge"))
    dead.add_argument("ids", nargs="*", help="dead letter IDs (from 'list')")
    dead.add_argument("--all", action="store_true", help="replay or delete every dead letter")
    dead.add_argument(
        "--store",
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
    dev.add_argument("--store", default="memory://", help="the bot's store (default memory://)")
    logging_args(dev)
    dev.set_defaults(func=_cmd_dev)

    emu = sub.add_parser("emulator", help="run the LINE platform emulator alone")
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=8787)
    emu.add_argument("--channel-secret", default="emulator-channel-secret")
    emu.add_argument("--access-token", default="emulator-access-token")
    emu.add_argument("--webhook-url", default=None)
    emu.add_argument("--verified", action="store_true", help="allow member ID lookups")
    emu.add_argument("--seed", action="store_true", help="create demo users, a group and a room")
    logging_args(emu)
    emu.set_defaults(func=_cmd_emulator)

    new = sub.add_parser("new", help="create a bot project from a template")
    new.add_argument("directory", nargs="?", help="where to create the project")
    new.add_argument("--template", "-t", default="echo", help="template name (see --list)")
    new.add_argument("--list", action="store_true", help="list the templates")
    new.add_argument("--force", action="store_true", help="write into a non-empty directory")
    new.set_defaults(func=_cmd_new)
    channel_cli.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``linegroupbot`` command."""
    args = _parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except (ConfigurationError, StoreError) as error:
        print(f"linegroupbot: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `linegroupbot dead-letters list | head`
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (silence the flush at exit)
        return 0
    except OSError as error:
        if error.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            print(f"linegroupbot: cannot listen there: {error.strerror}", file=sys.stderr)
            return 2
        raise
    except KeyboardInterrupt:
        return 130
    return result
