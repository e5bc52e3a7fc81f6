"""Short listening clips for the report: what each listener hears, and their noise floor.

Every program clip is scaled by one playback gain shared by all listeners (the loudest
listener's peak at :data:`CLIP_PEAK_DBFS`), so their relative loudness is true. The noise
clips render the rig with ``builtin:silence`` and raise it by one shared gain, chosen so the
loudest noise floor plays at :data:`NOISE_RMS_DBFS` (at most :data:`MAX_NOISE_GAIN_DB`), so
hiss and hum can be heard. Clips are stereo Ogg Vorbis at :data:`CLIP_RATE_HZ`, made
byte-identical run to run (libsndfile gives each Ogg stream a random serial number; it is
replaced by a fixed one and each page's checksum recomputed).
"""

from __future__ import annotations

import base64
import io
import math
import struct
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from signalchain import units
from signalchain.arrays import Float32Array
from signalchain.errors import Diagnostic, RigError
from signalchain.render.programs import ProgramPolicy

if TYPE_CHECKING:
    from signalchain.rig import Rig

CLIP_RATE_HZ = 24000
"""Sample rate of the clips: speech and music stay clear, files stay small."""
CLIP_PEAK_DBFS = -1.0
NOISE_RMS_DBFS = -30.0
MAX_NOISE_GAIN_DB = 90.0
NOISE_SECONDS = 5.0
"""Noise-floor clips are at most this long: a steady hiss needs no more."""
VORBIS_QUALITY = 0.8
"""libsndfile's compression level for Vorbis (0 best quality … 1 smallest)."""
OGG_SERIAL = 0x5347_4E43
MIME = "audio/ogg"
BLOCK_FRAMES = 8192
"""Frames rendered between two looks at the deadline (about 0.17 s of audio at 48 kHz)."""


@dataclass(frozen=True)
class ListenerClips:
    """One listener's two clips, encoded (Ogg Vorbis bytes), and their levels."""

    program: bytes
    noise: bytes
    program_peak_dbfs: float
    """The clip's peak after the shared playback gain."""
    noise_rms_dbfs: float
    """The noise clip's RMS after the shared noise gain."""


@dataclass(frozen=True)
class ClipSet:
    """Every listener's clips and the two gains they share."""

    program: str
    seconds: float
    playback_gain_db: float
    """Program clips: sample = this gain × (pressure / 20 Pa)."""
    noise_gain_db: float
    """Noise clips: raised this much more than the program clips' scale (1.0 = 20 Pa)."""
    listeners: Mapping[str, ListenerClips]


class RenderTimeLimit(RigError):
    """A render ran past its deadline and was stopped (a server's time limit)."""


def _render(rig: Rig, program: str, seconds: float, knobs: Mapping[str, float] | None,
            policy: ProgramPolicy | None = None, deadline: float | None = None
            ) -> dict[str, Float32Array]:
    """Each listener's ears (frames × 2, 1.0 = 20 Pa) for ``seconds`` of ``program``."""
    parts: dict[str, list[Float32Array]] = {}
    with rig.render(program, seconds=seconds, knobs=knobs, policy=policy) as stream:
        for block in stream.blocks(BLOCK_FRAMES):
            _check_deadline(deadline)
            for who, ears in block.items():
                parts.setdefault(who, []).append(ears)
    return {who: np.concatenate(chunks) for who, chunks in parts.items()}


def _check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise RenderTimeLimit([Diagnostic(
            "error", "the render took longer than its time limit and was stopped",
            hint="render fewer seconds, or try again when the server is less busy",
            code="render-time-limit")])


def _bit_reverse_table() -> bytes:
    return bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))


_REVERSE = _bit_reverse_table()


def ogg_crc(page: bytes) -> int:
    """Ogg's page checksum: CRC-32, polynomial 0x04C11DB7, not reflected, no final xor.

    zlib's CRC-32 is the same polynomial reflected; reflecting the input bytes and the
    result turns one into the other.
    """
    raw = zlib.crc32(page.translate(_REVERSE), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return int(f"{raw:032b}"[::-1], 2)


def fix_ogg_serial(data: bytes, serial: int = OGG_SERIAL) -> bytes:
    """The same Ogg stream with ``serial`` in every page (and checksums to match)."""
    out = bytearray(data)
    pos = 0
    while pos + 27 <= len(out):
        if out[pos:pos + 4] != b"OggS":
            raise ValueError(f"not an Ogg page at byte {pos}")
        segments = out[pos + 26]
        size = 27 + segments + sum(out[pos + 27:pos + 27 + segments])
        out[pos + 14:pos + 18] = struct.pack("<I", serial)
        out[pos + 22:pos + 26] = b"\0\0\0\0"
        out[pos + 22:pos + 26] = struct.pack("<I", ogg_crc(bytes(out[pos:pos + size])))
        pos += size
    return bytes(out)


def encode(ears: Float32Array, samplerate: int, gain: float) -> bytes:
    """Scaled, resampled to :data:`CLIP_RATE_HZ` and encoded as deterministic Ogg Vorbis."""
    import soundfile as sf
    import soxr

    x = np.clip(ears.astype(np.float64) * gain, -1.0, 1.0)
    if samplerate != CLIP_RATE_HZ:
        x = soxr.resample(x, samplerate, CLIP_RATE_HZ, quality="HQ")
    buf = io.BytesIO()
    sf.write(buf, x.astype(np.float32), CLIP_RATE_HZ, format="OGG", subtype="VORBIS",
             compression_level=VORBIS_QUALITY)
    return fix_ogg_serial(buf.getvalue())


def data_uri(clip: bytes) -> str:
    """A ``data:`` URI an ``<audio>`` element plays."""
    return f"data:{MIME};base64," + base64.b64encode(clip).decode("ascii")


def listener_clips(rig: Rig, *, program: str = "builtin:music", seconds: float = 10.0,
                   knobs: Mapping[str, float] | None = None,
                   deadline: float | None = None) -> ClipSet:
    """A program clip and a noise-floor clip per listener (see the module's description).

    Parameters
    ----------
    rig : Rig
        The rig.
    program : str
        ``builtin:NAME`` or an audio file.
    seconds : float
        Length of the program clips (noise clips: at most :data:`NOISE_SECONDS`).
    knobs : Mapping, optional
        Knob positions over the rig's own.
    deadline : float, optional
        A :func:`time.monotonic` time past which rendering stops with
        :class:`RenderTimeLimit` (a server's time limit).
    """
    return matched_clip_sets(rig, {"": knobs}, program=program, seconds=seconds,
                             deadline=deadline)[""]


def matched_clip_sets(rig: Rig, settings: Mapping[str, Mapping[str, float] | None], *,
                      program: str = "builtin:music", seconds: float = 10.0,
                      policy: ProgramPolicy | None = None, deadline: float | None = None
                      ) -> dict[str, ClipSet]:
    """Clips of the rig at several knob settings, all at one playback gain (an A/B test).

    Every set shares the playback gain (the loudest clip of any set peaks at
    :data:`CLIP_PEAK_DBFS`) and the noise gain, so switching between sets plays the level
    and hiss differences the knobs make, and nothing else.

    Parameters
    ----------
    rig : Rig
        The rig.
    settings : Mapping
        Set name (``'A'``, ``'B'``) → knob positions over the rig's own (None: the rig's).
    program, seconds
        As :func:`listener_clips`.
    policy : ProgramPolicy, optional
        Which files ``program`` (or the rig's ``program:``) may name; see
        :class:`~signalchain.render.programs.ProgramPolicy` (a server restricts it).
    deadline : float, optional
        A :func:`time.monotonic` time; past it the render stops with
        :class:`RenderTimeLimit`.
    """
    fs = rig.spec.samplerate
    heard = {name: _render(rig, program, seconds, knobs, policy, deadline)
             for name, knobs in settings.items()}
    quiet = {name: _render(rig, "builtin:silence", min(seconds, NOISE_SECONDS), knobs,
                           policy, deadline) for name, knobs in settings.items()}
    peak = max((float(np.abs(x).max(initial=0.0)) for ears in heard.values()
                for x in ears.values()), default=0.0)
    gain = 10 ** (CLIP_PEAK_DBFS / 20) / peak if peak > 0 else 1.0
    rms = {name: {w: float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) for w, x in ears.items()}
           for name, ears in quiet.items()}
    loudest = max((r for by_listener in rms.values() for r in by_listener.values()), default=0.0)
    # full-scale sine RMS is 1/√2: that is 0 dBFS
    wanted = 10 ** (NOISE_RMS_DBFS / 20) / math.sqrt(2) / loudest if loudest > 0 else 1.0
    noise_gain = min(wanted, 10 ** (MAX_NOISE_GAIN_DB / 20))
    sets: dict[str, ClipSet] = {}
    for name in settings:
        clips: dict[str, ListenerClips] = {}
        for w, ears in heard[name].items():
            _check_deadline(deadline)
            clips[w] = ListenerClips(
                encode(ears, fs, gain), encode(quiet[name][w], fs, noise_gain),
                units.db(float(np.abs(ears).max(initial=0.0)) * gain),
                units.db(rms[name][w] * noise_gain * math.sqrt(2)))
        frames = max((len(x) for x in heard[name].values()), default=0)
        played = min(seconds, frames / fs)  # a file shorter than asked plays its length
        sets[name] = ClipSet(program, round(played, 3), units.db(gain), units.db(noise_gain),
                             clips)
    return sets
