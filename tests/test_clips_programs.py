"""Built-in speech and silence, and the report's listening clips."""

import io
import math

import numpy as np
import pytest
import soundfile as sf

import signalchain as sc
from signalchain.render.clips import (
    CLIP_PEAK_DBFS,
    CLIP_RATE_HZ,
    NOISE_RMS_DBFS,
    fix_ogg_serial,
    listener_clips,
    ogg_crc,
)
from signalchain.render.programs import BUILTINS, builtin
from tests.conftest import EXAMPLES

SEED = EXAMPLES / "01-headphone-out-to-splitter.yaml"


def _table(name: str, fs: int = 48000, seconds: float = 8.0) -> np.ndarray:
    prog = builtin(name, fs, seconds)
    return np.concatenate(list(prog.blocks(fs)))


def test_speech_measures_like_speech():
    x = _table("speech").astype(np.float64)
    assert np.array_equal(x[:, 0], x[:, 1])  # a voice in the centre
    m = x[:, 0]
    rms_dbfs = 20 * math.log10(np.sqrt(np.mean(m**2)) * math.sqrt(2))
    peak_dbfs = 20 * math.log10(np.abs(m).max())
    assert rms_dbfs == pytest.approx(-18.0, abs=0.3)
    assert -8.0 < peak_dbfs < -2.9
    f = np.fft.rfftfreq(len(m), 1 / 48000)
    power = np.abs(np.fft.rfft(m)) ** 2
    assert 250 < (f * power).sum() / power.sum() < 1500  # spectral centroid
    assert power[(f > 100) & (f < 4000)].sum() / power.sum() > 0.85
    frames = m[: len(m) // 480 * 480].reshape(-1, 480)
    quiet = np.sqrt((frames**2).mean(axis=1)) < 1e-4
    assert 0.15 < quiet.mean() < 0.6  # pauses between syllables and phrases
    # syllables: the 10 ms energy envelope rises and falls 3-6 times a second
    env = np.sqrt((frames**2).mean(axis=1)) > 3e-3
    onsets = np.count_nonzero(np.diff(env.astype(int)) == 1)
    assert 3.0 < onsets / 8.0 < 7.0
    assert np.array_equal(_table("speech"), x.astype(np.float32))  # deterministic


def test_silence_is_silent_and_both_are_listed():
    assert not _table("silence", seconds=1.0).any()
    assert {"speech", "silence"} <= set(BUILTINS)


def test_ogg_crc_and_serial():
    assert ogg_crc(b"") == 0
    assert ogg_crc(b"123456789") == 0x89A1897F  # CRC-32/MPEG-2 without its init and xorout
    buf = io.BytesIO()
    sf.write(buf, np.zeros((2400, 2), np.float32), 24000, format="OGG", subtype="VORBIS")
    fixed = fix_ogg_serial(buf.getvalue())
    assert fixed != buf.getvalue() and fix_ogg_serial(fixed) == fixed
    assert sf.read(io.BytesIO(fixed))[0].shape == (2400, 2)


@pytest.fixture(scope="module")
def seed_clips():
    rig = sc.Rig.from_path(SEED)
    return rig, rig.simulate(), listener_clips(rig, seconds=4.0)


def test_clips_share_one_playback_gain(seed_clips):
    rig, ev, clips = seed_clips
    rms = {}
    for who, c in clips.listeners.items():
        audio, fs = sf.read(io.BytesIO(c.program))
        assert fs == CLIP_RATE_HZ and audio.shape[1] == 2
        assert len(audio) == pytest.approx(4.0 * CLIP_RATE_HZ, rel=0.02)
        rms[who] = 20 * math.log10(np.sqrt(np.mean(audio**2)))
    loudest = max(c.program_peak_dbfs for c in clips.listeners.values())
    assert loudest == pytest.approx(CLIP_PEAK_DBFS, abs=0.01)
    spl = {lf.id: lf.program_spl_db for lf in ev.listeners}
    for a in spl:
        for b in spl:  # relative loudness is true, within the codec's and program's error
            assert rms[a] - rms[b] == pytest.approx(spl[a] - spl[b], abs=1.0)


def test_noise_clips_carry_the_hiss_at_a_stated_gain(seed_clips):
    rig, ev, clips = seed_clips
    assert max(c.noise_rms_dbfs for c in clips.listeners.values()) == pytest.approx(
        NOISE_RMS_DBFS, abs=0.01)
    for lf in ev.listeners:
        audio, _ = sf.read(io.BytesIO(clips.listeners[lf.id].noise))
        rms = np.sqrt(np.mean(audio**2))
        # back to pascals: sample 1.0 = 20 Pa; the simulated hiss is A-weighted, the render's
        # broadband, so the unweighted floor reads a few dB above the dBA figure
        spl = 20 * math.log10(rms * 20 / 20e-6) - clips.noise_gain_db
        assert lf.noise_spl_dba - 1 < spl < lf.noise_spl_dba + 12


def test_clips_are_byte_identical_and_small(seed_clips):
    rig, _, clips = seed_clips
    again = listener_clips(sc.Rig.from_path(SEED), seconds=4.0)
    for who, c in clips.listeners.items():
        assert again.listeners[who].program == c.program and again.listeners[who].noise == c.noise
        assert len(c.program) < 200_000 * 4 / 10
