"""How much a live update of the emulator page costs in a long chat (headless Chromium).

Fills a group with ``--messages`` messages, opens the page, then times the page's own
``renderAll()`` with its row cache cleared (every bubble rebuilt, as the page did before it
kept rows) against the cached update a new message gets. Prints times and their ratio.

    python benchmarks/bench_emulator_page.py --messages 2000 --repeat 5
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics

from linegroupbot.emulator import Emulator

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

TIME_RENDER = """(cold) => {
  if (cold) rowCache.clear();
  const started = performance.now();
  renderAll();
  return performance.now() - started;
}"""


async def main(messages: int, repeat: int) -> None:
    from playwright.async_api import async_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Chromium is not installed: apt-get install chromium")
    async with Emulator() as emulator, async_playwright() as pw:
        group = await emulator.create_group("Busy", ["Alice", "Bob"], invite_bot=False)
        for i in range(messages):
            await emulator.say(group, "Alice" if i % 2 else "Bob", f"message {i}, @Bob")
        browser = await pw.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await page.goto(emulator.url + "/")
            await page.wait_for_selector("body[data-ready='1']")
            await page.click(f"[data-chat-id='{group.chat_id}']")
            cold = [await page.evaluate(TIME_RENDER, True) for _ in range(repeat)]
            warm = [await page.evaluate(TIME_RENDER, False) for _ in range(repeat)]
        finally:
            await browser.close()
    cold_ms, warm_ms = statistics.median(cold), statistics.median(warm)
    print(f"{messages} messages, median of {repeat}:")
    print(f"  every row rebuilt: {cold_ms:8.1f} ms per update")
    print(f"  rows kept:         {warm_ms:8.1f} ms per update")
    print(f"  kept rows are {cold_ms / max(warm_ms, 0.01):.1f}x faster")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    asyncio.run(main(options.messages, options.repeat))
