"""``check`` and ``simulate`` for people (rich tables) and programs (the JSON contract)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from signalchain import thresholds as th
from signalchain.findings import Finding
from signalchain.recording import (
    NOT_RECORDED_MARGIN_DB,
    SPEECH_CREST_DB,
    InputFigures,
    monitored_voices,
)
from signalchain.report.common import cells, level_text, named
from signalchain.report.messages import assumption_text, finding_text, limit_text
from signalchain.report.tables import add_columns, new_table
from signalchain.results import Evaluation, ListenerFigures
from signalchain.wiring.build import BuiltRig

if TYPE_CHECKING:
    from signalchain.rig import CheckResult


def json_number(x: float | None, nd: int = 1) -> float | None:
    """A figure for JSON: rounded, and null when absent or not finite (no -inf in JSON)."""
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), nd)


def finding_json(f: Finding) -> dict[str, Any]:
    """A finding as in every command's JSON: ``{code, severity, message}``."""
    return {"code": f.code, "severity": f.severity, "message": finding_text(f)}


def check_json(rig_name: str, result: CheckResult, failed: Sequence[Finding] = ()
               ) -> dict[str, Any]:
    """``check --json`` of a rig that plugs together (``failed``: what ``--fail-on`` chose)."""
    return {"signalchain": 1, "valid": True, "rig": rig_name,
            "listeners": list(result.listeners), "feeds": dict(result.feeds),
            "findings": [finding_json(f) for f in result.findings],
            "failed": [finding_json(f) for f in failed]}


def assumptions_of(ev: Evaluation) -> list[str]:
    """Every assumption the evaluation rests on, as sentences, without repeats."""
    return sorted({assumption_text(a) for lf in ev.listeners for a in lf.assumptions}) + [
        assumption_text(a) for a in ev.assumptions]


def _listener_json(lf: ListenerFigures) -> dict[str, Any]:
    ears = {side: {"program": [{"channel": c.channel, "spl_db": json_number(c.spl_db),
                                "polarity": c.polarity, "crosstalk": c.crosstalk}
                               for c in e.program],
                   "noise_spl_dba": json_number(e.noise_spl_dba),
                   "hum_spl_dba": json_number(e.hum_spl_dba),
                   "noise_audible": e.noise_audible, "hum_audible": e.hum_audible}
            for side, e in lf.ears.items()}
    out = {"id": lf.id, "name": lf.name, "device": lf.device, "feed": lf.feed, "ears": ears,
           "peak_spl_db": json_number(lf.peak_spl_db),
           "clips_at_dbfs": json_number(lf.clips_at_dbfs),
           "volume_controls": [{"knob": str(c.knob), "physical": c.physical}
                               for c in lf.volume_controls],
           "warnings": [finding_json(w) for w in lf.warnings],
           "assumptions": [assumption_text(a) for a in lf.assumptions],
           "voices": [{"talker": v.talker, "side": v.side, "spl_db": json_number(v.spl_db)}
                      for v in lf.voices],
           "monitor_latency_ms": json_number(lf.monitor_latency_ms)}
    if lf.recorded_noise_spl_dba is not None:
        out["noise_vs_recording"] = noise_vs_recording_json(lf)
    return out


def noise_vs_recording_json(lf: ListenerFigures) -> dict[str, Any]:
    """The seed's claim for one listener: their hiss and the recording's floor, same units."""
    assert lf.recorded_noise_spl_dba is not None
    hiss, floor = lf.noise_spl_dba, lf.recorded_noise_spl_dba
    return {"hiss_spl_dba": json_number(hiss), "recording_floor_spl_dba": json_number(floor),
            "hiss_mostly_not_recorded": bool(hiss >= floor + NOT_RECORDED_MARGIN_DB)}


def input_json(f: InputFigures) -> dict[str, Any]:
    """One recording input in ``simulate --json`` (docs/json.md)."""
    return {
        "id": f.id, "channel": f.channel, "knob": f.knob, "position": round(f.position, 3),
        "gain_db": json_number(f.gain_db), "gain_range_db": json_number(f.gain_range_db),
        "voices": [{"talker": v.talker, "spl_at_mic_db": json_number(v.spl_at_mic_db),
                    "input_dbu": json_number(v.input_dbu),
                    "average_dbfs": json_number(v.average_dbfs),
                    "peak_dbfs": json_number(v.peak_dbfs)} for v in f.voices],
        "average_dbfs": json_number(f.average_dbfs), "peak_dbfs": json_number(f.peak_dbfs),
        "noise_dbfs_a": json_number(f.noise_dbfs_a),
        "noise_parts_dbfs_a": {"source": json_number(f.source_noise_dbfs_a),
                               "preamp": json_number(f.preamp_noise_dbfs_a),
                               "converter": json_number(f.converter_noise_dbfs_a)},
        "snr_db": json_number(f.snr_db), "headroom_db": json_number(f.headroom_db),
        "target_dbfs": f.target_dbfs, "target_gain_db": json_number(f.target_gain_db),
        "target_position": None if f.target_position is None else round(f.target_position, 3),
        "missing_gain_db": json_number(f.missing_gain_db),
        "phantom_on": f.phantom_on, "needs_phantom": list(f.needs_phantom)}


def evaluation_json(ev: Evaluation) -> dict[str, Any]:
    """The ``simulate --json`` object (docs/json.md)."""
    return {
        "signalchain": 1, "rig": ev.rig,
        "reference": {"program_dbfs_rms": th.REFERENCE_DBFS, "frequency_hz": 1000},
        "thresholds": {"hiss_audible_dba": th.HISS_AUDIBLE_DBA,
                       "hum_audible_dba": th.HUM_AUDIBLE_DBA,
                       "crosstalk_db": th.CROSSTALK_DB,
                       "channel_floor_db": th.CHANNEL_FLOOR_DB},
        "knobs": {k: round(v, 3) for k, v in ev.knobs.items()},
        "listeners": [_listener_json(lf) for lf in ev.listeners],
        "stages": [{"id": s.id, "headroom_db": json_number(s.headroom_db),
                    "limited_by": limit_text(s.limit)} for s in ev.stages],
        "warnings": [finding_json(w) for w in ev.warnings],
        "assumptions": [assumption_text(a) for a in ev.assumptions],
        "inputs": [input_json(f) for f in ev.inputs],
    }


def print_check(console: Console, built: BuiltRig) -> None:
    """Print a checked rig: devices, connections, listeners and what feeds them."""
    console.print(built.rig.spec.name or "rig", style="bold", markup=False)
    table = Table(title="devices", title_justify="left")
    for col in ("name", "model", "kind", "power", "knobs"):
        table.add_column(col)
    for dev in built.devices.values():
        knobs = ", ".join(f"{k} {v:.0%}" for k, v in dev.knobs.items())
        table.add_row(*cells(named(dev.name, dev.spec.name), dev.model or "(inline)",
                             dev.spec.kind, dev.spec.power, knobs))
    console.print(table)
    console.print("[bold]connections[/bold]")
    for i, line in enumerate(built.links, 1):
        console.print(f"  {i}. {line}", markup=False)
    console.print("[bold]listeners[/bold]")
    for name in built.listeners:
        dev = built.devices[name]
        feed = built.feeds.get(name) or "nothing active"
        console.print(f"  {named(name, dev.spec.name)} ({dev.model or 'inline'}) ← {feed}",
                      markup=False)


def _program_cell(lf: ListenerFigures, side: str) -> str:
    """One ear's program cell: ``L 82.1 dB``, crosstalk and inverted polarity marked."""
    ear = lf.ears[side]
    if not ear.program:
        return "silent"
    parts = [] if lf.program_at(side) else ["no program"]
    for c in ear.program:
        notes = [] if c.polarity > 0 else ["inverted"]
        if c.crosstalk:
            notes.insert(0, "crosstalk")
        parts.append(f"{c.channel} {c.spl_db:.1f} dB" + (f" ({', '.join(notes)})" if notes
                                                           else ""))
    return ", ".join(parts)


LISTENER_HEADER = ("listener", "fed by", "ear", "program (dB SPL)", "hiss dBA", "hum dBA",
                   "clips at")


def listener_rows(ev: Evaluation) -> list[tuple[str, ...]]:
    """Simulate's per-ear table as text cells, one row per ear (:data:`LISTENER_HEADER`)."""
    rows: list[tuple[str, ...]] = []
    for lf in ev.listeners:
        first = True
        for side, ear in lf.ears.items():
            clip = "" if not first else (f"{lf.clips_at_dbfs:.1f} dBFS" if lf.clips_at_dbfs
                                         is not None else "—")
            rows.append((named(lf.id, lf.name) if first else "",
                         (lf.feed or "nothing") if first else "", side,
                         _program_cell(lf, side),
                         level_text(ear.noise_spl_dba, th.HISS_AUDIBLE_DBA),
                         level_text(ear.hum_spl_dba, th.HUM_AUDIBLE_DBA), clip))
            first = False
    return rows


def _listener_table(ev: Evaluation) -> Table:
    table = new_table("what each listener hears")
    rows = listener_rows(ev)
    add_columns(table, LISTENER_HEADER, rows, no_wrap=("ear", "clips at"))
    for row in rows:
        if row[0] and table.row_count:
            table.add_section()
        table.add_row(*cells(*row))
    return table


STAGE_HEADER = ("stage", "headroom", "limited by")


def stage_rows(ev: Evaluation) -> list[tuple[str, ...]]:
    """The headroom table as text cells (:data:`STAGE_HEADER`)."""
    return [(s.id, f"{s.headroom_db:+.1f} dB", limit_text(s.limit)) for s in ev.stages]


def _stage_table(ev: Evaluation) -> Table:
    st = new_table("headroom for a 0 dBFS sine")
    rows = stage_rows(ev)
    add_columns(st, STAGE_HEADER, rows, no_wrap=("headroom",))
    for s, row in zip(ev.stages, rows, strict=True):
        st.add_row(*cells(*row), style="red" if s.headroom_db < 0 else "")
    return st


INPUT_HEADER = ("input", "gain", "talker", "speech dBFS", "noise dBFS(A)", "SNR",
                "gain for target")


def input_rows(ev: Evaluation) -> list[tuple[str, ...]]:
    """What each input records, as text cells (:data:`INPUT_HEADER`), a row per talker."""
    rows: list[tuple[str, ...]] = []
    for f in ev.inputs:
        target = ("—" if f.target_gain_db is None else
                  f"{f.target_gain_db:.1f} dB\n({f.target_position:.0%})"
                  + (f"\n{f.missing_gain_db:.1f} dB short" if f.missing_gain_db > 0 else ""))
        voices = f.voices or ()
        first = True
        for v in voices or (None,):
            rows.append((f"{f.id} (ch {f.channel})" if first else "",
                         f"{f.gain_db:.1f} dB ({f.position:.0%})" if first else "",
                         "nobody" if v is None else v.talker,
                         "—" if v is None else
                         f"{v.average_dbfs:.1f} avg\n{v.peak_dbfs:.1f} peak",
                         f"{f.noise_dbfs_a:.1f}" if first else "",
                         f"{f.snr_db:.1f} dB" if first and v is not None else "",
                         target if first else ""))
            first = False
    return rows


def _input_table(ev: Evaluation) -> Table:
    table = new_table(f"what each input records (speech peaks {SPEECH_CREST_DB:g} dB over "
                      "the average)")
    rows = input_rows(ev)
    add_columns(table, INPUT_HEADER, rows, no_wrap=("SNR",))
    for row in rows:
        table.add_row(*cells(*row))
    return table


def voices_text(lf: ListenerFigures) -> str | None:
    """The voices a listener hears through monitoring (crosstalk left out), or None."""
    if not lf.voices:
        return None
    late = (f" ({lf.monitor_latency_ms:.1f} ms late, through the computer)"
            if lf.monitor_latency_ms is not None else "")
    return ", ".join(f"{v.talker} {v.side} {v.spl_db:.1f} dB SPL"
                     for v in monitored_voices(lf.voices)) + late


def recording_floor_text(lf: ListenerFigures) -> str | None:
    """The listener's hiss against the recording's floor at their ear, or None."""
    if lf.recorded_noise_spl_dba is None:
        return None
    margin = lf.noise_spl_dba - lf.recorded_noise_spl_dba
    verdict = ("most of it is not in the recording" if margin >= NOT_RECORDED_MARGIN_DB
               else "the recording is noisier" if margin <= -NOT_RECORDED_MARGIN_DB
               else "much of it is in the recording too")
    return (f"hiss {lf.noise_spl_dba:.1f} dBA vs the recording's floor "
            f"{lf.recorded_noise_spl_dba:.1f} dBA at this ear ({verdict})")


def monitoring_line(lf: ListenerFigures) -> str | None:
    """The voices a listener hears and their hiss against the recording's floor, or None."""
    voices, floor = voices_text(lf), recording_floor_text(lf)
    parts = ([f"voices {voices}"] if voices else []) + ([floor] if floor else [])
    return "; ".join(parts) or None


def _print_assumptions(console: Console, ev: Evaluation, show: bool) -> None:
    notes = assumptions_of(ev)
    if not notes:
        return
    if show:
        console.print(f"These results rest on {len(notes)} assumed values:", style="dim")
        for a in notes:
            console.print(f"  - {a}", style="dim", markup=False)
    else:
        console.print(f"[dim]These results rest on {len(notes)} assumed values "
                      "(see 'simulate --json' or 'catalog show').[/dim]")


def print_evaluation(console: Console, ev: Evaluation, show_assumptions: bool = True) -> None:
    """Print simulate's figures: per listener and ear, stages, findings and assumptions."""
    console.print(Text.assemble((ev.rig or "rig", "bold"), " — reference program: 1 kHz sine "
                                "at −18 dBFS RMS per channel"))
    console.print(_listener_table(ev))
    if ev.stages:
        console.print(_stage_table(ev))
    if ev.inputs:
        console.print(_input_table(ev))
    for lf in ev.listeners:
        controls = ", ".join(f"{c.knob}{'' if c.physical else ' (software)'}"
                             for c in lf.volume_controls)
        model = f" [{lf.device}]" if lf.device != lf.id else ""
        console.print(Text.assemble((named(lf.id, lf.name), "bold"), f"{model} volume: "
                                    f"{controls}"))
        line = monitoring_line(lf)
        if line:
            console.print(f"  {line}", markup=False)
        for w in lf.warnings:
            console.print(Text.assemble("  ", (w.code, "yellow"), f": {finding_text(w)}"))
    for w in ev.warnings:
        console.print(Text.assemble((w.code, "yellow"), f": {finding_text(w)}"))
    _print_assumptions(console, ev, show_assumptions)
