"""Render speed and memory (issue: at least 500x real time, 1.5x a pedalboard chain, <300 MB).

1. Renders 60 s of builtin:music at 48 kHz through a rig with one interface, one
   4-way amp and four listeners (examples/01), timing the engine alone and the
   whole render including writing four float32 WAV files.
2. Runs, in the same process, an equivalent hand-built chain with Spotify's
   pedalboard: per listener a 2x2 channel mix, gain, low-pass, clipping, gain,
   plus NumPy noise, and prints the speed ratio.
3. Measures peak memory of a 1-hour render with /usr/bin/time -v (skip with --no-hour).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from signalchain.api import check_rig
from signalchain.demo import example_path
from signalchain.graph import compile_rig
from signalchain.render.engine import Renderer
from signalchain.render.programs import open_program
from signalchain.render.run import BLOCK, render

FS = 48000
SECONDS = 60.0


def best_of(n: int, fn) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def signalchain_engine(rig: Path) -> None:
    graph = compile_rig(check_rig(rig))
    engine = Renderer.from_graph(graph, graph.knob_positions, FS)
    for block in open_program("builtin:music", FS, SECONDS).blocks(BLOCK):
        engine.process(block)


def signalchain_render(rig: Path, out: Path) -> None:
    graph = compile_rig(check_rig(rig))
    render(graph, graph.knob_positions, open_program("builtin:music", FS, SECONDS), out,
           force=True)


def pedalboard_chain(listeners: int = 4) -> None:
    import pedalboard as pb

    rng = np.random.default_rng(0)
    boards = [pb.Pedalboard([pb.Gain(gain_db=-6.0), pb.LowpassFilter(cutoff_frequency_hz=20000),
                             pb.Clipping(threshold_db=-1.0), pb.Gain(gain_db=12.0)])
              for _ in range(listeners)]
    mix = np.array([[1.0, 0.001], [0.001, 1.0]], dtype=np.float32)
    for block in open_program("builtin:music", FS, SECONDS).blocks(BLOCK):
        stereo = np.ascontiguousarray((block @ mix).T)
        for board in boards:
            out = board.process(stereo, FS, reset=False)
            out += 1e-4 * rng.standard_normal(out.shape, dtype=np.float32)


def peak_memory_one_hour(rig: Path) -> str:
    timer = shutil.which("time") and "/usr/bin/time"
    exe = shutil.which("signalchain")
    if not timer or not Path(timer).exists() or not exe:
        return "skipped (/usr/bin/time or the signalchain command not found)"
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [timer, "-v", exe, "render", str(rig), "--out", str(Path(tmp) / "hour"),
               "--program", "builtin:music", "--seconds", "3600"]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    if proc.returncode != 0 or not m:
        return f"failed: {proc.stderr[-300:]}"
    mb = int(m.group(1)) / 1024
    verdict = "OK" if mb < 300 else "ABOVE TARGET"
    return f"{mb:.0f} MB peak RSS for a 1-hour render ({wall:.1f} s wall) (target < 300 MB): " \
           f"{verdict}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-hour", action="store_true", help="skip the 1-hour memory run")
    args = parser.parse_args()
    rig = example_path("01")
    print(f"rig: {rig.name} (1 interface, 1 four-way amp, 4 listeners); {SECONDS:.0f} s of "
          f"builtin:music at {FS} Hz")
    signalchain_engine(rig)  # warm-up (imports, program table)
    t_engine = best_of(3, lambda: signalchain_engine(rig))
    with tempfile.TemporaryDirectory() as tmp:
        t_render = best_of(3, lambda: signalchain_render(rig, Path(tmp) / "out"))
    pedalboard_chain()
    t_pb = best_of(3, pedalboard_chain)
    rtf_engine, rtf_render, rtf_pb = SECONDS / t_engine, SECONDS / t_render, SECONDS / t_pb
    print(f"signalchain engine (whole rig, no file output): {t_engine * 1e3:7.1f} ms  "
          f"{rtf_engine:6.0f}x real time (target >= 500x: "
          f"{'OK' if rtf_engine >= 500 else 'BELOW TARGET'})")
    print(f"signalchain render (incl. 4 WAV files written): {t_render * 1e3:7.1f} ms  "
          f"{rtf_render:6.0f}x real time (writing 92 MB of float32 WAV dominates)")
    print(f"pedalboard chain (4 listeners, no file output):  {t_pb * 1e3:7.1f} ms  "
          f"{rtf_pb:6.0f}x real time")
    ratio = t_pb / t_engine
    print(f"speed ratio signalchain engine / pedalboard chain: {ratio:.2f}x (target >= 1.5x: "
          f"{'OK' if ratio >= 1.5 else 'BELOW TARGET'})")
    if not args.no_hour:
        print(peak_memory_one_hour(rig))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
