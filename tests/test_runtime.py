"""The event loop ``Bot.run()`` serves on: uvloop when installed, unless told otherwise."""

from __future__ import annotations

import asyncio
import importlib.util

import pytest

from linegroupbot import ConfigurationError
from linegroupbot.runtime import LOOP_ENV, run_on_loop

HAVE_UVLOOP = importlib.util.find_spec("uvloop") is not None


async def loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__.split(".")[0]


def test_auto_takes_uvloop_when_it_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LOOP_ENV, raising=False)
    assert run_on_loop(loop_module()) == ("uvloop" if HAVE_UVLOOP else "asyncio")


def test_the_environment_or_the_argument_turns_uvloop_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(LOOP_ENV, "asyncio")
    assert run_on_loop(loop_module()) == "asyncio"
    monkeypatch.delenv(LOOP_ENV)
    assert run_on_loop(loop_module(), "asyncio") == "asyncio"


def test_an_event_loop_policy_of_your_own_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    class Mine(asyncio.DefaultEventLoopPolicy):
        pass

    monkeypatch.delenv(LOOP_ENV, raising=False)
    previous = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(Mine())
    try:
        assert run_on_loop(loop_module()) == "asyncio"
    finally:
        asyncio.set_event_loop_policy(previous)


def test_an_unknown_loop_or_a_missing_uvloop_is_refused_saying_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(LOOP_ENV, "tokio")
    with pytest.raises(ConfigurationError, match="auto, asyncio, uvloop"):
        run_on_loop(loop_module())
    monkeypatch.delenv(LOOP_ENV)
    if HAVE_UVLOOP:
        assert run_on_loop(loop_module(), "uvloop") == "uvloop"
    else:
        with pytest.raises(ConfigurationError, match="pip install"):
            run_on_loop(loop_module(), "uvloop")
