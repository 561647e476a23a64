"""The code in the README and docs works, and every public name has a docstring."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

import linegroupbot
from linegroupbot import Bot
from linegroupbot.cli import load_bot
from linegroupbot.emulator import Emulator
from linegroupbot.state import State
from linegroupbot.testing import attach, connect

ROOT = Path(__file__).resolve().parents[1]
SNIPPETS = ROOT / "docs" / "snippets"


def test_readme_example_is_the_tested_quickstart_snippet() -> None:
    readme = (ROOT / "README.md").read_text()
    [block] = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    assert block == (SNIPPETS / "quickstart.py").read_text()


def test_readme_opens_with_the_two_commands_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = [line for line in readme.splitlines() if line.startswith("bash scripts/")]
    assert commands[0].endswith("linegroupbot dev examples/echo.py:bot")
    assert commands[1].endswith("python -m pytest")
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/setup-dev.sh" in ci
    assert "\npython -m pytest\n" in ci


def _snippet_module(name: str) -> ModuleType:
    """Import a docs snippet file as a module of its own."""
    spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), SNIPPETS / name)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def _snippet_bot(name: str) -> Bot:
    return load_bot(f"{SNIPPETS / name}:bot")


async def test_quickstart_bot() -> None:
    async with connect(_snippet_bot("quickstart.py")) as line:
        group = await line.create_group("Team", ["Alice"])
        [hi] = await line.wait_for_bot_messages(group)
        assert hi["text"] == "Hi all!"
        await line.say(group, "Alice", "/who")
        [name] = await line.wait_for_bot_messages(group)
        assert name["text"] == "Alice"
        await line.say(group, "Alice", "!bye")
        await line.wait_for_delivery(lambda d: d.event_types == ["leave"])
        assert group.bot_in is False


async def test_tutorial_bot_step_by_step() -> None:
    async with connect(_snippet_bot("tutorial_bot.py")) as line:
        group = await line.create_group("Lunch club", ["Alice", "Bob"])

        async def ask(user: str, text: str) -> str:
            await line.say(group, user, text)
            [answer] = await line.wait_for_bot_messages(group)
            return str(answer.get("text") or answer.get("altText"))

        [hello] = await line.wait_for_bot_messages(group)
        assert hello["text"] == "Hi Lunch club! Type /help to see what I can do."
        assert (await ask("Alice", "/help")).startswith("/who, /roll N")
        assert await ask("Alice", "/roll 20") == "You rolled 20: always the max in tests."
        assert await ask("Bob", "/who") == "You are Bob."
        shy = line.add_user("Shy", consented=False)
        await line.add_member(group, shy)
        [welcome] = await line.wait_for_bot_messages(group)
        assert welcome["text"] == "Welcome! We are now 3."
        assert await ask("Shy", "/who") == "I can't see your name until you add me as a friend."
        assert await ask("Alice", "/lunch") == "Lunch?"
        await line.tap_postback(group, "Alice", "lunch:Ramen")
        [noted] = await line.wait_for_bot_messages(group)
        assert noted["text"] == "Noted: Ramen."


async def test_client_alone_snippet(line_emulator: Emulator) -> None:
    module = _snippet_module("client_alone.py")
    group = await line_emulator.create_group("Builds", ["Alice"], invite_bot=True)
    result = await module.announce(
        line_emulator.settings.access_token, group.chat_id, api_base_url=line_emulator.url
    )
    assert result.sent_messages
    assert line_emulator.bot_messages(group) == [{"type": "text", "text": "The build is green."}]


def test_testing_guide_example_passes() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(SNIPPETS / "testing_example.py"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert "2 passed" in result.stdout


PUBLIC_MODULES = [
    "linegroupbot",
    "linegroupbot.bot",
    "linegroupbot.client",
    "linegroupbot.context",
    "linegroupbot.convert",
    "linegroupbot.errors",
    "linegroupbot.events",
    "linegroupbot.ext",
    "linegroupbot.filters",
    "linegroupbot.limits",
    "linegroupbot.loading",
    "linegroupbot.logging",
    "linegroupbot.messages",
    "linegroupbot.middleware",
    "linegroupbot.roster",
    "linegroupbot.routing",
    "linegroupbot.schedule",
    "linegroupbot.runtime",
    "linegroupbot.server",
    "linegroupbot.serving",
    "linegroupbot.signature",
    "linegroupbot.state",
    "linegroupbot.stores",
    "linegroupbot.worker",
    "linegroupbot.templates",
    "linegroupbot.flex",
    "linegroupbot.actions",
    "linegroupbot.channel",
    "linegroupbot.tokens",
    "linegroupbot.channel_cli",
    "linegroupbot.emulator",
    "linegroupbot.testing",
]


def _public_callables() -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        assert module.__doc__, module_name
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                found.append((f"{module_name}.{name}", obj))
                if inspect.isclass(obj):
                    for attr, value in vars(obj).items():
                        if not attr.startswith("_") and (
                            inspect.isfunction(value) or isinstance(value, property)
                        ):
                            found.append((f"{module_name}.{name}.{attr}", value))
    return found


@pytest.mark.parametrize(
    ("name", "obj"), _public_callables(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_public_name_has_a_docstring(name: str, obj: object) -> None:
    doc = obj.__doc__ if not isinstance(obj, property) else obj.fget.__doc__  # type: ignore[union-attr]
    assert (doc or "").strip(), f"{name} has no docstring"


def test_top_level_exports_resolve() -> None:
    for name in linegroupbot.__all__:
        assert getattr(linegroupbot, name) is not None


async def test_dispatch_concept_snippet() -> None:
    from linegroupbot.emulator import Emulator as _Emulator

    async with connect(_snippet_bot("dispatch_examples.py")) as line:
        assert isinstance(line, _Emulator)
        group = await line.create_group("G", ["Alice"])
        shy = line.add_user("Shy", consented=False)
        await line.add_member(group, shy)
        room = await line.create_room(["Alice", "Bob"])

        async def ask(chat: object, user: object, text: str) -> list[str]:
            await line.say(chat, user, text)  # type: ignore[arg-type]
            return [m["text"] for m in await line.wait_for_bot_messages(chat)]  # type: ignore[arg-type]

        assert await ask(group, "Alice", "hello") == ["Hello!"]
        assert await ask(group, "Alice", "/whoami") == [
            f"You are {line.world.user('Alice').user_id}."
        ]
        assert await ask(group, shy, "/whoami") == ["I don't know you yet."]
        await line.say(room, "Bob", "hi")  # rooms are excluded by ~where.scope("room")
        await line.say(group, "Alice", "/fail")  # MessageValidationError is no LineApiError
        [sorry] = await line.wait_for_bot_messages(group)
        assert sorry["text"] == "Sorry, that failed: MessageValidationError"
        assert line.bot_messages(room) == []


async def test_plugin_guide_snippet() -> None:
    async with connect(_snippet_bot("plugin_ext.py")) as line:
        group = await line.create_group("G", ["Alice", "Bob"])
        for user, count in (("Alice", 1), ("Bob", 2), ("Bob", 2)):
            await line.tap_postback(group, user, "vote:yes")
            [answer] = await line.wait_for_bot_messages(group)
            assert answer["text"] == f"{count} vote(s) so far."


async def test_connect_snippet() -> None:
    module = _snippet_module("connect_example.py")
    assert await module.conversation() == "2 members"


def test_parse_webhook_example_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "parse_webhook.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("message in group C")
    assert "'/who'" in result.stdout


async def test_stores_snippet_bot_is_durable_and_sends_once(tmp_path: Path) -> None:
    from linegroupbot.convert import structure_event

    module = _snippet_module("stores.py")
    bot = module.bot
    assert bot.store == "sqlite:///data/bot.db"
    assert bot.max_attempts == 5
    bot.store = f"sqlite:///{tmp_path}/bot.db"  # not the snippet's folder
    async with connect(bot) as line:
        group = await line.create_group("Team", ["Alice"])
        event = await line.say(group, "Alice", "/remind tea")
        [noted] = await line.wait_for_bot_messages(group)
        assert bot.runtime is not None
        await bot.runtime.wait_idle()
        await bot.process(structure_event(event), attempt=2)  # as after a crash
        assert [m["text"] for m in line.bot_messages(group)] == ["Noted!"]
    assert noted["text"] == "Noted!"
    assert (tmp_path / "bot.db").exists()


@pytest.mark.redis
async def test_stores_snippet_worker_runtime(redis_url: str) -> None:
    module = _snippet_module("stores.py")
    runtime = module.worker_runtime(redis_url + "?prefix=docs-snippet:")
    assert runtime.role == "worker"
    module.bot.configure(channel_secret="s", access_token="token-for-docs")
    await runtime.start()
    try:
        report = await runtime.health()
        assert report["status"] == "ok"
        assert len(report["worker"]["shards"]) == 16
    finally:
        await runtime.stop()


@asynccontextmanager
async def _serving(bot: Bot, line: Emulator, store: str) -> AsyncIterator[None]:
    """Run ``bot`` on ``store`` against an emulator that outlives it (as across a restart)."""
    bot.store = store
    async with attach(bot, line):
        yield


async def test_state_and_schedule_snippet_across_a_restart(tmp_path: Path) -> None:
    store_url = f"sqlite:///{tmp_path}/bot.db"
    line = Emulator()
    await line.start()
    try:
        group = await line.create_group("Club", ["Alice", "Bob"], invite_bot=False)

        def texts() -> list[str]:
            return [str(m.get("text") or m.get("altText")) for m in line.bot_messages(group)]

        async def ask(user: str, text: str) -> str:
            await line.say(group, user, text)
            [answer] = await line.wait_for_bot_messages(group)
            return str(answer.get("text") or answer.get("altText"))

        async def tap(user: str, data: str) -> str:
            await line.tap_postback(group, user, data)
            [answer] = await line.wait_for_bot_messages(group)
            return str(answer["text"])

        first = _snippet_module("state_and_schedule.py")
        async with _serving(first.bot, line, store_url):
            await line.invite_bot(group)
            assert (await ask("Alice", "/poll Lunch? | Ramen")).startswith("Usage: /poll")
            assert await ask("Alice", "/poll Lunch? | Ramen | Curry") == "Lunch?"
            assert await tap("Alice", "vote:Ramen") == "Lunch? Ramen 1, Curry 0 (1 voted)"
            assert await tap("Bob", "vote:Curry") == "Lunch? Ramen 1, Curry 1 (2 voted)"
            assert await tap("Alice", "vote:Curry") == "Lunch? Ramen 0, Curry 2 (2 voted)"
            assert await tap("Bob", "vote:Pizza") == "That poll is closed."
            # Bob is not in Alice's conversation, and commands still work in it.
            assert await ask("Alice", "/signup") == "Your name? (/stop to give up)"
            assert await ask("Bob", "/results") == "Lunch? Ramen 0, Curry 2 (2 voted)"
            assert await ask("Alice", "Alice") == "Your team?"
            assert await ask("Alice", "Red") == "Welcome to team Red, Alice!"
            assert await ask("Alice", "/signup") == "Your name? (/stop to give up)"
            assert await ask("Alice", "/stop") == "Stopped."
            assert await ask("Alice", "/remind 60 Stand-up") == "OK, in 60 min."
            assert await ask("Alice", "/remind 0.02 Tea time") == "OK, in 0.02 min."

        # A new process on the same store: the poll is there, the due reminder is sent once.
        second = _snippet_module("state_and_schedule.py")
        async with _serving(second.bot, line, store_url):
            assert await ask("Bob", "/results") == "Lunch? Ramen 0, Curry 2 (2 voted)"
            await line.wait_until(lambda: "Tea time" in texts(), timeout=10)
            listing = await ask("Bob", "/reminders")
            assert listing.startswith("1. ")
            assert listing.endswith(" UTC Stand-up")
            assert await ask("Bob", "/cancel 2") == "No such reminder: see /reminders."
            assert await ask("Bob", "/cancel 1") == "Cancelled."
            assert await ask("Bob", "/reminders") == "No reminders."

            # A stale step times out: Bob's next message is an ordinary one again.
            second.STEP_TIMEOUT = 0.2
            assert await ask("Bob", "/signup") == "Your name? (/stop to give up)"
            await asyncio.sleep(0.4)
            await line.say(group, "Bob", "Bob")
            assert await ask("Bob", "/results") == "Lunch? Ramen 0, Curry 2 (2 voted)"
            assert texts()[-2] == "Your name? (/stop to give up)"

            # The bot leaves: the chat's state goes, and the snippet cancels its pushes.
            assert await ask("Alice", "/remind 60 Lunch") == "OK, in 60 min."
            runtime = second.bot.runtime
            assert runtime is not None
            assert await State(runtime.store, group.chat_id)["poll"].get() is not None
            await line.remove_bot(group)
            await runtime.wait_idle()
            assert await State(runtime.store, group.chat_id)["poll"].get() is None
            assert await second.bot.scheduled(group.chat_id) == []
    finally:
        await line.stop()
    assert texts().count("Tea time") == 1


async def test_edits_snippet() -> None:
    bot = _snippet_module("edits.py").bot
    async with connect(bot) as line:
        group = await line.create_group("Team", ["Alice"])
        said = await line.say(group, "Alice", "/poll Lunch? A, B")
        assert (await line.wait_for_bot_messages(group))[0]["text"] == "Poll: Lunch? A, B"
        await line.edit(group, "Alice", said["message"]["id"], "/poll Lunch? A, B, C")
        [updated] = await line.wait_for_bot_messages(group)
        assert updated["text"] == "Poll updated: Lunch? A, B, C"
        said = await line.say(group, "Alice", "echo helo")
        assert (await line.wait_for_bot_messages(group))[0]["text"] == "helo"
        await line.edit(group, "Alice", said["message"]["id"], "echo hello")
        assert (await line.wait_for_bot_messages(group))[0]["text"] == "hello"


async def test_timeouts_snippet_cancels_the_hung_handler_and_lets_report_finish() -> None:
    bot = _snippet_bot("timeouts.py")
    async with connect(bot) as line:
        group = await line.create_group("Team", ["Alice"])
        await line.say(group, "Alice", "/hang")
        await line.say(group, "Alice", "/report")
        [ready] = await line.wait_for_bot_messages(group, timeout=15)
        await line.say(group, "Alice", "still here?")
        [echo] = await line.wait_for_bot_messages(group, timeout=10)
        assert bot.runtime is not None
        [letter] = await bot.runtime.store.dead_letters()
    assert ready["text"] == "report ready"
    assert echo["text"] == "still here?"
    assert "hang" in letter.error


async def test_plugin_event_snippet_handles_its_own_event_type() -> None:
    async with connect(_snippet_bot("plugin_event.py")) as line:
        group = await line.create_group("G", ["Alice"])
        raw = line.world.event(
            "stampRally", group, group.members[0], reply=True, stampRally={"stamp": 2, "of": 5}
        )
        await line.deliver([raw])
        [answer] = await line.wait_for_bot_messages(group, since=0)
        assert answer["text"] == "Stamp 2 of 5!"


async def test_typed_handlers_snippet() -> None:
    async with connect(_snippet_bot("typed_handlers.py")) as line:
        line.add_user("Nobody", consented=False)
        group = await line.create_group("G", ["Alice", "Nobody"])
        for user, text, expected in [
            ("Alice", "/roll a b", "/roll: 2 argument(s)"),
            ("Alice", "2 + 3", "5"),
            ("Alice", "/pick tea, coffee", "Pick one"),
            ("Nobody", "me", "LINE does not tell me who you are (add me as a friend)."),
        ]:
            await line.say(group, user, text)
            [answer] = await line.wait_for_bot_messages(group)
            assert answer.get("text", answer.get("altText")) == expected
        await line.say(group, "Alice", "me")
        [answer] = await line.wait_for_bot_messages(group)
        assert answer["text"].startswith("You are U")
        await line.tap_postback(group, "Alice", "pick:tea")
        [answer] = await line.wait_for_bot_messages(group)
        assert answer["text"] == "You picked tea."
