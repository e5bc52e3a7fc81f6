"""Render robustness: any readable audio file just works; hostile input and the OS can't hurt.

Covers program files at any rate and of any kind, the rig's ``program:`` confined to
its folder, the restricted (allow-list) program policy, bad --seconds/--seed, rigs
without headphones, output names from rig content, signals, stale temporary files,
concurrent renders, OS errors on the output and the written files' modes.
"""

from __future__ import annotations

import errno
import fcntl
import math
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf

from signalchain import limits
from signalchain.api import check_rig
from signalchain.cli import app
from signalchain.errors import OutputExistsError, ProgramError, RigError, UsageError
from signalchain.evaluate import evaluate
from signalchain.graph import compile_rig
from signalchain.render import output, run
from signalchain.render.engine import Renderer
from signalchain.render.programs import REFERENCE_RMS, ProgramPolicy, open_program
from signalchain.render.run import RenderOutputError, RenderStopped, output_files, render
from tests.conftest import EXAMPLES
from tests.test_render import tone_level

EX1 = EXAMPLES / "01-headphone-out-to-splitter.yaml"
SIGNALCHAIN = str(Path(sys.executable).parent / "signalchain")
STALE = ".alice.wav.0123456789abcdef.signalchain-tmp"


def run_cli(runner, *args):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                     SystemExit)
    return result


def tone(fs: int, seconds: float = 2.0, channels: int = 2, freq: float = 1000.0) -> np.ndarray:
    """A 1 kHz sine at the reference level (−18 dBFS RMS) in channel 1 (every channel if mono)."""
    t = np.arange(int(seconds * fs)) / fs
    s = math.sqrt(2) * REFERENCE_RMS * np.sin(2 * np.pi * freq * t)
    out = np.zeros((len(t), channels))
    out[:, 0] = s
    return out


def predicted_left_db(ev, who: str, channels: tuple[str, ...]) -> float:
    """What simulate says the left ear hears of the tone in ``channels`` (amplitudes summed)."""
    amp = sum(c.polarity * 10 ** (c.spl_db / 20) for c in ev.listener(who).ears["left"].program
              if c.channel in channels)
    return 20 * math.log10(abs(amp))


def temp_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".signalchain-tmp")) \
        if directory.exists() else []


def rig_with(tmp_path: Path, extra: str, name: str = "rig.yaml") -> Path:
    """EX1 with top-level lines added (e.g. 'samplerate: 44100' or 'program: x.wav')."""
    lines = [ln for ln in EX1.read_text().splitlines()
             if not any(ln.startswith(k.split(":")[0] + ":") for k in extra.splitlines())]
    at = lines.index("signalchain: 1") + 1
    path = tmp_path / name
    path.write_text("\n".join(lines[:at] + extra.splitlines() + lines[at:]) + "\n")
    return path


@pytest.fixture(scope="module")
def ex1_graph():
    graph = compile_rig(check_rig(EX1))
    return graph, evaluate(graph)


# ---- 1. any rate, any format: the level simulate predicts --------------------------------


@pytest.mark.parametrize("rate, subtype, channels, fmt", [
    (44100, "PCM_16", 2, "WAV"),
    (22050, "PCM_16", 2, "WAV"),
    (96000, "FLOAT", 2, "WAV"),
    (44100, "PCM_24", 1, "FLAC"),
    (88200, "PCM_24", 2, "FLAC"),
    (48000, "PCM_24", 1, "WAV"),
])
def test_any_rate_and_format_renders_at_the_simulated_level(tmp_path, ex1_graph, rate, subtype,
                                                            channels, fmt):
    graph, ev = ex1_graph
    path = tmp_path / f"tone.{fmt.lower()}"
    sf.write(str(path), tone(rate, channels=channels), rate, subtype=subtype, format=fmt)
    # not closed on purpose: the file is released when the program is collected, silently
    render(graph, graph.knob_positions, open_program(str(path), 48000), tmp_path / "out")
    heard = ("L", "R") if channels == 1 else ("L",)
    for lf in ev.listeners:
        audio, fs = sf.read(str(tmp_path / "out" / f"{lf.id}.wav"))
        assert fs == 48000 and abs(len(audio) - 2 * 48000) < 10
        level, _ = tone_level(audio[:, 0], 1000.0, fs)
        assert level == pytest.approx(predicted_left_db(ev, lf.id, heard), abs=0.3), lf.id


def test_cli_renders_a_44k1_file(runner, tmp_path):
    path = tmp_path / "song.wav"
    sf.write(str(path), tone(44100), 44100)
    r = run_cli(runner, "render", EX1, "--out", tmp_path / "out", "--program", path)
    assert r.exit_code == 0, r.output
    assert sf.info(str(tmp_path / "out" / "alice.wav")).samplerate == 48000


def test_rig_at_44k1_renders_files_and_builtins(runner, tmp_path):
    rig = rig_with(tmp_path, "samplerate: 44100")
    built = check_rig(rig)
    graph = compile_rig(built)
    ev = evaluate(graph)
    path = tmp_path / "tone48.wav"
    sf.write(str(path), tone(48000), 48000, subtype="FLOAT")
    render(graph, graph.knob_positions, open_program(str(path), 44100), tmp_path / "f")
    audio, fs = sf.read(str(tmp_path / "f" / "bob.wav"))
    assert fs == 44100
    assert tone_level(audio[:, 0], 1000.0, fs)[0] == pytest.approx(
        predicted_left_db(ev, "bob", ("L",)), abs=0.3)
    r = run_cli(runner, "render", rig, "--out", tmp_path / "b", "--program", "builtin:sine1k",
                "--seconds", "1.5")
    assert r.exit_code == 0, r.output
    audio, fs = sf.read(str(tmp_path / "b" / "bob.wav"))
    assert fs == 44100 and len(audio) == int(1.5 * 44100)
    assert tone_level(audio[:, 0], 1000.0, fs)[0] == pytest.approx(
        predicted_left_db(ev, "bob", ("L", "R")), abs=0.3)


def test_program_blocks_never_exceed_the_block_size(tmp_path):
    path = tmp_path / "low.wav"
    sf.write(str(path), tone(22050, seconds=3.0), 22050)
    with open_program(str(path), 44100) as prog:
        sizes = [len(b) for b in prog.blocks(44100)]
    assert max(sizes) <= 44100 and abs(sum(sizes) - 3 * 44100) < 10


def test_engine_takes_blocks_longer_than_a_second(ex1_graph):
    graph, _ = ex1_graph
    engine = Renderer.from_graph(graph, graph.knob_positions, 44100)
    ears = engine.process(np.zeros((100000, 2), np.float32))
    assert all(a.shape == (100000, 2) for a in ears.values())


def test_program_file_is_closed(tmp_path):
    path = tmp_path / "t.wav"
    sf.write(str(path), tone(48000, 0.5), 48000)
    before = len(os.listdir("/proc/self/fd"))
    prog = open_program(str(path), 48000)
    assert len(os.listdir("/proc/self/fd")) == before + 1
    prog.close()
    prog.close()
    assert len(os.listdir("/proc/self/fd")) == before


# ---- 2. only regular files; channel and length limits -------------------------------------


def _unblock_fifo(path: Path) -> None:
    try:  # a reader stuck in open() gets a writer, then EOF
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass


@pytest.mark.parametrize("kind", ["fifo", "chardev", "directory", "socket"])
def test_non_regular_programs_are_refused_without_blocking(tmp_path, kind):
    path = tmp_path / "prog.wav"
    sock = None
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "chardev":
        path = Path("/dev/zero")
    elif kind == "directory":
        path.mkdir()
    else:
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
    outcome: list[BaseException] = []

    def attempt():
        try:
            open_program(str(path), 48000).close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(5.0)
    if kind == "fifo":
        _unblock_fifo(path)
    if sock is not None:
        sock.close()
    assert not worker.is_alive(), "open_program blocked"
    assert len(outcome) == 1 and isinstance(outcome[0], ProgramError), outcome
    expected = {"fifo": "is a named pipe (FIFO)", "chardev": "is a character device",
                "directory": "is a directory", "socket": "is a socket"}[kind]
    assert f"{expected}, not a regular file" in str(outcome[0])


def test_fifo_as_rig_program_is_refused(runner, tmp_path):
    os.mkfifo(tmp_path / "pipe.wav")
    rig = rig_with(tmp_path, "program: pipe.wav")
    try:
        r = run_cli(runner, "render", rig, "--out", tmp_path / "out")
    finally:
        _unblock_fifo(tmp_path / "pipe.wav")
    assert r.exit_code == 1 and "is a named pipe (FIFO), not a regular file" in r.stderr
    assert f"{rig}:" in r.stderr  # points at the rig's program: line


def test_dev_zero_on_the_command_line_is_refused(runner, tmp_path):
    r = run_cli(runner, "render", EX1, "--out", tmp_path / "out", "--program", "/dev/zero")
    assert r.exit_code == 1 and "/dev/zero is a character device" in r.stderr
    assert not (tmp_path / "out").exists()


def test_too_many_channels_are_refused(tmp_path):
    path = tmp_path / "multi.wav"
    sf.write(str(path), np.zeros((4800, 5), np.float32), 48000, subtype="FLOAT")
    with limits.using(limits.Limits(program_channels=4)):
        with pytest.raises(ProgramError, match="has 5 channels, more than the "
                           "program-channels limit \\(4\\)"):
            open_program(str(path), 48000)
    open_program(str(path), 48000).close()  # the default allows 64


def test_file_longer_than_the_limit_needs_seconds(runner, tmp_path):
    path = tmp_path / "long.wav"
    sf.write(str(path), np.zeros((3 * 48000, 2), np.float32), 48000, subtype="FLOAT")
    with limits.using(limits.Limits(render_seconds=2.0)):
        with pytest.raises(ProgramError, match="longer than the render-seconds limit") as info:
            open_program(str(path), 48000)
        assert "--seconds" in str(info.value)
        with open_program(str(path), 48000, seconds=1.5) as prog:
            assert prog.frames == 72000
        r = run_cli(runner, "render", EX1, "--out", tmp_path / "o", "--program", path)
        assert r.exit_code == 1 and "--limit render-seconds=N" in r.stderr
        assert open_program("builtin:music", 48000).frames == 2 * 48000  # default, capped


def test_absurd_sample_values_are_refused(tmp_path, ex1_graph):
    graph, _ = ex1_graph
    path = tmp_path / "huge.wav"
    sf.write(str(path), np.full((4800, 2), 3e38, np.float32), 48000, subtype="FLOAT")
    with open_program(str(path), 48000) as prog, \
            pytest.raises(ProgramError, match="more than 60 dB above full scale"):
        render(graph, graph.knob_positions, prog, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# ---- 3. the rig's program: stays in its folder; the restricted policy ---------------------


@pytest.fixture
def song_outside(tmp_path):
    path = tmp_path / "outside" / "song.wav"
    path.parent.mkdir()
    sf.write(str(path), tone(48000, 0.5), 48000)
    return path


@pytest.mark.parametrize("how, reason", [
    ("absolute", "an absolute path"),
    ("dotdot", "'..' leads out of the folder"),
    ("symlink", "a symbolic link leads out of the folder"),
])
def test_rig_program_must_stay_in_the_rig_folder(runner, tmp_path, song_outside, how, reason):
    rigs = tmp_path / "rigs"
    rigs.mkdir()
    (rigs / "link.wav").symlink_to(song_outside)
    program = {"absolute": str(song_outside), "dotdot": "../outside/song.wav",
               "symlink": "link.wav"}[how]
    rig = rig_with(rigs, f"program: '{program}'")
    r = run_cli(runner, "render", rig, "--out", tmp_path / "out")
    assert r.exit_code == 1
    assert f"the rig's program '{program}' is outside the rig file's folder" in r.stderr
    assert reason in r.stderr and "--program PATH" in r.stderr
    assert not (tmp_path / "out").exists()
    # the same file named on the command line is fine
    r = run_cli(runner, "render", rig, "--out", tmp_path / "out", "--program", program
                if how == "absolute" else song_outside)
    assert r.exit_code == 0, r.output


def test_rig_program_inside_the_folder_works(runner, tmp_path):
    (tmp_path / "audio").mkdir()
    sf.write(str(tmp_path / "audio" / "song.flac"), tone(44100, 0.5), 44100)
    (tmp_path / "alias.flac").symlink_to(tmp_path / "audio" / "song.flac")
    for program in ("audio/song.flac", "alias.flac", "audio/../audio/song.flac"):
        rig = rig_with(tmp_path, f"program: {program}")
        out = tmp_path / f"out-{program.replace('/', '_')}"
        r = run_cli(runner, "render", rig, "--out", out)
        assert r.exit_code == 0, r.output
        assert (out / "alice.wav").exists()


def test_restricted_policy_allows_builtins_and_listed_files(tmp_path):
    path = tmp_path / "song.wav"
    sf.write(str(path), tone(44100, 0.5), 44100)
    policy = ProgramPolicy(allow_files={"demo-song": path, "missing": tmp_path / "gone.wav"})
    with open_program("demo-song", 48000, policy=policy) as prog:
        assert prog.name == "demo-song" and str(tmp_path) not in prog.name
    open_program("builtin:pink", 48000, 1.0, policy=policy).close()
    with pytest.raises(ProgramError) as info:
        open_program("missing", 48000, policy=policy)
    assert str(info.value).startswith("error: program file not found: missing")
    assert str(tmp_path) not in str(info.value)  # the server's paths stay private


def test_restricted_policy_is_no_existence_oracle(tmp_path, monkeypatch):
    real = tmp_path / "secret.wav"
    sf.write(str(real), tone(48000, 0.2), 48000)
    policy = ProgramPolicy(allow_files={"demo": real})
    messages = []
    for spec in (str(real), str(tmp_path / "nosuch.wav"), "../../etc/passwd", "/dev/zero",
                 str(tmp_path)):
        with pytest.raises(ProgramError) as info:
            open_program(spec, 48000, policy=policy)
        messages.append(str(info.value).replace(repr(spec), "<spec>"))
    assert len(set(messages)) == 1, messages
    assert "valid: builtin:music" in messages[0] and "demo" in messages[0]

    def no_fs(*_a, **_k):
        raise AssertionError("the file system was consulted")

    monkeypatch.setattr(os, "stat", no_fs)
    monkeypatch.setattr(os, "open", no_fs)
    with pytest.raises(ProgramError, match="is not available"):
        open_program(str(real), 48000, policy=policy)


def test_policy_modes_do_not_mix(tmp_path):
    with pytest.raises(ValueError, match="not both"):
        ProgramPolicy(allow_files={}, confine_to=tmp_path)


# ---- 4. a rig without headphones ----------------------------------------------------------

NO_LISTENERS = """\
signalchain: 1
devices:
  laptop: generic/laptop
  s: focusrite/scarlett-2i2-3rd-gen
connections:
  - {cable: usb, ends: [laptop.usb, s.usb]}
"""


def test_rig_without_headphones_is_a_clear_error(runner, tmp_path):
    rig = tmp_path / "rig.yaml"
    rig.write_text(NO_LISTENERS)
    r = run_cli(runner, "render", rig, "--out", tmp_path / "out", "--seconds", "0.2")
    assert r.exit_code == 1
    assert "the rig has no listeners (headphones): there is nothing to render" in r.stderr
    assert "add headphones under 'devices:'" in r.stderr
    assert not (tmp_path / "out").exists()


# ---- 5. --seconds and --seed ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "0"])
def test_bad_seconds_is_a_usage_error(runner, tmp_path, value):
    r = run_cli(runner, "render", EX1, "--out", tmp_path / "o", f"--seconds={value}")
    assert r.exit_code == 2, r.output
    assert "is not a length: give a number of seconds above 0 and at most 3600" in r.stderr
    with pytest.raises(ProgramError, match="is not a length"):
        open_program("builtin:music", 48000, float(value))


def test_seconds_over_the_limit_is_a_usage_error(runner, tmp_path):
    r = run_cli(runner, "render", EX1, "--out", tmp_path / "o", "--seconds", "3601")
    assert r.exit_code == 2
    assert "--seconds 3601 is longer than the render-seconds limit (3600 s)" in r.stderr
    assert "signalchain --limit render-seconds=N" in r.stderr


@pytest.mark.parametrize("seed", ["-1", str(2**63), "-9223372036854775808"])
def test_bad_seed_is_a_usage_error(runner, tmp_path, seed):
    r = run_cli(runner, "render", EX1, "--out", tmp_path / "o", f"--seed={seed}")
    assert r.exit_code == 2, r.output
    assert "give a whole number from 0 to 9223372036854775807" in r.stderr


def test_largest_seed_works(runner, tmp_path, ex1_graph):
    r = run_cli(runner, "render", EX1, "--out", tmp_path / "o", "--seconds", "0.1",
                "--seed", str(2**63 - 1))
    assert r.exit_code == 0, r.output
    graph, _ = ex1_graph
    with pytest.raises(UsageError):
        render(graph, graph.knob_positions, open_program("builtin:music", 48000, 0.1),
               tmp_path / "lib", seed=-5)


# ---- 6. output names from rig content stay inside --out ----------------------------------


@pytest.mark.parametrize("who", ["../escape", "a/b", ".hidden", "..", "x\0y", "e\x1b[2J",
                                 "z" * 300])
def test_listener_ids_cannot_escape_the_output_dir(who):
    graph = SimpleNamespace(ears=[(who, "left"), (who, "right")],
                            built=SimpleNamespace(rig=SimpleNamespace(location=lambda *a: None)))
    with pytest.raises(RigError, match="cannot name its file in the output directory"):
        output_files(graph)


def test_render_checks_names_before_writing(tmp_path, ex1_graph):
    graph = compile_rig(check_rig(EX1))
    graph.ears = [("../escape" if who == "alice" else who, side) for who, side in graph.ears]
    with pytest.raises(RigError, match="'../escape' cannot name its file"):
        render(graph, graph.knob_positions, open_program("builtin:music", 48000, 0.1),
               tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_plain_ids_make_plain_files(ex1_graph):
    graph, _ = ex1_graph
    assert output_files(graph) == {w: f"{w}.wav" for w in ("alice", "bob", "carol", "dave")}


# ---- 7. signals and stale temporary files --------------------------------------------------


@pytest.mark.parametrize("signo", [signal.SIGUSR1, signal.SIGHUP, signal.SIGTERM,
                                   signal.SIGALRM])
def test_a_signal_mid_render_removes_everything_and_restores_handlers(tmp_path, ex1_graph,
                                                                      signo, request):
    graph, _ = ex1_graph
    seen = []

    def progress(done, _total):
        seen.append(temp_files(tmp_path / "out"))
        os.kill(os.getpid(), signo)  # default action: end the process

    inherited = signal.signal(signo, signal.SIG_DFL)  # nohup, for one, ignores SIGHUP
    before = signal.getsignal(signo)
    assert before == signal.SIG_DFL
    request.addfinalizer(lambda: signal.signal(signo, inherited))
    with pytest.raises(RenderStopped) as info:
        render(graph, graph.knob_positions, open_program("builtin:music", 48000, 3.0),
               tmp_path / "out", progress=progress)
    assert info.value.signo == signo and info.value.name == signal.Signals(signo).name
    assert len(seen[0]) == 4  # the temporary files existed ...
    assert not (tmp_path / "out").exists()  # ... and are gone, with the directory we made
    assert signal.getsignal(signo) == before


def test_sigint_still_raises_keyboard_interrupt_and_cleans_up(tmp_path, ex1_graph):
    graph, _ = ex1_graph
    (tmp_path / "out").mkdir()

    def progress(done, _total):
        os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        render(graph, graph.knob_positions, open_program("builtin:music", 48000, 3.0),
               tmp_path / "out", progress=progress)
    assert list((tmp_path / "out").iterdir()) == []  # the user's directory stays
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def _start_long_render(out: Path) -> subprocess.Popen:
    proc = subprocess.Popen([SIGNALCHAIN, "render", str(EX1), "--out", str(out),
                             "--seconds", "3000"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not temp_files(out):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"render did not start: {proc.communicate()}")
        time.sleep(0.05)
    return proc


def test_cli_stopped_by_sigterm_leaves_no_temporary_files(tmp_path):
    signo = signal.SIGTERM
    out = tmp_path / "out"
    out.mkdir()
    proc = _start_long_render(out)
    proc.send_signal(signo)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signo, stderr
    assert f"stopped by signal {signal.Signals(signo).name}" in stderr
    assert list(out.iterdir()) == []


def test_temporary_files_of_a_killed_render_do_not_block_the_next(runner, tmp_path):
    out = tmp_path / "out"
    proc = _start_long_render(out)
    proc.kill()
    proc.communicate(timeout=60)
    assert len(temp_files(out)) >= 1
    r = run_cli(runner, "render", EX1, "--out", out, "--seconds", "0.2")
    assert r.exit_code == 0, r.output
    assert temp_files(out) == [] and (out / "alice.wav").exists()


def test_stale_temp_files_are_removed_but_other_files_count(tmp_path, ex1_graph):
    graph, _ = ex1_graph
    out = tmp_path / "out"
    out.mkdir()
    (out / STALE).write_bytes(b"x" * 1000)
    run.check_output_dir(out, force=False)
    assert not (out / STALE).exists()
    (out / STALE).write_bytes(b"x")
    render(graph, graph.knob_positions, open_program("builtin:music", 48000, 0.1), out)
    assert not (out / STALE).exists() and (out / "alice.wav").exists()
    other = tmp_path / "other"
    other.mkdir()
    (other / ".alice.wav.tmp").write_text("not ours")
    with pytest.raises(OutputExistsError, match="already exists and is not empty"):
        run.check_output_dir(other, force=False)


# ---- 8. one render per directory at a time -------------------------------------------------


def test_a_directory_being_rendered_into_is_refused(runner, tmp_path, ex1_graph):
    graph, _ = ex1_graph
    out = tmp_path / "out"
    out.mkdir()
    (out / STALE).write_bytes(b"being written")
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a live render holds it
        r = run_cli(runner, "render", EX1, "--out", out, "--seconds", "0.2", "--force")
        assert r.exit_code == 1
        assert f"another signalchain render is writing into {out}" in r.stderr
        with pytest.raises(RenderOutputError, match="another signalchain render"):
            render(graph, graph.knob_positions, open_program("builtin:music", 48000, 0.1),
                   out, force=True)
        assert (out / STALE).read_bytes() == b"being written"  # not stale: left alone
    finally:
        os.close(fd)


def test_second_render_does_not_silently_overwrite(tmp_path, ex1_graph):
    graph, _ = ex1_graph
    out = tmp_path / "out"
    run.check_output_dir(out, force=False)  # both pass the early check ...
    render(graph, graph.knob_positions, open_program("builtin:music", 48000, 0.1), out)
    with pytest.raises(OutputExistsError):  # ... the later one is refused under the lock
        render(graph, graph.knob_positions, open_program("builtin:music", 48000, 0.1), out)


# ---- 9. OS errors are user errors ----------------------------------------------------------


def test_out_under_a_regular_file(runner, tmp_path):
    (tmp_path / "file").write_text("x")
    r = run_cli(runner, "render", EX1, "--out", tmp_path / "file" / "out", "--seconds", "0.1")
    assert r.exit_code == 1
    assert (f"cannot create the output directory {tmp_path / 'file' / 'out'}: Not a directory"
            in r.stderr)


def test_out_is_a_dangling_symlink(runner, tmp_path):
    (tmp_path / "out").symlink_to(tmp_path / "nowhere")
    r = run_cli(runner, "render", EX1, "--out", tmp_path / "out", "--seconds", "0.1")
    assert r.exit_code == 1
    assert f"is a symbolic link to {tmp_path / 'nowhere'}, which does not exist" in r.stderr


def test_out_is_a_regular_file(runner, tmp_path):
    (tmp_path / "out").write_text("x")
    r = run_cli(runner, "render", EX1, "--out", tmp_path / "out", "--seconds", "0.1")
    assert r.exit_code == 1 and "exists and is not a directory" in r.stderr


def test_unwritable_out_dir(runner, tmp_path, monkeypatch):
    out = tmp_path / "ro"
    out.mkdir()
    real_open = os.open

    def refuse_create(path, flags, *args, **kwargs):
        if flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse_create)
    r = run_cli(runner, "render", EX1, "--out", out, "--seconds", "0.1")
    assert r.exit_code == 1, r.output
    assert f"cannot write {out / 'alice.wav'}: Permission denied" in r.stderr
    assert "choose a directory you may write to" in r.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_read_only_out_dir_for_real(runner, tmp_path):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        r = run_cli(runner, "render", EX1, "--out", out, "--seconds", "0.1")
    finally:
        out.chmod(0o755)
    assert r.exit_code == 1 and "Permission denied" in r.stderr


def test_disk_full(runner, tmp_path, monkeypatch):
    real_write = output._write_all
    calls = []

    def fill_up(fd, data):
        calls.append(len(data))
        if len(calls) > 6:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(fd, data)

    monkeypatch.setattr(output, "_write_all", fill_up)
    out = tmp_path / "out"
    r = run_cli(runner, "render", EX1, "--out", out, "--seconds", "3")
    assert r.exit_code == 1, r.output
    assert "No space left on device" in r.stderr and f"cannot write {out}" in r.stderr
    assert "free some disk space" in r.stderr and "MB" in r.stderr
    assert not out.exists()


def test_file_size_limit_is_a_user_error(tmp_path):
    import resource

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, resource.RLIM_INFINITY))

    out = tmp_path / "out"
    proc = subprocess.run([SIGNALCHAIN, "render", str(EX1), "--out", str(out), "--seconds",
                           "2"], capture_output=True, text=True, preexec_fn=small_files,
                          timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "File too large" in proc.stderr and "cannot write" in proc.stderr
    assert not out.exists()


# ---- 10. files get the umask's mode; RF64 beyond 4 GiB ----------------------------------


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640)])
def test_written_files_follow_the_umask(tmp_path, ex1_graph, umask, mode):
    graph, _ = ex1_graph
    old = os.umask(umask)
    try:
        render(graph, graph.knob_positions, open_program("builtin:music", 48000, 0.1),
               tmp_path / "out")
    finally:
        os.umask(old)
    for p in (tmp_path / "out").iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == mode, p.name


def test_wav_files_read_back_and_rf64_when_large(tmp_path, ex1_graph, monkeypatch):
    from scipy.io import wavfile

    graph, _ = ex1_graph
    render(graph, graph.knob_positions, open_program("builtin:music", 48000, 0.5),
           tmp_path / "riff", seed=1)
    monkeypatch.setattr(output, "_RIFF_MAX", 1000)
    render(graph, graph.knob_positions, open_program("builtin:music", 48000, 0.5),
           tmp_path / "rf64", seed=1)
    riff, fs = sf.read(str(tmp_path / "riff" / "bob.wav"), dtype="float32")
    rate, other = wavfile.read(str(tmp_path / "riff" / "bob.wav"))
    assert rate == fs == 48000 and np.array_equal(riff, other)
    assert (tmp_path / "rf64" / "bob.wav").read_bytes()[:4] == b"RF64"
    rf64, fs = sf.read(str(tmp_path / "rf64" / "bob.wav"), dtype="float32")
    assert fs == 48000 and np.array_equal(riff, rf64) and len(riff) == 24000
