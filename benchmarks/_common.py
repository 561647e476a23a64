"""What the benchmarks share: statistics over interleaved rounds, event loops, result files.

Every benchmark runs its contenders interleaved (round r runs every contender once, in an
order rotated by r), so that the noise of a shared machine falls on all of them alike, and
reports medians with their spread (min-max over rounds) and ratios to a reference taken
round by round. ``--json PATH`` writes the figures for ``report.py`` (the docs page).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
from collections.abc import Callable, Coroutine, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

LOOPS = ("asyncio", "uvloop")


def have_uvloop() -> bool:
    """Whether the optional ``uvloop`` extra is installed."""
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


def loops_from(arg: str) -> list[str]:
    """``asyncio``, ``uvloop`` or ``both`` -> the loops to measure (uvloop only if installed)."""
    wanted = list(LOOPS) if arg == "both" else [arg]
    if "uvloop" in wanted and not have_uvloop():
        print("uvloop not installed (pip install -e '.[uvloop]'): measuring asyncio only")
        wanted = [w for w in wanted if w != "uvloop"] or ["asyncio"]
    return wanted


def run(main: Coroutine[Any, Any, T], loop: str = "asyncio") -> T:
    """``asyncio.run`` on the named event loop implementation."""
    if loop == "uvloop":
        import uvloop

        return uvloop.run(main)
    return asyncio.run(main)


CPUS_VARIABLE = "BENCH_CPUS"


def pin(cpu: int) -> None:
    """Keep this process on one CPU when the machine has more than one (Linux only).

    ``cpu`` indexes the CPUs the first pinned process of a run was allowed: that set is
    kept in ``$BENCH_CPUS`` for the processes it starts, which inherit its (one-CPU)
    affinity and could otherwise never leave its CPU (a fake server started by a pinned
    client would share the client's CPU).
    """
    with contextlib.suppress(AttributeError, OSError, ValueError):
        inherited = os.environ.get(CPUS_VARIABLE)
        if inherited:
            cpus = sorted(int(c) for c in inherited.split(","))
        else:
            cpus = sorted(os.sched_getaffinity(0))
            os.environ[CPUS_VARIABLE] = ",".join(map(str, cpus))
        if len(cpus) > 1:
            os.sched_setaffinity(0, {cpus[cpu % len(cpus)]})


def pinned_to() -> str:
    """The CPUs this process may run on, as text (``0``, ``0-1``, ...), for reports."""
    with contextlib.suppress(AttributeError, OSError):
        return ",".join(map(str, sorted(os.sched_getaffinity(0))))
    return "any"


def rotated(items: Sequence[T], r: int) -> list[T]:
    """``items`` rotated by ``r``: round r starts with a different contender."""
    if not items:
        return []
    shift = r % len(items)
    return [*items[shift:], *items[:shift]]


def median(values: Sequence[float]) -> float:
    """The median (0.0 for no values)."""
    return statistics.median(values) if values else 0.0


def spread(values: Sequence[float]) -> str:
    """``median (min-max)`` with a precision that suits the size of the numbers."""
    if not values:
        return "-"
    m = median(values)
    digits = 0 if abs(m) >= 100 else (1 if abs(m) >= 10 else 2)
    return f"{m:.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def ratios(numerator: Sequence[float], denominator: Sequence[float]) -> list[float]:
    """Per-round ratios (rounds are paired: the same round ran both)."""
    return [n / d for n, d in zip(numerator, denominator, strict=False) if d]


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by the inclusive method."""
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, int(q) - 1))]


@contextlib.contextmanager
def results_file(path: str | None) -> Iterator[dict[str, Any]]:
    """A dict the benchmark fills; written to ``path`` as JSON (merged into what is there)."""
    data: dict[str, Any] = {}
    yield data
    if path:
        target = Path(path)
        existing: dict[str, Any] = {}
        if target.exists():
            with contextlib.suppress(ValueError):
                existing = json.loads(target.read_text())
        existing.update(data)
        target.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")


def timed_rounds(contenders: dict[str, Callable[[], float]], repeat: int) -> dict[str, list[float]]:
    """Call each contender once per round, interleaved; each returns its own measurement."""
    names = list(contenders)
    out: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeat):
        for name in rotated(names, r):
            out[name].append(contenders[name]())
    return out
