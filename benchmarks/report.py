"""Run every benchmark once and write the Performance page's table and plot from the figures.

Run: ``python benchmarks/report.py --run`` (a few minutes; each benchmark is bounded and
they run one after another, with a pause between them), or without ``--run`` to redraw the
page from ``benchmarks/results.json``. It writes

- ``benchmarks/results.json``: every figure, as each benchmark's ``--json`` wrote it;
- ``docs/_static/performance.svg``: each ratio as a share of its target (100% = met);
- the table between the ``figures`` markers of ``docs/concepts/performance.md``.

``--smoke`` runs every benchmark with tiny counts (what the tests do) into a scratch file.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from html import escape
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results.json"
SVG = ROOT / "docs" / "_static" / "performance.svg"
PAGE = ROOT / "docs" / "concepts" / "performance.md"
START, END = "<!-- figures:start -->", "<!-- figures:end -->"

FULL = [
    ["bench_webhook.py"],
    ["bench_dispatch.py"],
    ["bench_push.py", "--loop", "both"],
    ["bench_stores.py", "--only", "bare,sdk,memory", "--loop", "both"],
    ["bench_import.py"],
    ["bench_memory.py"],
]
SMOKE_ARGS = {
    "bench_webhook.py": ["--repeat", "1", "--number", "2"],
    "bench_dispatch.py": ["--repeat", "1", "--number", "1"],
    "bench_push.py": ["--repeat", "1", "--number", "0"],
    "bench_stores.py": ["--repeat", "1", "--number", "1"],
    "bench_import.py": ["--repeat", "1"],
    "bench_memory.py": ["--events", "200"],
}
PAUSE = 5.0  # seconds between benchmarks: the machine is shared


def run_all(results: Path, *, smoke: bool) -> None:
    """Run each benchmark, merging its figures into ``results``."""
    if results.exists():
        results.unlink()
    for argv in FULL:
        extra = SMOKE_ARGS[argv[0]] if smoke else []
        command = [sys.executable, *argv, *extra, "--json", str(results)]
        print("$", " ".join(["python", *argv, *extra]), flush=True)
        subprocess.run(command, cwd=HERE, check=True, timeout=900)  # noqa: S603 (our scripts)
        if not smoke:
            time.sleep(PAUSE)
    data = json.loads(results.read_text())
    data["machine"] = {
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.machine()}",
        "when": time.strftime("%Y-%m-%d", time.gmtime()),
    }
    results.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def _get(data: dict[str, Any], *path: str) -> Any:
    value: Any = data
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def rows(data: dict[str, Any]) -> list[tuple[str, float | None, str, float, bool]]:
    """(what, measured, unit, target, higher is better) for every target of the issue."""
    app = "linegroupbot memory://"
    out: list[tuple[str, float | None, str, float, bool]] = [
        ("verify + parse, 1 event: x the SDK", _get(data, "parse", "1", "vs_sdk"), "x", 10, True),
        (
            "verify + parse, 10 events: x the SDK",
            _get(data, "parse", "10", "vs_sdk"),
            "x",
            20,
            True,
        ),
    ]
    for loop, suffix in (("asyncio", ""), ("uvloop", " [uvloop]")):
        bare = _get(data, "app/10", app + suffix, "vs_bare")
        sdk = _get(data, "app/10", app + suffix, "vs_sdk")
        if bare is None and loop == "uvloop":
            continue
        out.append((f"whole app, 10 events ({loop}): x bare aiohttp", bare, "x", 0.6, True))
        out.append((f"whole app, 10 events ({loop}): x the SDK", sdk, "x", 6, True))
    for loop in ("asyncio", "uvloop"):
        for concurrency in ("1", "32"):
            ratio = _get(data, f"push/{loop}", concurrency, "ratio")
            if ratio is None and loop == "uvloop":
                continue
            what = f"push, concurrency {concurrency} ({loop}): x raw aiohttp"
            out.append((what, ratio, "x", 0.9, True))
    imports = data.get("import", {})
    out.append(
        (
            "from linegroupbot import Bot: x import aiohttp",
            imports.get("from linegroupbot import Bot / import aiohttp"),
            "x",
            1.5,
            False,
        )
    )
    no_rich = imports.get("from linegroupbot import Bot (no rich) / import aiohttp")
    if no_rich is not None:
        what = "from linegroupbot import Bot, rich not installed: x import aiohttp"
        out.append((what, no_rich, "x", 1.5, False))
    out.append(
        (
            "import linegroupbot: x import aiohttp",
            imports.get("import linegroupbot / import aiohttp"),
            "x",
            1.5,
            False,
        )
    )
    growth = _get(data, "memory/asyncio", "growth_percent")
    out.append(("RSS growth over 100k events", growth, "%", 5, False))
    return out


def _met(measured: float | None, target: float, higher: bool) -> bool:
    if measured is None:
        return False
    return measured >= target if higher else measured <= target


def table(data: dict[str, Any]) -> str:
    """The page's Markdown table of figures against targets, and the other figures."""
    lines = ["| measure | measured | target | met |", "| --- | --- | --- | --- |"]
    for what, measured, unit, target, higher in rows(data):
        shown = "-" if measured is None else f"{measured:.2f}{unit}"
        goal = f"{'≥' if higher else '≤'} {target:g}{unit}"
        lines.append(
            f"| {what} | {shown} | {goal} | {'yes' if _met(measured, target, higher) else 'no'} |"
        )
    lines.append("")
    lines.append("| other figures | value |")
    lines.append("| --- | --- |")
    us = _get(data, "dispatch", "us_per_event")
    if us is not None:
        lines.append(f"| `Bot.process` through 36 filtered handlers | {us:.1f} µs/event |")
    for loop, suffix in (("asyncio", ""), ("uvloop", " [uvloop]")):
        for name in ("bare aiohttp", "line-bot-sdk WebhookParser", "linegroupbot memory://"):
            figures = _get(data, "app/10", name + suffix)
            if figures is None:
                continue
            handled = figures.get("handled_eps")
            cpu = figures.get("server_us_per_request")
            lines.append(
                f"| {name} ({loop}), 10-event bodies | {figures['rps']:.0f} req/s, "
                f"p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms"
                + (f", {handled:.0f} events handled/s" if handled else "")
                + (f", server CPU {cpu:.0f} µs/request" if cpu else "")
                + " |"
            )
    for key in ("1", "10"):
        parse = _get(data, "parse", key)
        if parse is not None:
            ours = parse.get("linegroupbot.parse_webhook")
            sdk = parse.get("line-bot-sdk WebhookParser")
            floor = parse.get("floor (hmac + orjson)")
            lines.append(
                f"| verify + parse, {key} event(s) | linegroupbot {ours:.0f} µs, SDK "
                f"{sdk or 0:.0f} µs, hmac + orjson floor {floor:.0f} µs "
                f"({parse.get('vs_floor', 0):.2f}x the floor) |"
            )
    machine = data.get("machine")
    if machine:
        lines.append(
            f"| run | {machine['when']}, Python {machine['python']}, {machine['system']} |"
        )
    return "\n".join(lines)


def svg(data: dict[str, Any]) -> str:
    """A horizontal bar per target: the measured figure as a share of the target."""
    entries = rows(data)
    width, left, bar_h, gap, top = 1000, 360, 18, 8, 40
    scale_max = 2.0  # 200% of the target at the right edge
    plot_w = width - left - 230  # room for the labels right of the longest bar
    height = top + len(entries) * (bar_h + gap) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        '<text x="10" y="20" font-size="14" font-weight="bold">'
        "Measured figure as a share of its target (100% = met; ratios from one run)</text>",
    ]
    x100 = left + plot_w / scale_max
    for i, (what, measured, unit, target, higher) in enumerate(entries):
        y = top + i * (bar_h + gap)
        share = 0.0
        if measured is not None and measured > 0:
            share = measured / target if higher else target / measured
        shown = min(share, scale_max)
        colour = "#2e7d32" if _met(measured, target, higher) else "#c62828"
        label = "-" if measured is None else f"{measured:.2f}{unit}"
        goal = f"{'≥' if higher else '≤'} {target:g}{unit}"
        parts.append(
            f'<text x="{left - 8}" y="{y + bar_h - 5}" text-anchor="end">{escape(what)}</text>'
        )
        parts.append(
            f'<rect x="{left}" y="{y}" width="{shown * plot_w / scale_max:.1f}" '
            f'height="{bar_h}" fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{left + shown * plot_w / scale_max + 4:.1f}" y="{y + bar_h - 5}">'
            f"{escape(label)} (target {escape(goal)})</text>"
        )
    bottom = top + len(entries) * (bar_h + gap)
    parts.append(
        f'<line x1="{x100:.1f}" y1="{top - 6}" x2="{x100:.1f}" y2="{bottom}" '
        'stroke="black" stroke-dasharray="4 3"/>'
    )
    for pct in (0, 50, 100, 150, 200):
        x = left + pct / 100 * plot_w / scale_max
        parts.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{pct}%</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_page(data: dict[str, Any], page: Path, image: Path) -> None:
    """Replace the figures section of ``page`` and write the plot to ``image``."""
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_text(svg(data))
    text = page.read_text()
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    page.write_text(f"{head}{START}\n{table(data)}\n{END}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--run", action="store_true", help="run every benchmark first")
    parser.add_argument("--smoke", action="store_true", help="tiny counts, scratch output")
    parser.add_argument("--results", default=str(RESULTS), help="the figures file")
    args = parser.parse_args()
    results = Path(args.results)
    if args.run or args.smoke:
        run_all(results, smoke=args.smoke)
    data = json.loads(results.read_text())
    print(table(data))
    if not args.smoke:
        write_page(data, PAGE, SVG)
        print(f"wrote {SVG.relative_to(ROOT)} and the table of {PAGE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
