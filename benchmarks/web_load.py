"""A bounded load test of ``signalchain serve`` on 127.0.0.1 (never another address).

Starts the server as its own process on a free loopback port with a fresh workspace, then:

1. **Knob moves**: ``--requests`` (500) ``POST /api/simulate`` of the seed rig, each with a
   random knob position, from ``--concurrency`` (8) threads with keep-alive connections —
   what the page's sliders send. Then 100 ``POST /ui/simulate`` one after the other (one
   user moving a slider: the HTML fragment the page swaps in) and ``--requests`` of them
   from ``--concurrency`` threads.
2. **Renders at once**: ``--renders`` (20) ``POST /api/render`` (5 s of music) started
   together: the queue (2 rendering, 4 waiting) must answer the others at once with 503
   ``queue-full``, not grow.

Reports latency min/p50/p95/max, throughput, the server's CPU time per request against the
same work in this process (the baseline: ``Rig.simulate`` with the same knobs), and the
server's memory (RSS after each half of the knob moves, to show it does not grow, and its
peak). Exits non-zero on any unexpected status or a memory bound exceeded. Every loop is
bounded in count and time; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

from signalchain.demo import example_paths

HOST = "127.0.0.1"
REQUEST_TIMEOUT_S = 60.0
MAX_RSS_MB = 800.0
"""The server's peak resident memory allowed (it holds at most 32 solved rigs)."""
MAX_GROWTH_MB = 30.0
"""RSS growth allowed between the first and the second half of the knob moves."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def proc_status(pid: int) -> dict[str, float]:
    """RSS and peak RSS (MB) and CPU seconds of a process, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    fields["cpu_s"] = (int(stat[11]) + int(stat[12])) / ticks
    return fields


def start_server(port: int, workspace: str) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "signalchain", "serve", "--host", HOST, "--port", str(port),
         "--workspace", workspace], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start within 30 s")


def encode_form(fields: dict[str, str]) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def multipart(fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = "signalchainbenchmark"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
             for k, v in fields.items()]
    return ("".join(parts) + f"--{boundary}--\r\n").encode(), \
        f"multipart/form-data; boundary={boundary}"


def run_requests(port: int, bodies: list[tuple[str, bytes, str]], concurrency: int
                 ) -> tuple[list[float], Counter[int]]:
    """Send every (path, body, content type) from ``concurrency`` threads; latencies (s)."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    queue = list(reversed(bodies))

    def worker() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
        while True:
            with lock:
                if not queue:
                    break
                path, body, ctype = queue.pop()
            t0 = time.perf_counter()
            conn.request("POST", path, body, {"content-type": ctype})
            res = conn.getresponse()
            res.read()
            dt = time.perf_counter() - t0
            with lock:
                latencies.append(dt)
                statuses[res.status] += 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=REQUEST_TIMEOUT_S * len(bodies))
    return latencies, statuses


def describe(name: str, latencies: list[float], wall_s: float) -> str:
    q = statistics.quantiles(latencies, n=100)
    return (f"{name:24s} n={len(latencies):4d}  min {min(latencies) * 1e3:6.1f}  "
            f"p50 {q[49] * 1e3:6.1f}  p95 {q[94] * 1e3:6.1f}  max {max(latencies) * 1e3:6.1f} ms"
            f"  {len(latencies) / wall_s:6.1f} req/s")


def main() -> int:  # noqa: C901 -- one scenario after the other, each reported
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--renders", type=int, default=20)
    args = parser.parse_args()
    if not (1 <= args.requests <= 5000 and 1 <= args.concurrency <= 64
            and 1 <= args.renders <= 100):
        raise SystemExit("--requests 1..5000, --concurrency 1..64, --renders 1..100")

    from signalchain.rig import Rig

    seed = example_paths()[0]
    text = seed.read_text()
    rig = Rig.from_text(text)
    knobs = sorted(rig.knobs)
    rng = random.Random(1)
    settings = [{k: round(rng.uniform(0.2, 0.9), 3) for k in knobs}
                for _ in range(args.requests)]

    # the baseline: the same simulations in this process
    rig.simulate(settings[0])
    c0 = time.process_time()
    for s in settings[:100]:
        rig.simulate(s)
    baseline_ms = (time.process_time() - c0) / 100 * 1e3

    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="signalchain-load-") as workspace:
        port = free_port()
        server = start_server(port, workspace)
        try:
            api = [("/api/simulate", json.dumps({"rig": text, "knobs": s}).encode(),
                    "application/json") for s in settings]
            run_requests(port, api[:8], 1)  # warm-up: imports, the first solve
            start = proc_status(server.pid)
            half = len(api) // 2
            w0 = time.perf_counter()
            lat1, st1 = run_requests(port, api[:half], args.concurrency)
            mid = proc_status(server.pid)
            lat2, st2 = run_requests(port, api[half:], args.concurrency)
            wall = time.perf_counter() - w0
            end = proc_status(server.pid)
            statuses = st1 + st2
            lat = lat1 + lat2
            print(f"server pid {server.pid} on {HOST}:{port}; seed rig, {len(knobs)} knobs; "
                  f"concurrency {args.concurrency}")
            print(describe("POST /api/simulate", lat, wall))
            cpu_ms = (end["cpu_s"] - start["cpu_s"]) / len(lat) * 1e3
            print(f"  server CPU {cpu_ms:.1f} ms/request; in-process simulate {baseline_ms:.1f} "
                  f"ms: ratio {cpu_ms / baseline_ms:.2f} (HTTP, JSON, threads)")
            print(f"  statuses {dict(statuses)}; RSS {start['VmRSS']:.0f} → "
                  f"{mid['VmRSS']:.0f} → {end['VmRSS']:.0f} MB")
            if set(statuses) != {200}:
                failures.append(f"simulate statuses {dict(statuses)}")
            if end["VmRSS"] - mid["VmRSS"] > MAX_GROWTH_MB:
                failures.append(f"RSS grew {end['VmRSS'] - mid['VmRSS']:.0f} MB in the "
                                "second half")

            page = [("/ui/simulate", encode_form({"rig": text, **{
                f"knob:{k}": str(v) for k, v in s.items()}}),
                "application/x-www-form-urlencoded") for s in settings]
            w0 = time.perf_counter()
            lat, statuses = run_requests(port, page[:100], 1)
            print(describe("one slider: /ui/simulate", lat, time.perf_counter() - w0))
            print("  one user moving a knob: each answer is the page's update (target ~100 ms)")
            if set(statuses) != {200}:
                failures.append(f"page statuses {dict(statuses)}")
            c_before = proc_status(server.pid)["cpu_s"]
            w0 = time.perf_counter()
            lat, statuses = run_requests(port, page, args.concurrency)
            wall = time.perf_counter() - w0
            cpu_ms = (proc_status(server.pid)["cpu_s"] - c_before) / len(lat) * 1e3
            print(describe("POST /ui/simulate", lat, wall))
            print(f"  server CPU {cpu_ms:.1f} ms/request (simulate + the listeners' HTML "
                  f"with their ears pictures); statuses {dict(statuses)}")
            if set(statuses) != {200}:
                failures.append(f"page statuses {dict(statuses)}")

            body, ctype = multipart({"rig": text, "program": "builtin:music",
                                     "seconds": "5"})
            w0 = time.perf_counter()
            lat, statuses = run_requests(port, [("/api/render", body, ctype)] * args.renders,
                                         args.renders)
            wall = time.perf_counter() - w0
            end = proc_status(server.pid)
            print(describe(f"{args.renders} renders at once", lat, wall))
            print(f"  statuses {dict(statuses)} (200 rendered, 503 refused by the full "
                  f"queue); peak RSS {end['VmHWM']:.0f} MB")
            if not set(statuses) <= {200, 503} or statuses[200] == 0:
                failures.append(f"render statuses {dict(statuses)}")
            if args.renders > 6 and statuses[503] < args.renders - 6:
                failures.append("the queue admitted more than 2 running + 4 waiting")
            if end["VmHWM"] > MAX_RSS_MB:
                failures.append(f"peak RSS {end['VmHWM']:.0f} MB > {MAX_RSS_MB:.0f} MB")
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    for f in failures:
        print("FAIL:", f)
    print("OK" if not failures else "FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
