"""How fast the playground trains and redraws: steps/s and frames/s against the issue's goals.

    python benchmarks/bench_playground.py            # 5 s per measurement
    python benchmarks/bench_playground.py --smoke    # 1 s, what the tests run

Goal (issue 14): a 2-8-8-2 network on 500 points trains at >= 30 steps/s while the boundary is
redrawn at >= 10 frames/s, on 2 CPU cores. Two measurements:

1. the play loop in Python (``Controller.tick``: as many steps as fit in a frame, then the frame
   with the boundary grid), for batch 32 and for the full batch;
2. the whole path in headless Chromium, when Playwright and the browser are installed: the page
   counts the frames it drew and the steps they showed, and we time a "pause" click's round trip.

The last line is the numbers as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from chainrule.playground import Config, Controller  # noqa: E402

GOAL_STEPS, GOAL_FPS = 30.0, 10.0
BROWSER = "/usr/bin/chromium-headless-shell"


def play_loop(batch: int, seconds: float) -> tuple[float, float]:
    c = Controller(Config(data="moons", n=500, hidden=[8, 8], act=["relu"], batch=batch))
    c.tick()  # warm up
    start_step, frames, start = c.session.step_count, 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        c.tick()
        frames += 1
    elapsed = time.perf_counter() - start
    return (c.session.step_count - start_step) / elapsed, frames / elapsed


def in_browser(seconds: float) -> dict[str, float] | None:
    try:
        import uvicorn
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not os.path.exists(BROWSER) and not shutil.which("chromium-headless-shell"):
        return None
    from chainrule.playground.server import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(), port=port, log_level="warning", ws="websockets-sansio")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=BROWSER)
            page = browser.new_page()
            page.goto(
                f"http://127.0.0.1:{port}/?data=moons&n=500&hidden=8,8&act=relu,relu&batch=32&val=0"
            )
            page.wait_for_function("window.chainrulePlayground?.state.points?.y.length === 500")
            page.click("#pg-play")
            page.wait_for_function("window.chainrulePlayground.state.playing")
            s0 = page.evaluate(
                "[window.chainrulePlayground.state.frame.step, window.chainrulePlayground.state.framesDrawn]"
            )
            time.sleep(seconds)
            s1 = page.evaluate(
                "[window.chainrulePlayground.state.frame.step, window.chainrulePlayground.state.framesDrawn]"
            )
            t = time.perf_counter()
            page.click("#pg-play")
            page.wait_for_function("!window.chainrulePlayground.state.playing")
            pause_ms = (time.perf_counter() - t) * 1000
            browser.close()
    finally:
        server.should_exit = True
    return {
        "steps_per_s": (s1[0] - s0[0]) / seconds,
        "frames_per_s": (s1[1] - s0[1]) / seconds,
        "pause_ms": pause_ms,
    }


def row(name: str, sps: float, fps: float) -> str:
    """One line of the table: each rate beside its ratio to the goal."""
    return f"{name:38} {sps:9.0f} {sps / GOAL_STEPS:7.1f} {fps:9.1f} {fps / GOAL_FPS:7.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="1 s per measurement")
    args = parser.parse_args()
    seconds = 1.0 if args.smoke else 5.0
    results: dict[str, float] = {}
    print(
        f"2-8-8-2 on 500 moons points, {os.cpu_count()} CPUs visible; "
        f"goals {GOAL_STEPS:g} steps/s, {GOAL_FPS:g} frames/s"
    )
    print(f"{'measurement':38} {'steps/s':>9} {'goal x':>7} {'frames/s':>9} {'goal x':>7}")
    for batch in (32, 500):
        sps, fps = play_loop(batch, seconds)
        results[f"loop_batch{batch}_steps_per_s"], results[f"loop_batch{batch}_frames_per_s"] = (
            sps,
            fps,
        )
        print(row(f"play loop in Python, batch {batch}", sps, fps))
    page = in_browser(seconds)
    if page is None:
        print("in the browser: skipped (needs playwright and chromium-headless-shell)")
    else:
        results.update({f"browser_{k}": v for k, v in page.items()})
        sps, fps = page["steps_per_s"], page["frames_per_s"]
        print(row("page in headless Chromium, batch 32", sps, fps))
        print(
            f"pause clicked while playing: the page showed it paused after {page['pause_ms']:.0f} ms"
        )
    print(json.dumps({k: round(v, 2) for k, v in results.items()}))


if __name__ == "__main__":
    main()
