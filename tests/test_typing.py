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
