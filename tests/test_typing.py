"""Type checking a user's bot: mypy --strict from outside the checkout, as users run it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def _mypy(folder: Path, *files: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(folder / ".cache"), *files],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_mypy_strict_finds_the_installed_package_from_a_bot_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(
        textwrap.dedent(
            """
            from linegroupbot import Bot, Context
            from linegroupbot_shout import SHOUT

            bot = Bot()


            @bot.on_message(command="hi")
            async def hi(ctx: Context) -> None:
                await ctx.reply(ctx.ext[SHOUT].shout("hello"))
            """
        )
    )
    (tmp_path / "bad.py").write_text(
        "from linegroupbot import Bot\n\nBot().on_message(command=3)\n"
    )
    result = _mypy(tmp_path, "good.py", "bad.py")
    assert "import-not-found" not in result.stdout, result.stdout
    # It really checks: the mistake in bad.py is found, and nothing in good.py.
    assert 'bad.py:3: error: No overload variant of "on_message"' in result.stdout, result.stdout
    assert "good.py" not in result.stdout, result.stdout


def test_decorators_type_the_context_and_the_injected_values(tmp_path: Path) -> None:
    (tmp_path / "typed.py").write_text(
        textwrap.dedent(
            """
            import re

            from linegroupbot import (
                Bot, CommandMatch, Context, MemberJoinedContext, MessageContext, PostbackContext,
            )
            from linegroupbot.errors import LineApiError

            bot = Bot()


            @bot.on_message(command="poll", scope=("group", "room"))
            async def poll(ctx: MessageContext, command: CommandMatch, chat_id: str) -> None:
                await ctx.reply(command.args + chat_id + str(ctx.message.id))


            @bot.on_message(regex="x")
            async def rx(ctx: Context, match: re.Match[str]) -> None:
                await ctx.reply(match[0])


            @bot.on_postback(data_prefix="vote:")
            async def vote(ctx: PostbackContext) -> None:
                await ctx.reply(ctx.postback.data)


            @bot.on_member_joined
            async def hello(ctx: MemberJoinedContext) -> None:
                await ctx.reply(str(len(ctx.event.joined.members)))


            @bot.on_error(LineApiError)
            async def refused(ctx: Context, error: LineApiError) -> None:
                ctx.log.warning("refused", status=error.status)


            reveal_type(poll)
            """
        )
    )
    (tmp_path / "mistyped.py").write_text(
        textwrap.dedent(
            """
            from linegroupbot import Bot, MessageContext, PostbackContext

            bot = Bot()


            @bot.on_postback
            async def wrong_kind(ctx: MessageContext) -> None: ...


            @bot.on_message
            async def maybe_postback(ctx: MessageContext) -> None:
                print(ctx.postback.data)  # a message's postback is None
            """
        )
    )
    result = _mypy(tmp_path, "typed.py", "mistyped.py")
    out = result.stdout
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert not [line for line in errors if line.startswith("typed.py")], out
    assert "typed.py:37: note: Revealed type is" in out, out
    assert "MessageContext, command: linegroupbot.context.CommandMatch, chat_id: str" in out, out
    assert any(line.startswith("mistyped.py:7:") and "on_postback" in line for line in errors), out
    assert any(line.startswith("mistyped.py:13:") and "union-attr" in line for line in errors), out


def test_the_code_users_copy_needs_no_asserts() -> None:
    import ast

    root = Path(__file__).resolve().parents[1]
    files = [
        *root.glob("examples/*.py"),
        *root.glob("examples/multimodule/**/*.py"),
        *root.glob("examples/plugin_shout/linegroupbot_shout/*.py"),
        *(p for p in root.glob("docs/snippets/*.py") if p.name != "testing_example.py"),
    ]
    asserting = [
        f"{path.relative_to(root)}:{node.lineno}"
        for path in files
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Assert)
    ]
    assert asserting == []
