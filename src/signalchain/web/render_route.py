"""``POST /api/render``: listening clips of a rig at one or two knob settings (A/B).

A multipart form: the rig's text, a program (``builtin:NAME``, or ``upload`` for the audio
file sent with it), the length, the knob settings as JSON, and optionally the audio file.
The rig's own ``program:`` may only be a built-in or the uploaded file's name: nothing the
client sends is opened as a server path. The upload lives in a private temporary folder for
the request and is deleted after it, whatever happens. Renders go through the server's
:class:`~signalchain.web.jobs.RenderQueue`.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile

from signalchain.errors import Diagnostic, UsageError
from signalchain.render.clips import CLIP_RATE_HZ, MIME, ClipSet, matched_clip_sets
from signalchain.render.programs import BUILTINS, ProgramPolicy
from signalchain.web.models import MAX_RIG_CHARS
from signalchain.web.state import ServerState

MAX_RENDER_SECONDS = 30.0
DEFAULT_RENDER_SECONDS = 8.0
MAX_KNOB_JSON = 20_000
MAX_LISTENER_SECONDS = 240.0
"""Audio one request may render: listeners × settings × seconds (the clips are held in memory
before they are encoded: 240 s of 48 kHz stereo float32 is about 92 MB)."""
UPLOAD_KEY = "upload"
PROGRAM = rf"^(builtin:[a-z0-9-]{{1,32}}|{UPLOAD_KEY})$"


def _bad(message: str, hint: str = "", code: str = "bad-render") -> UsageError:
    return UsageError([Diagnostic("error", message, hint=hint, code=code)])


def _knob_json(text: str | None, field: str) -> dict[str, float | str] | None:
    if text is None or not text.strip():
        return None
    try:
        data = json.loads(text)
    except ValueError:
        raise _bad(f"{field} is not JSON", 'give an object: {"hm4.out1": 0.5}') from None
    if not isinstance(data, dict) or len(data) > 256 or not all(
            isinstance(k, str) and isinstance(v, int | float | str) and not isinstance(v, bool)
            for k, v in data.items()):
        raise _bad(f"{field} must be an object of knob → position",
                   'e.g. {"hm4.out1": 0.5, "scarlett.headphones": "60%"}')
    return data


def check_render_cost(listeners: int, settings: int, seconds: float) -> None:
    """Refuse a render larger than :data:`MAX_LISTENER_SECONDS` (a 400 naming what fits)."""
    cost = listeners * settings * seconds
    if cost > MAX_LISTENER_SECONDS:
        most = int(MAX_LISTENER_SECONDS / max(1, listeners * settings))
        raise _bad(f"rendering {listeners} listeners × {settings} knob setting"
                   f"{'s' if settings > 1 else ''} × {seconds:g} s is more than the server "
                   f"renders for one request ({MAX_LISTENER_SECONDS:g} listener-seconds)",
                   f"render at most {most} s" if most >= 1 else
                   "render this rig from the command line: signalchain render",
                   "render-too-long")


def _save_upload(audio: UploadFile, folder: Path) -> Path:
    from signalchain.web.app import MAX_UPLOAD_BYTES

    path = folder / "audio"
    with open(path, "xb") as out:
        copied = 0
        while chunk := audio.file.read(1 << 20):
            copied += len(chunk)
            if copied > MAX_UPLOAD_BYTES:
                raise _bad(f"the audio file is larger than {MAX_UPLOAD_BYTES} bytes",
                           "upload a shorter excerpt (WAV, FLAC or Ogg)", "too-large")
            out.write(chunk)
    if copied == 0:
        raise _bad("the audio file is empty", "upload a WAV, FLAC or Ogg file")
    return path


def _clips_json(sets: dict[str, ClipSet], knobs: dict[str, dict[str, float]]
                ) -> dict[str, Any]:
    first = next(iter(sets.values()))
    return {
        "signalchain": 1, "samplerate": CLIP_RATE_HZ, "mime": MIME,
        "program": first.program, "seconds": first.seconds,
        "playback_gain_db": round(first.playback_gain_db, 2),
        "noise_gain_db": round(first.noise_gain_db, 2),
        "settings": {
            name: {"knobs": knobs[name], "listeners": {
                who: {"program": base64.b64encode(c.program).decode("ascii"),
                      "noise": base64.b64encode(c.noise).decode("ascii"),
                      "program_peak_dbfs": round(c.program_peak_dbfs, 2),
                      "noise_rms_dbfs": round(c.noise_rms_dbfs, 2)}
                for who, c in clip_set.listeners.items()}}
            for name, clip_set in sets.items()}}


def add_render_route(router: APIRouter, state: ServerState) -> None:
    """Add ``POST /render`` to ``router``."""
    from signalchain.web.api import knob_positions

    @router.post("/render")
    def render(
        rig: Annotated[str, Form(min_length=1, max_length=MAX_RIG_CHARS,
                                 description="the rig file's YAML text")],
        program: Annotated[str | None, Form(pattern=PROGRAM, description=(
            f"builtin:NAME ({', '.join(BUILTINS)}) or '{UPLOAD_KEY}' for the audio file; "
            "default: the rig's program:, which must be a built-in or the uploaded file's "
            "name"))] = None,
        seconds: Annotated[float, Form(ge=1.0, le=MAX_RENDER_SECONDS)] = DEFAULT_RENDER_SECONDS,
        knobs_a: Annotated[str | None, Form(max_length=MAX_KNOB_JSON, description=(
            "JSON object of knob positions over the rig's: setting A"))] = None,
        knobs_b: Annotated[str | None, Form(max_length=MAX_KNOB_JSON, description=(
            "JSON object of knob positions: setting B (an A/B pair at one playback gain)"
        ))] = None,
        audio: Annotated[UploadFile | None, File(description="an audio file (WAV, FLAC, "
                                                 "Ogg) to play through the rig")] = None,
    ) -> dict[str, Any]:
        """Clips of what each listener hears (Ogg Vorbis, base64) and their noise floor.

        With ``knobs_b``, two sets (A and B) at one shared playback gain, so switching
        between them plays only the difference the knobs make.
        """
        loaded = state.rig(rig)
        settings = {"A": knob_positions(_knob_json(knobs_a, "knobs_a") or {}, loaded)}
        b = _knob_json(knobs_b, "knobs_b")
        if b is not None:
            settings["B"] = knob_positions(b, loaded)
        check_render_cost(len(loaded.listeners), len(settings), seconds)
        # Admitted first: a refused request copies nothing.
        with state.queue.slot() as deadline, \
                tempfile.TemporaryDirectory(prefix="signalchain-upload-") as tmp:
            allow: dict[str, Path | str] = {}
            if audio is not None and (audio.filename or audio.size):
                path = _save_upload(audio, Path(tmp))
                allow[UPLOAD_KEY] = path
                name = os.path.basename(audio.filename or "")
                if name:
                    allow[name] = path
            if program == UPLOAD_KEY and UPLOAD_KEY not in allow:
                raise _bad("program 'upload' needs an audio file sent with the request",
                           "attach the file as 'audio', or choose a builtin: program")
            sets = matched_clip_sets(loaded, settings, program=program or loaded.spec.program,
                                     seconds=seconds, policy=ProgramPolicy(allow_files=allow),
                                     deadline=deadline)
        return _clips_json(sets, settings)
