"""Import time: ``import linegroupbot`` vs ``import aiohttp`` (and the SDK), in fresh interpreters.

Run: ``python benchmarks/bench_import.py``.

Each sample is a new ``python -c`` process that times only the import statement (the
interpreter's own start-up is left out); the contenders alternate, sample by sample, so a
busy machine slows them alike. Medians with min-max are printed, and ratios to aiohttp.

``import linegroupbot`` loads its names on first use (PEP 562), so it costs almost nothing
by itself; ``from linegroupbot import Bot`` is what a bot's module does, and it imports
aiohttp, attrs, cattrs and orjson; structlog (which imports rich when rich is installed)
comes when a logger is first used, not with the definition. That is the figure to read
against aiohttp. linegroupbot does not depend on rich, so when rich is installed (a
development environment) a fourth contender imports the bot as a plain ``pip install
linegroupbot`` does, with ``import rich`` failing as for a missing package: the two should
now be alike.

The probes run with bytecode caching on (``PYTHONDONTWRITEBYTECODE`` is dropped from their
environment), so the warm-up writes linegroupbot's ``.pyc`` files as an installed wheel has
them and as aiohttp's are: with it set, every sample would compile linegroupbot's sources
again and measure the compiler rather than the import.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys

import _common

TARGET = 1.5
PROBE = "{setup}import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
# structlog imports rich when it is installed; linegroupbot does not depend on it (a plain
# ``pip install linegroupbot`` has no rich), and no longer imports structlog when a bot is
# defined. This contender imports as an install without rich does:
# a ``None`` in ``sys.modules`` makes ``import rich`` fail as a missing package does.
NO_RICH = "from linegroupbot import Bot (no rich)"
HIDE_RICH = "import sys; sys.modules['rich'] = None; "
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _sample(statement: str) -> float:
    setup = ""
    if statement == NO_RICH:
        setup, statement = HIDE_RICH, "from linegroupbot import Bot"
    result = subprocess.run(  # noqa: S603 (this interpreter, our own probe)
        [sys.executable, "-c", PROBE.format(setup=setup, statement=statement)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=ENV,
    )
    return float(result.stdout.strip()) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15, help="samples per module")
    parser.add_argument("--json", help="merge the figures into this JSON file (for report.py)")
    args = parser.parse_args()
    statements = ["import aiohttp", "import linegroupbot", "from linegroupbot import Bot"]
    if importlib.util.find_spec("linebot") is not None:
        statements.append("import linebot.v3.webhooks")
    if importlib.util.find_spec("rich") is not None:
        statements.append(NO_RICH)
    contenders = {s: (lambda s=s: _sample(s)) for s in statements}
    for fn in contenders.values():
        fn()  # warm the file system cache and the bytecode caches
    times = _common.timed_rounds(contenders, args.repeat)
    print(f"import time, ms; median (min-max) of {args.repeat} fresh interpreters each")
    for statement, values in times.items():
        print(f"  {statement:38s} {_common.spread(values):>22s} ms")
    summary: dict[str, float] = {s: _common.median(v) for s, v in times.items()}
    for statement in ("import linegroupbot", "from linegroupbot import Bot", NO_RICH):
        if statement not in times:
            continue
        ratio = _common.ratios(times[statement], times["import aiohttp"])
        summary[f"{statement} / import aiohttp"] = _common.median(ratio)
        print(f"  {statement} is {_common.spread(ratio)}x import aiohttp (target <= {TARGET}x)")
    with _common.results_file(args.json) as results:
        results["import"] = summary


if __name__ == "__main__":
    main()
