"""The benchmarks stay runnable (tiny loop counts; they print, and no timing is asserted)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _run(*argv: str) -> str:
    result = subprocess.run(
        [sys.executable, *argv],
        cwd=BENCHMARKS,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize("script", ["bench_webhook.py", "bench_dispatch.py"])
def test_benchmark_runs_and_reports_ratios(script: str) -> None:
    out = _run(script, "--repeat", "1", "--number", "2")
    assert "faster than the SDK" in out
    assert "10 event(s)" in out


def test_dispatch_benchmark_reports_us_per_event(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    out = _run("bench_dispatch.py", "--repeat", "1", "--number", "1", "--json", str(figures))
    assert "through 36 handlers with filters" in out
    assert json.loads(figures.read_text())["dispatch"]["us_per_event"] > 0


def test_store_benchmark_runs_and_reports_ratios() -> None:
    # Whole servers on 127.0.0.1 (Redis only when redis-server is installed); tiny rounds.
    out = _run("bench_stores.py", "--repeat", "1", "--number", "1")
    assert "x bare aiohttp" in out
    assert "10 event(s)" in out
    assert "p99 ms" in out


def test_whole_app_benchmark_with_the_aiohttp_client(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    out = _run(
        *("bench_stores.py", "--repeat", "1", "--number", "1", "--only", "bare,sdk,memory"),
        *("--client", "aiohttp", "--json", str(figures)),
    )
    assert "client: aiohttp" in out
    memory = json.loads(figures.read_text())["app/10"]["linegroupbot memory://"]
    assert memory["server_us_per_request"] > 0
    assert "cpu_vs_bare" in memory


def test_whole_app_benchmark_on_both_event_loops(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    out = _run(
        *("bench_stores.py", "--repeat", "1", "--number", "1", "--only", "bare,sdk,memory"),
        *("--loop", "both", "--json", str(figures)),
    )
    assert "x the SDK pattern" in out
    app = json.loads(figures.read_text())["app/10"]
    assert "linegroupbot memory://" in app
    assert app["linegroupbot memory://"]["p99_ms"] > 0
    if "[uvloop]" in out:  # the uvloop extra is installed
        assert "linegroupbot memory:// [uvloop]" in app


def test_push_benchmark_runs_at_both_concurrencies(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    out = _run("bench_push.py", "--repeat", "1", "--number", "0", "--json", str(figures))
    assert "concurrency 1:" in out
    assert "concurrency 32:" in out
    push = json.loads(figures.read_text())["push/asyncio"]
    assert set(push) == {"1", "32"}


def test_import_benchmark_runs() -> None:
    out = _run("bench_import.py", "--repeat", "1")
    assert "import linegroupbot is" in out
    assert "from linegroupbot import Bot is" in out
    # With rich installed (structlog imports it), a contender imports the bot as an install
    # without rich does; without rich there is nothing to hide and no such line.
    has_rich = importlib.util.find_spec("rich") is not None
    assert ("from linegroupbot import Bot (no rich) is" in out) is has_rich


def test_the_import_benchmark_hides_rich_as_a_missing_package_would() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_import
    finally:
        sys.path.remove(str(BENCHMARKS))
    probe = bench_import.HIDE_RICH + "from linegroupbot import Bot; import structlog.dev as d;"
    probe += "print(d.rich is None, 'rich.console' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split() == ["True", "False"]


def test_memory_benchmark_runs(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    out = _run("bench_memory.py", "--events", "200", "--json", str(figures))
    assert "growth from the first tenth" in out
    assert len(json.loads(figures.read_text())["memory/asyncio"]["samples"]) == 10


def test_report_draws_the_table_and_the_plot_from_the_figures(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    _run("bench_webhook.py", "--repeat", "1", "--number", "2", "--json", str(figures))
    _run("bench_import.py", "--repeat", "1", "--json", str(figures))
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import report
    finally:
        sys.path.remove(str(BENCHMARKS))
    page = tmp_path / "page.md"
    page.write_text(f"# Title\n\n{report.START}\nold\n{report.END}\n\nafter\n")
    image = tmp_path / "plot.svg"
    report.write_page(json.loads(figures.read_text()), page, image)
    text = page.read_text()
    assert "old" not in text
    assert text.endswith("after\n")
    assert "| verify + parse, 10 events: x the SDK |" in text
    assert "| from linegroupbot import Bot: x import aiohttp |" in text
    root = ElementTree.fromstring(image.read_text())  # noqa: S314 (our own file)
    labels = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "verify + parse, 1 event: x the SDK" in labels


@pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs two CPUs to pin to",
)
def test_a_server_started_by_a_pinned_process_gets_another_cpu() -> None:
    # The parent pins itself first; its child inherits that one-CPU affinity, and must
    # still be able to move to the other CPU (as bench_push's fake server does).
    script = (
        "import os, subprocess, sys, _common\n"
        "_common.pin(0)\n"
        "child = subprocess.run([sys.executable, '-c', "
        "'import _common; _common.pin(1); print(_common.pinned_to())'], "
        "capture_output=True, text=True, check=True)\n"
        "print(_common.pinned_to(), child.stdout.strip())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "BENCH_CPUS"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BENCHMARKS,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=env,
    )
    parent, child = result.stdout.split()
    assert parent != child
    assert {parent, child} <= {str(cpu) for cpu in os.sched_getaffinity(0)}
