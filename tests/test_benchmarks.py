"""The benchmarks stay runnable (tiny loop counts; no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize("script", ["bench_webhook.py", "bench_dispatch.py"])
def test_benchmark_runs_and_reports_ratios(script: str) -> None:
    result = subprocess.run(
        [sys.executable, script, "--repeat", "1", "--number", "2"],
        cwd=BENCHMARKS,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "faster than the SDK" in result.stdout
    assert "10 event(s)" in result.stdout


def test_store_benchmark_runs_and_reports_ratios() -> None:
    # Whole servers on 127.0.0.1 (Redis only when redis-server is installed); tiny rounds.
    result = subprocess.run(
        [sys.executable, "bench_stores.py", "--repeat", "1", "--number", "1"],
        cwd=BENCHMARKS,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "x bare aiohttp" in result.stdout
    assert "10 event(s)" in result.stdout
