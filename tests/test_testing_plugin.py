"""The pytest plugin's ``line`` fixture, run in a pytest of its own (pytester)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

_INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""

_BOT = """
import pytest
from linegroupbot import Bot, Context

@pytest.fixture
def bot() -> Bot:
    bot = Bot(retry_delay=0.05)

    @bot.on_message(command="boom")
    async def boom(ctx: Context) -> None:
        raise LookupError("the handler broke")

    @bot.on_message(command="ok")
    async def ok(ctx: Context) -> None:
        await ctx.reply("fine")

    @bot.on_message(command="members")
    async def members(ctx: Context) -> None:
        await ctx.reply(str(len([m async for m in ctx.member_ids()])))

    return bot
"""


def _run(pytester: pytest.Pytester, tests: str) -> pytest.RunResult:
    pytester.makeini(_INI)
    pytester.makepyfile(test_bot=_BOT + tests)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")


def test_a_handler_error_fails_the_test_at_once_with_that_error(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
async def test_boom(line):
    group = await line.create_group("G", ["Alice"])
    await line.say(group, "Alice", "/boom")
    await line.wait_for_bot_messages(group, timeout=30)
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*LookupError: the handler broke*"])
    result.stdout.fnmatch_lines(["*raised by handler test_bot.bot.<locals>.boom*"])
    assert "TimeoutError" not in result.stdout.str()


def test_a_handler_error_ends_a_wait_for_something_else(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
async def test_boom_unwaited(line):
    group = await line.create_group("G", ["Alice"])
    await line.say(group, "Alice", "/boom")
    await line.say(group, "Alice", "/ok")
    [answer] = await line.wait_for_bot_messages(group)
""",
    )
    # The wait itself raises: the failed event was handled before the /ok one.
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*LookupError: the handler broke*"])


def test_a_handler_error_nobody_waited_for_fails_at_teardown(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
async def test_boom_and_leave(line):
    group = await line.create_group("G", ["Alice"])
    await line.say(group, "Alice", "/boom")  # and ends before the bot handled it
""",
    )
    result.assert_outcomes(passed=1, errors=1)  # the test body passed; its teardown did not
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_boom_and_leave*"])
    result.stdout.fnmatch_lines(["*LookupError: the handler broke*"])


def test_an_expected_handler_error_is_raised_once(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
import pytest

async def test_expected(line):
    group = await line.create_group("G", ["Alice"])
    await line.say(group, "Alice", "/boom")
    with pytest.raises(LookupError):
        await line.wait_for_bot_messages(group)
    await line.say(group, "Alice", "/ok")
    [answer] = await line.wait_for_bot_messages(group)
    assert answer["text"] == "fine"
""",
    )
    result.assert_outcomes(passed=1)


def test_the_line_marker_opts_out_and_sets_the_emulator(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
import pytest

@pytest.mark.line(raise_handler_errors=False)
async def test_only_logged(line):
    group = await line.create_group("G", ["Alice"])
    await line.say(group, "Alice", "/boom")
    with pytest.raises(TimeoutError):
        await line.wait_for_bot_messages(group, timeout=0.5)

@pytest.mark.line(verified=True, reply_token_ttl=12.5)
async def test_verified(line):
    assert line.settings.reply_token_ttl == 12.5
    group = await line.create_group("G", ["Alice", "Bob"])
    await line.say(group, "Alice", "/members")
    [answer] = await line.wait_for_bot_messages(group)
    assert answer["text"] == "2"

@pytest.mark.line(verifed=True)
async def test_typo(line):
    pass
""",
    )
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*unknown setting(s)*verifed*"])


def test_module_marker_applies_to_line_emulator(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
import pytest

pytestmark = pytest.mark.line(verified=True)

async def test_emulator_alone(line_emulator):
    assert line_emulator.settings.verified is True

@pytest.mark.line(verified=False)
async def test_nearest_wins(line_emulator):
    assert line_emulator.settings.verified is False
""",
    )
    result.assert_outcomes(passed=2)
