"""How long the page takes to show what a knob move does, in a real headless Chromium.

Starts ``signalchain serve`` on a free port of 127.0.0.1, opens the seed rig (example 01) in
Debian's Chromium (Playwright, no download), moves a slider ``--moves`` times (one move at a
time, waiting for each answer) and measures, in the page, the time from the slider's
``input`` event to the moment htmx has swapped in the new listener cards (request, server
simulate and HTML, transfer, swap). Target: about 100 ms. Also reports the server's CPU time
per move. Bounded: a fixed number of moves, each with a 10 s time-out.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile

from benchmarks.web_load import free_port, proc_status, start_server

MOVE = """
async (value) => {
  const el = document.querySelector('input[name="knob:hm4.out1"]');
  const done = new Promise((resolve) => {
    const handler = (ev) => {
      if (ev.detail.target.id === "listeners") {
        document.body.removeEventListener("htmx:afterSwap", handler);
        resolve(performance.now());
      }
    };
    document.body.addEventListener("htmx:afterSwap", handler);
  });
  const t0 = performance.now();
  el.value = value;
  el.dispatchEvent(new Event("input", {bubbles: true}));
  const timeout = new Promise((_, reject) => setTimeout(() => reject("timeout"), 10000));
  return (await Promise.race([done, timeout])) - t0;
}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=40)
    args = parser.parse_args()
    if not 1 <= args.moves <= 500:
        raise SystemExit("--moves 1..500")
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM_ARGS, chromium_path

    with tempfile.TemporaryDirectory(prefix="signalchain-page-") as workspace:
        port = free_port()
        server = start_server(port, workspace)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium_path(),
                                            args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(f"http://127.0.0.1:{port}/?example=01-headphone-out-to-splitter.yaml")
                page.wait_for_selector('input[name="knob:hm4.out1"]')
                page.evaluate(MOVE, 0.45)  # warm-up
                cpu0 = proc_status(server.pid)["cpu_s"]
                times = [page.evaluate(MOVE, 0.2 + 0.6 * (i % 20) / 19)
                         for i in range(args.moves)]
                cpu_ms = (proc_status(server.pid)["cpu_s"] - cpu0) / args.moves * 1e3
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    q = statistics.quantiles(times, n=20)
    print(f"knob move → listener cards updated in the page, {args.moves} moves (ms): "
          f"min {min(times):.1f}  median {statistics.median(times):.1f}  p95 {q[18]:.1f}  "
          f"max {max(times):.1f}; server CPU {cpu_ms:.1f} ms per move")
    verdict = "OK" if statistics.median(times) < 100 else "SLOWER THAN ~100 ms"
    print(verdict)
    return 0


if __name__ == "__main__":
    sys.exit(main())
