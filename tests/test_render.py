"""Rendering agrees with simulate (levels, channel map, polarity, hiss, hum); bad input fails."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import soundfile as sf

from signalchain import units
from signalchain.api import check_rig
from signalchain.cli import app
from signalchain.errors import ProgramError
from signalchain.evaluate import evaluate
from signalchain.graph import compile_rig
from signalchain.render.programs import REFERENCE_RMS, open_program
from signalchain.render.run import render
from tests.conftest import EXAMPLES

FS = 48000
SEED_EXAMPLES = ["01-headphone-out-to-splitter", "02-left-line-out-to-splitter",
                 "03-dual-ts-to-trs-to-splitter", "05-line-outs-to-rca-amp"]


def write_wav(path, data, fs=FS):
    sf.write(str(path), np.asarray(data, dtype=np.float32), fs, subtype="FLOAT")
    return path


def sine(channel: int | None, seconds=2.0, freq=1000.0, fs=FS) -> np.ndarray:
    t = np.arange(int(seconds * fs)) / fs
    s = math.sqrt(2) * REFERENCE_RMS * np.sin(2 * np.pi * freq * t)
    out = np.zeros((len(t), 2))
    if channel is None:
        out[:] = s[:, None]
    else:
        out[:, channel] = s
    return out


def tone_level(x: np.ndarray, freq: float, fs=FS) -> tuple[float, float]:
    """(dB SPL of the tone, its polarity re a sine) from a Hann-windowed FFT bin."""
    x = x[fs // 4:]  # skip the start-up
    n = len(x) - len(x) % fs
    x = x[:n]
    w = np.hanning(n)
    spec = np.fft.rfft(x * w)
    k = int(round(freq * n / fs))
    amp = 2 * np.abs(spec[k]) / w.sum()
    ref = np.fft.rfft(np.sin(2 * np.pi * freq * np.arange(n) / fs) * w)[k]
    polarity = 1 if np.real(spec[k] / ref) > 0 else -1
    rms_pa = amp / math.sqrt(2) * 20.0
    return float(units.pa_to_spl(rms_pa)) if rms_pa > 0 else -math.inf, polarity


def a_weighted_spl(x: np.ndarray, fs=FS, notch_hz: float | None = None) -> float:
    x = x[fs // 4:]
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1 / fs)
    spec *= units.a_weighting_gain(np.maximum(f, 1e-3))
    if notch_hz:
        for k in range(1, 40):
            spec[np.abs(f - k * notch_hz) < 3] = 0
    y = np.fft.irfft(spec, len(x))
    return float(units.pa_to_spl(np.sqrt(np.mean(y**2)) * 20.0))


def render_file(rig_path, wav, out_dir, **kw):
    graph = compile_rig(check_rig(rig_path))
    prog = open_program(str(wav), FS)
    return graph, render(graph, graph.knob_positions, prog, out_dir, **kw)


@pytest.mark.parametrize("name", SEED_EXAMPLES)
def test_rendered_levels_and_polarity_match_simulate(name, tmp_path):
    rig_path = EXAMPLES / f"{name}.yaml"
    ev = evaluate(compile_rig(check_rig(rig_path)))
    for ch_index, ch in enumerate(("L", "R")):
        wav = write_wav(tmp_path / f"{ch}.wav", sine(ch_index))
        out = tmp_path / f"out-{ch}"
        render_file(rig_path, wav, out)
        for lf in ev.listeners:
            audio, fs = sf.read(str(out / f"{lf.id}.wav"))
            assert fs == FS and audio.shape[1] == 2
            loudest = max(c.spl_db for e in lf.ears.values() for c in e.program
                          if c.channel == ch) if any(
                c.channel == ch for e in lf.ears.values() for c in e.program) else None
            for side_index, side in enumerate(("left", "right")):
                level, pol = tone_level(audio[:, side_index], 1000.0)
                hit = next((c for c in lf.ears[side].program if c.channel == ch), None)
                if hit is not None and hit.spl_db > 20:
                    assert level == pytest.approx(hit.spl_db, abs=0.3), (lf.id, side, ch)
                    assert pol == hit.polarity
                else:
                    # absent: at least 60 dB below the channel's level where it is present
                    ref = loudest if loudest is not None else max(
                        c.spl_db for e in lf.ears.values() for c in e.program)
                    assert level <= ref - 50 if hit is not None else level <= ref - 60


@pytest.mark.parametrize("name", ["01-headphone-out-to-splitter", "02-left-line-out-to-splitter"])
def test_rendered_hiss_matches_simulate(name, tmp_path):
    rig_path = EXAMPLES / f"{name}.yaml"
    ev = evaluate(compile_rig(check_rig(rig_path)))
    wav = write_wav(tmp_path / "silence.wav", np.zeros((5 * FS, 2)))
    render_file(rig_path, wav, tmp_path / "out")
    for lf in ev.listeners:
        audio, _ = sf.read(str(tmp_path / "out" / f"{lf.id}.wav"))
        for i, side in enumerate(("left", "right")):
            measured = a_weighted_spl(audio[:, i], notch_hz=60.0)
            assert measured == pytest.approx(lf.ears[side].noise_spl_dba, abs=1.0)


def test_rendered_hum_matches_simulate(tmp_path):
    from tests.rigkit import built, in_port, out_port, rig

    amp_out = {"hp": {"connector": "trs-6.35", "direction": "out", "signal": "stereo",
                      "feeds": {"left": "L", "right": "R"}, "gain_db": 20, "z_out_ohm": 1,
                      "max_v_rms": 5, "noise": {"knob_min_dbu_a": -140, "knob_max_dbu_a": -140}}}
    doc = rig({"out": {**out_port("impedance", "L"), "noise": {"knob_min_dbu_a": -140,
                                                                "knob_max_dbu_a": -140}}},
              {"in": in_port("ts", "L")},
              [{"cable": "ts-cable", "length": 10, "ends": ["src.out", "dst.in"]},
               {"plug": "bob", "into": "dst.hp"}],
              dst_power="mains-earthed", computer="generic/desktop",
              listeners={"bob": "sennheiser/hd-600"}, amp_outs=amp_out)
    graph = compile_rig(built(doc))
    lf = evaluate(graph).listener("bob")
    prog_path = write_wav(tmp_path / "silence.wav", np.zeros((3 * FS, 2)))
    render(graph, graph.knob_positions, open_program(str(prog_path), FS), tmp_path / "out")
    audio, _ = sf.read(str(tmp_path / "out" / "bob.wav"))
    assert a_weighted_spl(audio[:, 0]) == pytest.approx(lf.ears["left"].hum_spl_dba, abs=1.0)


def test_left_line_out_stereo_id_has_a_silent_ear(tmp_path, runner):
    rig_path = EXAMPLES / "02-left-line-out-to-splitter.yaml"
    result = runner.invoke(app, ["render", str(rig_path), "--out", str(tmp_path / "o"),
                                 "--program", "builtin:stereo-id", "--seconds", "2.7"])
    assert result.exit_code == 0, result.output
    audio, fs = sf.read(str(tmp_path / "o" / "alice.wav"))
    left_burst = audio[int(0.1 * fs):int(0.5 * fs)]     # 440 Hz, left only
    right_burst = audio[int(1.0 * fs):int(1.4 * fs)]    # 660 Hz, right only
    rms = lambda x: 20 * np.log10(np.sqrt(np.mean(x**2)) * 20 / 20e-6)  # noqa: E731
    assert rms(left_burst[:, 0]) > 80
    assert rms(left_burst[:, 1]) < rms(left_burst[:, 0]) - 40  # the right ear: crosstalk only
    assert rms(right_burst[:, 0]) < 40 and rms(right_burst[:, 1]) < 40  # R reaches no ear
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    codes = {w["code"] for w in summary["listeners"][0]["warnings"]}
    assert "one-ear" in codes
    assert summary["render"]["listeners"]["alice"]["left"]["rms_spl_db"] > 70


def test_fir_path_follows_headphone_impedance_curve(tmp_path):
    from tests.conftest import UR22C_HD650, built_from_text

    graph = compile_rig(built_from_text(UR22C_HD650))
    lf = evaluate(graph).listener("alice")
    i100 = int(np.argmin(np.abs(graph.freqs_hz - 100)))
    t = np.arange(3 * FS) / FS
    prog = np.zeros((len(t), 2))
    prog[:, 0] = math.sqrt(2) * REFERENCE_RMS * (np.sin(2 * np.pi * 100.0 * t)
                                                 + np.sin(2 * np.pi * 1000.0 * t))
    wav = write_wav(tmp_path / "two.wav", prog)
    render(graph, graph.knob_positions, open_program(str(wav), FS), tmp_path / "out")
    audio, _ = sf.read(str(tmp_path / "out" / "alice.wav"))
    l100, _ = tone_level(audio[:, 0], 100.0)
    l1k, _ = tone_level(audio[:, 0], 1000.0)
    assert l100 - l1k == pytest.approx(lf.ears["left"].response_db[i100], abs=0.2)
    assert lf.ears["left"].response_db[i100] > 0.5


def test_clipping_is_counted(tmp_path):
    rig_path = EXAMPLES / "01-headphone-out-to-splitter.yaml"
    graph = compile_rig(check_rig(rig_path))
    pos = {**graph.knob_positions, "scarlett.headphones": 1.0, "hm4.out2": 1.0}
    assert evaluate(graph, pos).listener("bob").clips_at_dbfs < -10
    loud = write_wav(tmp_path / "loud.wav", sine(None, freq=1000.0) * 10 ** (12 / 20))
    result = render(graph, pos, open_program(str(loud), FS), tmp_path / "out")
    assert result.summary["render"]["listeners"]["bob"]["left"]["clipped_samples"] > 0
    assert result.summary["render"]["listeners"]["carol"]["left"]["clipped_samples"] == 0


def test_mono_file_feeds_both_channels_and_resampling_keeps_level(tmp_path):
    t = np.arange(2 * 44100) / 44100
    mono = math.sqrt(2) * REFERENCE_RMS * np.sin(2 * np.pi * 1000 * t)
    path = tmp_path / "mono44.flac"
    sf.write(str(path), mono, 44100)
    prog = open_program(str(path), FS)
    x = np.concatenate(list(prog.blocks(4096)))
    assert x.shape[1] == 2 and abs(len(x) - 2 * FS) < 200
    mid = x[FS // 2:FS + FS // 2]
    assert np.allclose(mid[:, 0], mid[:, 1])
    assert 20 * np.log10(np.sqrt(np.mean(mid[:, 0] ** 2)) / REFERENCE_RMS) == pytest.approx(
        0, abs=0.1)


def test_multichannel_needs_channels(tmp_path):
    data = np.zeros((FS, 4), dtype=np.float32)
    data[:, 2] = 0.1
    path = write_wav(tmp_path / "quad.wav", data)
    prog = open_program(str(path), FS)
    assert prog.notes and "using 1 and 2" in prog.notes[0]
    prog34 = open_program(str(path), FS, channels=(3, 4))
    x = np.concatenate(list(prog34.blocks(4096)))
    assert np.allclose(x[:, 0], 0.1) and np.allclose(x[:, 1], 0.0)
    with pytest.raises(ProgramError, match="has 4 channel"):
        open_program(str(path), FS, channels=(3, 5))


@pytest.mark.parametrize("maker, message", [
    (lambda p: p, "program file not found"),
    (lambda p: (p.write_text("not audio"), p)[1], "cannot read"),
    (lambda p: write_wav(p, np.zeros((0, 2))), "is empty"),
])
def test_bad_programs_are_refused(tmp_path, maker, message):
    path = maker(tmp_path / "in.wav")
    with pytest.raises(ProgramError, match=message):
        open_program(str(path), FS)


def test_absurd_rate_and_nan_samples(tmp_path):
    slow = tmp_path / "slow.wav"
    sf.write(str(slow), np.zeros((100, 2), np.float32), 1000, subtype="FLOAT")
    with pytest.raises(ProgramError, match="unusable sample rate"):
        open_program(str(slow), FS)
    bad = np.zeros((FS, 2), np.float32)
    bad[FS // 2, 0] = np.nan
    nan_path = write_wav(tmp_path / "nan.wav", bad)
    graph = compile_rig(check_rig(EXAMPLES / "01-headphone-out-to-splitter.yaml"))
    with pytest.raises(ProgramError, match="NaN"):
        render(graph, graph.knob_positions, open_program(str(nan_path), FS), tmp_path / "o")
    assert not any((tmp_path / "o").glob("*.wav"))  # nothing half-written is left behind


def test_output_dir_protected_and_cli_errors(tmp_path, runner):
    rig_path = str(EXAMPLES / "01-headphone-out-to-splitter.yaml")
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    r = runner.invoke(app, ["render", rig_path, "--out", str(out), "--seconds", "0.5"])
    assert r.exit_code == 1 and "already exists" in r.stderr
    assert (out / "mine.txt").read_text() == "keep me"
    r = runner.invoke(app, ["render", rig_path, "--out", str(out), "--seconds", "0.5", "--force"])
    assert r.exit_code == 0 and (out / "alice.wav").exists()
    r = runner.invoke(app, ["render", rig_path, "--out", str(tmp_path / "x"), "--program",
                            str(tmp_path / "missing.wav")])
    assert r.exit_code == 1 and "program file not found" in r.stderr
    assert "Traceback" not in r.output
    r = runner.invoke(app, ["render", rig_path, "--out", str(tmp_path / "y"), "--program",
                            "builtin:polka"])
    assert r.exit_code == 1 and "unknown built-in program" in r.stderr


def test_render_is_deterministic_and_calibrated(tmp_path):
    rig_path = EXAMPLES / "01-headphone-out-to-splitter.yaml"
    graph = compile_rig(check_rig(rig_path))
    for d in ("a", "b"):
        render(graph, graph.knob_positions, open_program("builtin:music", FS, 1.0),
               tmp_path / d, seed=3)
    a, _ = sf.read(str(tmp_path / "a" / "alice.wav"), dtype="float32")
    b, _ = sf.read(str(tmp_path / "b" / "alice.wav"), dtype="float32")
    assert np.array_equal(a, b)
    norm = render(graph, graph.knob_positions, open_program("builtin:sine1k", FS, 1.0),
                  tmp_path / "n", normalize=True)
    x, _ = sf.read(str(tmp_path / "n" / "bob.wav"))
    # bob is the loudest listener: his reference program lands at -18 dBFS RMS
    level = 20 * np.log10(np.sqrt(np.mean(x[FS // 4:, 0] ** 2)) * math.sqrt(2))
    assert level == pytest.approx(-18.0, abs=0.2)
    assert norm.summary["render"]["normalized"] is True
