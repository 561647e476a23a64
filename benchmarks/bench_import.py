"""Import time: ``import linegroupbot`` vs ``import aiohttp`` (and the SDK), in fresh interpreters.

Run: ``python benchmarks/bench_import.py``.

Each sample is a new ``python -c`` process that times only the import statement (the
interpreter's own start-up is left out); the contenders alternate, sample by sample, so a
busy machine slows them alike. Medians with min-max are printed, and the ratio to aiohttp
(which linegroupbot imports itself: the ratio can never be below 1).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys

import _common

TARGET = 1.5
PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def _sample(module: str) -> float:
    result = subprocess.run(  # noqa: S603 (this interpreter, our own probe)
        [sys.executable, "-c", PROBE.format(module=module)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return float(result.stdout.strip()) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15, help="samples per module")
    parser.add_argument("--json", help="merge the figures into this JSON file (for report.py)")
    args = parser.parse_args()
    modules = ["aiohttp", "linegroupbot"]
    if importlib.util.find_spec("linebot") is not None:
        modules.append("linebot.v3.webhooks")
    contenders = {m: (lambda m=m: _sample(m)) for m in modules}
    for fn in contenders.values():
        fn()  # warm the file system cache and the bytecode caches
    times = _common.timed_rounds(contenders, args.repeat)
    print(f"import time, ms; median (min-max) of {args.repeat} fresh interpreters each")
    for module, values in times.items():
        print(f"  import {module:22s} {_common.spread(values):>22s} ms")
    ratio = _common.ratios(times["linegroupbot"], times["aiohttp"])
    print(f"  import linegroupbot is {_common.spread(ratio)}x import aiohttp (target <= {TARGET}x)")
    with _common.results_file(args.json) as results:
        results["import"] = {module: _common.median(values) for module, values in times.items()} | {
            "ratio": _common.median(ratio)
        }


if __name__ == "__main__":
    main()
