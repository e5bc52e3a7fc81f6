"""The recording half against hand calculations written out here (recording.md's figures).

A talker's speech is 89 dB SPL at 25 mm, falling 6 dB per doubling of distance; a
microphone turns pascals into volts (its sensitivity); the input's 3 kΩ loads the mic's
pin-2-to-pin-3 impedance; the preamp's gain (56 dB of range, linear in dB on the knob) and
its +9 dBu for 0 dBFS at minimum gain turn volts into dBFS. The noise floor is the power sum
of the mic's own noise (its coil's Johnson noise, or a condenser's self-noise), the preamp's
EIN (measured with 150 Ω, whose Johnson noise it includes) and the converter's 111 dB(A).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from signalchain import Rig
from tests.conftest import EXAMPLES

K_BOLTZMANN = 1.380649e-23
T_ROOM_K = 293.15
Z_IN = 3000.0  # the 2i2's mic input
DBU_0DBFS = 9.0  # assumed in the catalog
EIN_DBU = -128.0
RANGE_DB = 56.0
DR_DB = 111.0


def a_weight_band() -> float:
    """∫ A(f)² df over 20 Hz–20 kHz (IEC 61672 A-weighting), Hz."""
    f = np.geomspace(20.0, 20000.0, 200_001)
    f2 = f**2
    ra = (12194.0**2 * f2**2) / ((f2 + 20.6**2) * np.sqrt((f2 + 107.7**2) * (f2 + 737.9**2))
                                  * (f2 + 12194.0**2))
    a2 = (ra * 10 ** (2.0 / 20)) ** 2
    return float(np.sum((a2[1:] + a2[:-1]) / 2 * np.diff(f)))


def dbu(v: float) -> float:
    return 20 * math.log10(v / 0.7746)


def spl_at(distance_m: float, at_25mm: float = 89.0) -> float:
    return at_25mm - 20 * math.log10(distance_m / 0.025)


def pascal(spl_db: float) -> float:
    return 20e-6 * 10 ** (spl_db / 20)


def rig_text(mic: str, distance: str, *, gain: float = 0.9, monitor: str = "stereo",
             phantom: str = "[]", second_mic: bool = True, booster: bool = False) -> str:
    """The 2i2 with one or two mics, direct monitoring, and two listeners on the HM-4."""
    lines = [
        "signalchain: 1",
        "devices:",
        "  laptop: generic/laptop",
        "  scarlett:",
        "    model: focusrite/scarlett-2i2-3rd-gen",
        f"    knobs: {{headphones: 0.6, gain1: {gain}, gain2: {gain}}}",
        f"    settings: {{direct_monitor: {monitor}, phantom: {phantom}}}",
        f"  mic1: {mic}",
        *(["  mic2: shure/sm58"] if second_mic else []),
        *(["  booster: generic/inline-mic-booster"] if booster else []),
        "  hm4: {model: mackie/hm-4, knobs: {out1: 0.5, out2: 0.5}}",
        "  alice: sony/mdr-7506",
        "  bob: sony/mdr-7506",
        "talkers:",
        f"  alice: {{mic: mic1, distance: {distance}, listener: alice}}",
        *([f"  bob: {{mic: mic2, distance: {distance}, listener: bob}}"] if second_mic else []),
        "connections:",
        "  - {cable: usb, ends: [laptop.usb, scarlett.usb]}",
        "  - {cable: xlr-cable, length: 3 m, ends: [mic1.out, "
        + ("booster.input]}" if booster else "scarlett.input_1]}"),
        *(["  - {cable: xlr-cable, ends: [booster.output, scarlett.input_1]}"] if booster
          else []),
        *(["  - {cable: xlr-cable, length: 3 m, ends: [mic2.out, scarlett.input_2]}"]
          if second_mic else []),
        "  - {cable: trs-cable, ends: [scarlett.headphones, hm4.input]}",
        "  - {plug: alice, into: hm4.out1, via: adapter/3.5f-6.35m}",
        "  - {plug: bob, into: hm4.out2, via: adapter/3.5f-6.35m}",
    ]
    return "\n".join(lines) + "\n"


def simulate(text: str):
    return Rig.from_text(text, "test.yaml").simulate()


def test_an_sm58_at_5_cm_by_hand():
    ev = simulate(rig_text("shure/sm58", "5 cm", gain=0.9))
    (inp1, _inp2) = ev.inputs
    # the voice at the input: 1.85 mV/Pa, loaded by 3 kΩ against 2 × 150 Ω
    p = pascal(spl_at(0.05))
    v_in = 1.85e-3 * p * Z_IN / (Z_IN + 300.0)
    assert spl_at(0.05) == pytest.approx(82.98, abs=0.01)
    assert dbu(1.85e-3 * p) == pytest.approx(-63.4, abs=0.05)  # open circuit
    (alice,) = inp1.voices
    assert alice.input_dbu == pytest.approx(dbu(v_in), abs=0.05)
    # its level at 90 % of a 56 dB knob linear in dB, and the gain for −18 dBFS
    gain_db = RANGE_DB * 0.9
    assert inp1.gain_db == pytest.approx(gain_db, abs=1e-6)
    assert alice.average_dbfs == pytest.approx(dbu(v_in) + gain_db - DBU_0DBFS, abs=0.05)
    assert alice.peak_dbfs == pytest.approx(alice.average_dbfs + 12.0)
    needed = -18.0 - (dbu(v_in) - DBU_0DBFS)
    assert inp1.target_gain_db == pytest.approx(needed, abs=0.05)
    assert needed < RANGE_DB and inp1.missing_gain_db == 0.0
    assert inp1.target_position == pytest.approx(needed / RANGE_DB, abs=0.002)
    # the noise floor: coil noise (divided like the signal), preamp, converter
    band = a_weight_band()
    coil_v2 = 4 * K_BOLTZMANN * T_ROOM_K * 300.0 * band * (Z_IN / (Z_IN + 300.0)) ** 2
    ein_v2 = (0.7746 * 10 ** (EIN_DBU / 20)) ** 2 - 4 * K_BOLTZMANN * T_ROOM_K * 150 * band
    fs_per_v = 10 ** (gain_db / 20) / (0.7746 * 10 ** (DBU_0DBFS / 20))
    floor = 10 * math.log10((coil_v2 + ein_v2) * fs_per_v**2 + 10 ** (-DR_DB / 10))
    assert inp1.noise_dbfs_a == pytest.approx(floor, abs=0.2)
    assert inp1.snr_db == pytest.approx(alice.average_dbfs - floor, abs=0.2)
    assert not [w for w in ev.warnings if w.code == "not-enough-gain"]


def test_a_condenser_is_limited_by_its_self_noise():
    ev = simulate(rig_text("audio-technica/at2020", "15 cm", gain=0.6, phantom="[input_1]",
                           second_mic=False))
    (inp1,) = ev.inputs  # the unplugged input_2 records nothing and is not listed
    assert inp1.source_noise_dbfs_a > inp1.preamp_noise_dbfs_a + 10.0
    # 20 dB(A) self-noise against 89 − 20·log10(6) = 73.4 dB SPL of speech: ≈ 53 dB SNR
    assert inp1.snr_db == pytest.approx(spl_at(0.15) - 20.0, abs=0.3)
    assert inp1.snr_db == pytest.approx(53.4, abs=0.3)
    assert not [w for w in ev.warnings if w.code == "phantom-missing"]


def test_a_condenser_without_phantom_power_is_an_error():
    ev = simulate(rig_text("audio-technica/at2020", "15 cm", second_mic=False))
    (missing,) = [w for w in ev.warnings if w.code == "phantom-missing"]
    assert missing.severity == "error" and missing.data["device"] == "mic1"
    assert "phantom" in missing.message and missing.subject == "scarlett.input_1"


def _needed_gain(mic_mv_per_pa: float, z_leg: float, distance_m: float) -> float:
    v_in = mic_mv_per_pa * 1e-3 * pascal(spl_at(distance_m)) * Z_IN / (Z_IN + 2 * z_leg)
    return -18.0 - (dbu(v_in) - DBU_0DBFS)


def test_not_enough_gain_fires_exactly_where_the_range_runs_out():
    # an SM7B at 5 cm: about 59 dB needed, 3 dB more than the 56 available
    needed = _needed_gain(1.12, 75.0, 0.05)
    ev = simulate(rig_text("shure/sm7b", "5 cm", second_mic=False))
    (short,) = [w for w in ev.warnings if w.code == "not-enough-gain"]
    assert short.data["needed_db"] == pytest.approx(needed, abs=0.05)
    assert short.data["missing_db"] == pytest.approx(needed - RANGE_DB, abs=0.05)
    assert needed - RANGE_DB == pytest.approx(3.3, abs=0.1)
    assert f"{short.data['missing_db']:.1f} dB more than the preamp" in short.message
    # an SM58 just nearer and just farther than where it needs exactly 56 dB
    at_56 = 0.05 * 10 ** ((RANGE_DB - _needed_gain(1.85, 150.0, 0.05)) / 20)
    for factor, fires in ((0.98, False), (1.02, True)):
        d_cm = at_56 * factor * 100
        found = [w for w in simulate(rig_text("shure/sm58", f"{d_cm:.4f} cm", second_mic=False)
                                     ).warnings if w.code == "not-enough-gain"]
        assert bool(found) is fires, (d_cm, found)


def test_a_booster_makes_the_sm7b_reach_the_target():
    ev = simulate(rig_text("shure/sm7b", "5 cm", second_mic=False, booster=True,
                           phantom="[input_1]"))
    codes = {w.code for w in ev.warnings}
    assert "not-enough-gain" not in codes and "phantom-missing" not in codes
    (inp1,) = ev.inputs  # the unplugged input_2 records nothing and is not listed
    # the booster's 25 dB (into the 2i2's 3 kΩ from 150 Ω per leg) replaces preamp gain
    assert inp1.target_gain_db == pytest.approx(_needed_gain(1.12, 75.0, 0.05) - 25.0, abs=1.0)
    unpowered = simulate(rig_text("shure/sm7b", "5 cm", second_mic=False, booster=True))
    (missing,) = [w for w in unpowered.warnings if w.code == "phantom-missing"]
    assert missing.data["device"] == "booster"


@pytest.mark.parametrize("mode", ["stereo", "mono", "off"])
def test_direct_monitoring_puts_each_voice_where_the_manual_says(mode):
    ev = simulate(rig_text("shure/sm58", "5 cm", monitor=mode))
    heard = {(v.talker, v.side): v.spl_db for v in ev.listener("alice").voices}
    if mode == "off":
        assert heard == {}
        return
    stereo = {(v.talker, v.side): v.spl_db
              for v in simulate(rig_text("shure/sm58", "5 cm")).listener("alice").voices}
    if mode == "stereo":  # input 1 left, input 2 right
        assert heard[("alice", "left")] > heard.get(("alice", "right"), -math.inf) + 40
        assert heard[("bob", "right")] > heard.get(("bob", "left"), -math.inf) + 40
    else:  # both inputs in both ears, each 3 dB below its stereo level
        for talker, side in (("alice", "left"), ("alice", "right"), ("bob", "left"),
                             ("bob", "right")):
            own = "left" if talker == "alice" else "right"
            assert heard[(talker, side)] == pytest.approx(stereo[(talker, own)] - 3.0,
                                                          abs=0.05)


def test_direct_monitoring_adds_the_preamps_noise_to_the_hiss():
    on = simulate(rig_text("shure/sm58", "5 cm")).listener("alice")
    off = simulate(rig_text("shure/sm58", "5 cm", monitor="off")).listener("alice")
    assert on.noise_spl_dba > off.noise_spl_dba
    # the recording's floor at the ear, played back at this chain's level, is the same
    assert on.recorded_noise_spl_dba == pytest.approx(off.recorded_noise_spl_dba, abs=1e-6)


def test_settings_are_checked_against_the_device():
    from signalchain.errors import RigError

    bad = rig_text("shure/sm58", "5 cm").replace("phantom: []", "phantom: [line_out_1]")
    with pytest.raises(RigError, match="no input 'line_out_1' with phantom power"):
        Rig.from_text(bad, "t.yaml").resolved  # noqa: B018
    bad = rig_text("shure/sm58", "5 cm").replace("mic: mic1", "mic: hm4", 1)
    with pytest.raises(RigError, match="talker alice's mic 'hm4' is not a microphone"):
        Rig.from_text(bad, "t.yaml").resolved  # noqa: B018


def test_the_podcast_example_answers_the_seed_claims():
    ev = Rig.from_path(EXAMPLES / "07-podcast-two-mics.yaml").simulate()
    for f in ev.inputs:
        assert f.target_gain_db is not None and f.target_gain_db <= f.gain_range_db
    for lf in ev.listeners:
        assert lf.recorded_noise_spl_dba is not None
        assert {v.talker for v in lf.voices} == {"alice", "bob"}


def test_simulate_json_has_the_recording(tmp_path):
    from signalchain.report.simulate import evaluation_json

    data = evaluation_json(simulate(rig_text("shure/sm58", "5 cm")))
    (inp1, inp2) = data["inputs"]
    assert inp1["id"] == "scarlett.input_1" and inp1["channel"] == 1 and inp2["channel"] == 2
    assert set(inp1["noise_parts_dbfs_a"]) == {"source", "preamp", "converter"}
    alice = data["listeners"][0]
    assert {v["talker"] for v in alice["voices"]} == {"alice", "bob"}
    assert set(alice["noise_vs_recording"]) == {"hiss_spl_dba", "recording_floor_spl_dba",
                                                "hiss_mostly_not_recorded"}


# ---- render: recording.wav and the voices in the listeners' files --------------------------

def a_weighted_rms(x: np.ndarray, samplerate: int) -> float:
    """RMS after IEC 61672 A-weighting (applied in the frequency domain), 20 Hz–20 kHz."""
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1 / samplerate)
    f2 = f**2
    with np.errstate(divide="ignore", invalid="ignore"):
        ra = (12194.0**2 * f2**2) / ((f2 + 20.6**2) * np.sqrt((f2 + 107.7**2)
                                                             * (f2 + 737.9**2))
                                     * (f2 + 12194.0**2))
    gain = np.nan_to_num(ra * 10 ** (2.0 / 20)) * ((f >= 20) & (f <= 20000))
    return float(np.sqrt(np.mean(np.fft.irfft(spec * gain, len(x)) ** 2)))


@pytest.fixture(scope="module")
def rendered_07(tmp_path_factory):
    out = tmp_path_factory.mktemp("r07")
    rig = Rig.from_path(EXAMPLES / "07-podcast-two-mics.yaml")
    with rig.render("builtin:silence", seconds=16.0) as stream:  # two whole speech loops
        result = stream.write(out)
    return rig.simulate(), result, out


def test_the_recording_is_written_and_agrees_with_simulate(rendered_07):
    import soundfile as sf

    ev, result, out = rendered_07
    data, rate = sf.read(out / "recording.wav", dtype="float64")
    assert data.shape[1] == 2 and rate == 48000
    summary = result.summary["render"]["recording"]
    for col, (f, row) in enumerate(zip(ev.inputs, summary["inputs"], strict=True)):
        rms_dbfs = 20 * math.log10(np.sqrt(np.mean(data[:, col] ** 2)) * math.sqrt(2))
        assert rms_dbfs == pytest.approx(f.average_dbfs, abs=0.5), f.id
        assert row["rms_dbfs"] == pytest.approx(rms_dbfs, abs=0.01)
        assert row["channel"] == f.channel and row["clipped_samples"] == 0


def test_the_recorded_noise_floor_agrees_with_simulate(tmp_path):
    import soundfile as sf

    text = (EXAMPLES / "07-podcast-two-mics.yaml").read_text().replace(
        "listener: alice}", "listener: alice, voice: builtin:silence}").replace(
        "listener: bob}", "listener: bob, voice: builtin:silence}")
    rig = Rig.from_text(text, str(EXAMPLES / "07.yaml"))
    ev = rig.simulate()
    with rig.render("builtin:silence", seconds=4.0) as stream:
        stream.write(tmp_path)
    data, rate = sf.read(tmp_path / "recording.wav", dtype="float64")
    for col, f in enumerate(ev.inputs):
        floor = 20 * math.log10(a_weighted_rms(data[:, col], rate) * math.sqrt(2))
        assert floor == pytest.approx(f.noise_dbfs_a, abs=1.0), f.id


def test_direct_monitoring_is_in_the_listeners_files(rendered_07):
    ev, result, _out = rendered_07
    ears = result.summary["render"]["listeners"]["alice"]
    voices = {(v.talker, v.side): v.spl_db for v in ev.listener("alice").voices}
    # alice's own voice fills her left ear, bob's her right (stereo direct monitoring)
    assert ears["left"]["rms_spl_db"] == pytest.approx(voices[("alice", "left")], abs=0.5)
    assert ears["right"]["rms_spl_db"] == pytest.approx(voices[("bob", "right")], abs=0.5)


def test_a_listener_cannot_take_the_recordings_file_name():
    from signalchain.errors import RigError

    text = (EXAMPLES / "07-podcast-two-mics.yaml").read_text().replace("dave", "recording")
    with pytest.raises(RigError, match="recording.wav is the recording's file"):
        with Rig.from_text(text, "t.yaml").render(seconds=1.0) as stream:
            stream.write(Path("/nonexistent-never-written"))


# ---- advise wires the microphones -----------------------------------------------------------

def test_advise_wires_each_mic_into_an_input_and_gains_them_for_the_target():
    advice = Rig.from_path(EXAMPLES / "07-podcast-two-mics.yaml").advise()
    best = advice.methods[0]
    ev = advice.rig_for(best).simulate()
    assert [f.id for f in ev.inputs] == ["scarlett.input_1", "scarlett.input_2"]
    for f in ev.inputs:
        assert f.average_dbfs == pytest.approx(-18.0, abs=0.1)
    assert ("xlr-cable", 2) in [(b.item, b.count) for b in best.bom]


def test_advise_puts_the_booster_on_the_mic_that_needs_it_most():
    text = rig_text("shure/sm58", "5 cm").replace(
        "  mic2: shure/sm58", "  mic2: shure/sm7b\n  booster: generic/inline-mic-booster\n"
        "  mic3: shure/sm58").replace("phantom: []", "phantom: [input_1, input_2]")
    advice = Rig.from_text(text, "t.yaml").advise()
    links = [c for c in advice.methods[0].connections if c.get("cable") == "xlr-cable"]
    ends = [tuple(e if isinstance(e, str) else e["port"] for e in c["ends"]) for c in links]
    assert ("mic2.out", "booster.input") in ends and ("booster.output", "scarlett.input_2") in ends
    assert ("mic1.out", "scarlett.input_1") in ends
    (extra,) = [s for s in advice.skipped if s.code == "no-input"]
    assert extra.data["mic"] == "mic3"
    from signalchain.report.advice import skipped_text

    assert "no recording input left for mic3" in skipped_text(extra)[0]


# ---- the report: the recording path in its own level diagram --------------------------------

def test_the_report_shows_each_inputs_level_diagram():
    pytest.importorskip("jinja2")
    from signalchain.levels import level_windows, recording_windows
    from signalchain.report.html import ReportOptions, build_report

    rig = Rig.from_path(EXAMPLES / "08-sm7b-with-booster.yaml")
    ev = rig.simulate()
    stages = [w.stage for w in recording_windows(rig, ev, "scarlett.input_1")]
    assert stages == ["sm7b.out", "booster.input", "booster.output", "scarlett.input_1",
                      "scarlett.ADC 1"]
    (inp,) = ev.inputs
    adc = recording_windows(rig, ev, "scarlett.input_1")[-1]
    assert adc.clip_dbu == pytest.approx(DBU_0DBFS)  # 0 dBFS at the converter
    assert adc.average_dbu - DBU_0DBFS == pytest.approx(inp.average_dbfs, abs=0.01)
    # the listener's program diagram has no microphone in it
    assert [w.stage for w in level_windows(rig, ev, "host")] == ["scarlett.headphones",
                                                                "host.drivers"]
    html = build_report(rig, ReportOptions(listen=False))
    assert 'aria-label="recording level diagram of scarlett.input_1"' in html
    assert "Recording: scarlett.input_1 (channel 1)" in html


def test_a_dynamic_mic_does_not_mind_phantom_power_and_closer_is_computed():
    plain = simulate(rig_text("shure/sm58", "5 cm", second_mic=False))
    powered = simulate(rig_text("shure/sm58", "5 cm", second_mic=False, phantom="[input_1]"))
    assert not [w for w in powered.warnings if w.code == "phantom-missing"]
    assert powered.inputs[0].average_dbfs == pytest.approx(plain.inputs[0].average_dbfs)
    (short,) = [w for w in simulate(rig_text("shure/sm7b", "5 cm", second_mic=False)).warnings
                if w.code == "not-enough-gain"]
    closer = 0.05 * 10 ** (-short.data["missing_db"] / 20)  # −6 dB per doubling of distance
    assert short.data["closer_m"] == pytest.approx(closer)
    assert f"at {closer * 100:.1f} cm instead of 5 cm" in short.message


def test_the_input_filters_move_on_once_per_block(monkeypatch):
    """Inputs are read level by level within a block (mics, then direct monitoring, then the
    amps); the streaming filters' tails may move on only once, or they are counted twice."""
    from signalchain.render.filters import PathBank

    rig = Rig.from_path(EXAMPLES / "07-podcast-two-mics.yaml")
    commits: list[bool] = []
    real = PathBank.process

    def spy(self, sources, out, commit=True):
        if self is engine.paths_in:
            commits.append(commit)
        real(self, sources, out, commit)

    with rig.render("builtin:sine1k", seconds=0.3) as stream:
        engine = stream._engine
        assert engine.paths_in.paths  # the HM-4's input filters its source
        monkeypatch.setattr(PathBank, "process", spy)
        blocks = list(stream.blocks(4800))
    assert len(blocks) == 3 and commits.count(True) == 3 and len(commits) > 3
