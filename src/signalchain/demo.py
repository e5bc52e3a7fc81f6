"""``signalchain demo``: run the bundled example rigs (the seed articles' methods).

For every example it checks the wiring and simulates what each listener
hears, then sums up what that says about the seed articles' claims.
"""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from signalchain.errors import RigError, error_at
from signalchain.io import write_text_atomic
from signalchain.recording import NOT_RECORDED_MARGIN_DB
from signalchain.render.output import check_output_dir
from signalchain.report.simulate import evaluation_json
from signalchain.results import Evaluation
from signalchain.rig import Rig


class ExamplesMissingError(RigError):
    """The bundled example rigs are not installed (an incomplete installation)."""


def _missing(root: Path, what: str) -> ExamplesMissingError:
    return ExamplesMissingError([error_at(
        f"{what} in {root}: this installation of signalchain is incomplete",
        hint="reinstall it ('pip install --force-reinstall signalchain', or 'pip install .' "
        "in a checkout, whose src/signalchain/examples/ holds them)", code="no-examples")])


def example_paths() -> list[Path]:
    """The bundled example rigs, in order.

    Raises
    ------
    ExamplesMissingError
        If the package was installed without its example rigs.
    """
    root = Path(str(resources.files("signalchain") / "examples"))
    paths = sorted(root.glob("*.yaml"))
    if not paths:
        raise _missing(root, "no example rigs (*.yaml) found")
    return paths


def example_path(number: str) -> Path:
    """The bundled example rig whose name starts with ``number`` (``'01'``, ``'02'`` ...).

    Raises
    ------
    ExamplesMissingError
        If there is no such example.
    """
    paths = example_paths()
    for path in paths:
        if path.name.startswith(f"{number}-"):
            return path
    raise _missing(paths[0].parent, f"example {number}-*.yaml not found")


def _ear_text(ev: Evaluation, listener: str, side: str) -> str:
    """Program at one ear, e.g. ``L 82``; an ear with only crosstalk says so."""
    lf = ev.listener(listener)
    parts = [f"{c.channel}{'' if c.polarity > 0 else '(−)'} {c.spl_db:.0f}"
             for c in lf.program_at(side)]
    if parts:
        return ", ".join(parts)
    leaks = [f"{c.channel} {c.spl_db:.0f}" for c in lf.crosstalk_at(side)]
    return f"silent (crosstalk only: {', '.join(leaks)})" if leaks else "silent"


def _claim_one_ear(console: Console, rig2: Rig) -> None:
    alice = rig2.simulate().listener("alice")
    left_l = next(c.spl_db for c in alice.program_at("left") if c.channel == "L")
    right_xt = max((c.spl_db for c in alice.crosstalk_at("right")), default=float("-inf"))
    if alice.program_at("right"):
        right_what = "program too"
    elif right_xt > float("-inf"):
        right_what = f"only crosstalk {left_l - right_xt:.0f} dB down"
    else:
        right_what = "no program"
    r_anywhere = any(c.channel == "R" for side in alice.ears for c in alice.program_at(side))
    console.print(f"• 'Method 2 gives audio in one ear': yes with the Scarlett's (impedance-"
                  f"balanced) line out — alice's left ear {left_l:.1f} dB SPL, right ear "
                  f"{right_what}; R reaches "
                  f"{'an ear' if r_anywhere else 'neither ear (at most as crosstalk)'}.")


def _claim_antiphase(console: Console, rig2: Rig) -> None:
    ev_m2 = rig2.with_devices({"scarlett": {"model": "motu/m2", "knobs": {
        "monitor": 0.7, "phones": 0.5}}}).simulate()
    a2 = ev_m2.listener("alice")
    l_pol = next(c for c in a2.program_at("left") if c.channel == "L")
    r_pol = next(c for c in a2.program_at("right") if c.channel == "L")
    console.print(f"• 'A balanced mono signal is two copies, one inverted': only for active "
                  f"outputs — the same cable from a servo-balanced MOTU M2 line out gives L in "
                  f"both ears, {l_pol.spl_db:.1f} / {r_pol.spl_db:.1f} dB SPL, polarity "
                  f"{l_pol.polarity:+d} / {r_pol.polarity:+d} (antiphase).")


def _claim_hiss_and_tune(console: Console, rig1: Rig) -> dict[str, Any]:
    from signalchain.report.tune import note_text, tune_json

    hiss = {x: rig1.simulate({"scarlett.headphones": x}).listener("bob")
            for x in (0.3, 0.5, 0.6, 0.75, 0.9)}
    row = ", ".join(f"{x:.0%}: {lf.noise_spl_dba:.1f} dBA at {lf.program_spl_db:.0f} dB SPL"
                    for x, lf in hiss.items())
    console.print(f"• 'Hiss rises with the interface's headphone knob': yes (bob, HM-4 at "
                  f"50 %) — {row}.")
    result = rig1.tune()
    console.print("• 'Lower the interface, raise the amp' (tune, everyone at 80 dB SPL, 3 dB "
                  "headroom):")
    for line in (note_text(n) for n in result.notes if n.code != "assumptions"):
        console.print(f"    {line}", markup=False, highlight=False)
    return tune_json(result)


def _hum_rig(cable: str, length_m: float) -> Rig:
    """Desktop PC → 2i2 line out → earthed HA4700 → HD 600, over ``cable``."""
    return Rig.from_dict({
        "signalchain": 1,
        "devices": {"pc": "generic/desktop",
                    "s": {"model": "focusrite/scarlett-2i2-3rd-gen", "knobs": {"monitor": 0.7}},
                    "amp": {"model": "behringer/ha4700", "knobs": {"out1": 0.5}},
                    "bob": "sennheiser/hd-600"},
        "connections": [
            {"cable": "usb", "ends": ["pc.usb", "s.usb"]},
            {"cable": cable, "length": f"{length_m} m", "ends": ["s.line_out_1", "amp.main_in_l"]},
            {"plug": "bob", "into": "amp.out1"}]}, "hum")


def _claim_hum(console: Console) -> list[dict[str, float]]:
    hum_rows = [(length, *(_hum_rig(cable, length).simulate().listener("bob").hum_spl_dba
                           for cable in ("ts-cable", "trs-cable")))
                for length in (1.5, 4.6, 15.0, 30.0)]
    cells = "; ".join(f"{L:g} m ({L / 0.3048:.0f} ft): {u:.1f} vs {b:.1f}"
                      for L, u, b in hum_rows)
    console.print(f"• 'Unbalanced only up to 15 ft': hum at the ear, desktop PC → 2i2 → earthed "
                  f"HA4700, unbalanced (TS) vs balanced (TRS) dBA — {cells}. Unbalanced hum "
                  "grows with length (shield resistance); balanced stays far below.")
    return [{"length_m": r[0], "unbalanced_dba": round(r[1], 1), "balanced_dba": round(r[2], 1)}
            for r in hum_rows]


def _claim_best_method(console: Console, rig1: Rig) -> list[dict[str, Any]]:
    from signalchain.report.advice import method_json, point_text

    advice = rig1.advise()
    console.print("• 'Which method is best?' (advise, quality first):")
    for m in advice:
        console.print(f"    {m.verdict:15s} {m.name} — worst hiss {m.facts.noise_spl_dba:.1f} "
                      f"dBA; {point_text(m.reason)}", markup=False, highlight=False)
    return [method_json(m) for m in advice]


def _seed_claims(console: Console) -> dict[str, Any]:
    """Compute the seed articles' claims on the bundled rigs and print them with numbers."""
    console.print("\n[bold]The seed articles' claims, computed[/bold]")
    rig1, rig2 = Rig.from_path(example_path("01")), Rig.from_path(example_path("02"))
    _claim_one_ear(console, rig2)
    _claim_antiphase(console, rig2)
    facts: dict[str, Any] = {"tune": _claim_hiss_and_tune(console, rig1),
                             "hum_vs_length": _claim_hum(console),
                             "advise": _claim_best_method(console, rig1)}
    rig7, rig8 = Rig.from_path(example_path("07")), Rig.from_path(example_path("08"))
    facts["gain_staging"] = _claim_gain_staging(console, rig7, rig8)
    facts["noise_vs_recording"] = _claim_noise_not_recorded(console, rig7)
    return facts


def _without_booster(rig8: Rig) -> Rig:
    """Example 08 with the SM7B plugged straight into the input."""
    data = rig8.to_dict()
    data["devices"].pop("booster")
    connections = []
    for conn in data["connections"]:
        ports = [end["port"] for end in conn.get("ends", [])]
        if "booster.output" in ports:
            continue
        if "booster.input" in ports:
            conn = {**conn, "ends": ["sm7b.out", "scarlett.input_1"]}
        connections.append(conn)
    return Rig.from_dict({**data, "connections": connections}, "08-without-booster")


def _claim_gain_staging(console: Console, rig7: Rig, rig8: Rig) -> dict[str, Any]:
    from signalchain.report.simulate import input_json

    tuned = rig7.tune()
    at = tuned.evaluation.inputs[0]
    low = rig7.simulate({**tuned.knobs, at.knob: 0.5}).inputs[0]
    sm7b = _without_booster(rig8).simulate().inputs[0]
    boosted = rig8.simulate().inputs[0]
    console.print(
        f"• 'Aim for −18 dBFS as your average' (two SM58s at 5 cm, Scarlett 2i2): "
        f"{at.gain_db:.1f} dB of gain ({at.knob} at {at.position:.0%} of its "
        f"{at.gain_range_db:g} dB) puts each voice at {at.average_dbfs:.1f} dBFS, peaks near "
        f"{at.peak_dbfs:.0f} dBFS, over a {at.noise_dbfs_a:.1f} dBFS(A) floor "
        f"({at.snr_db:.1f} dB SNR). An SM7B at 5 cm needs {sm7b.target_gain_db:.1f} dB, "
        f"{sm7b.missing_gain_db:.1f} dB more than the preamp has; through a +25 dB inline "
        f"booster, {boosted.target_gain_db:.1f} dB ({boosted.target_position:.0%}). At "
        f"{low.gain_db:.0f} dB the SM58s sit at {low.average_dbfs:.1f} dBFS and, raised to "
        f"−18 afterwards, the floor is {at.snr_db - low.snr_db:.1f} dB higher "
        f"({low.snr_db:.1f} dB SNR): the converter's own floor starts to count.")
    return {"tuned": input_json(at), "half_gain": input_json(low),
            "sm7b": input_json(sm7b), "sm7b_boosted": input_json(boosted)}


def _claim_noise_not_recorded(console: Console, rig7: Rig) -> dict[str, Any]:
    from signalchain.report.simulate import noise_vs_recording_json

    off_rig = rig7.with_devices({"scarlett": {
        **rig7.to_dict()["devices"]["scarlett"], "settings": {"direct_monitor": "off"}}})
    cases = {"direct_monitor_on": rig7.tune().evaluation,
             "direct_monitor_off": off_rig.tune().evaluation}

    def span(ev: Evaluation) -> str:
        hiss = [lf.noise_spl_dba for lf in ev.listeners]
        return f"{min(hiss):.1f}–{max(hiss):.1f} dBA"

    floor = max(lf.recorded_noise_spl_dba or -math.inf
                for lf in cases["direct_monitor_off"].listeners)
    loudest_on = max(lf.noise_spl_dba for lf in cases["direct_monitor_on"].listeners)
    share = ("most of it that same microphone and preamp noise, which is in the recording"
             if loudest_on - floor < NOT_RECORDED_MARGIN_DB else
             "still mostly the amps' own hiss, which is not in the recording")
    console.print(
        "• 'The noise in your headphones isn't in the recording' (example 07 tuned for 80 dB "
        "SPL; the recording's floor as it would sound played back at the same level): with "
        f"direct monitoring off the headphone hiss is {span(cases['direct_monitor_off'])} "
        f"while the recording's floor would be {floor:.1f} dBA — none of the amps' hiss is "
        "recorded, and the recording has noise of its own (microphones and preamps). With "
        f"direct monitoring on the hiss is {span(cases['direct_monitor_on'])}, {share}.")
    return {case: {lf.id: noise_vs_recording_json(lf) for lf in ev.listeners}
            for case, ev in cases.items()}


def _write_reports(console: Console, rigs: dict[str, Rig], out_dir: Path) -> None:
    """The HTML report of each seed method, if the ``report`` extra is installed."""
    from signalchain.extras import MissingExtraError

    try:
        from signalchain.report.html import ReportOptions, build_report

        for stem in (example_path("01").stem, example_path("02").stem):
            html = build_report(rigs[stem], ReportOptions(advise=stem == example_path("01").stem))
            write_text_atomic(out_dir / f"report-{stem}.html", html, force=True)
    except MissingExtraError as exc:  # the demo's results stand without the pictures
        console.print(f"note: no HTML reports: {exc.diagnostics[0].message} "
                      f"({exc.diagnostics[0].hint})", markup=False)
        return
    console.print(f"Wrote the HTML reports of methods 1 and 2 (report-*.html) to {out_dir}/",
                  markup=False)


def run_demo(console: Console, out_dir: Path | None = None, force: bool = False) -> list[
        Evaluation]:
    """Check and simulate every bundled example and work through the seed articles' claims.

    With ``out_dir``, the JSON results, renders and (with the ``report`` extra) the HTML
    reports of the first two methods are written there.
    """
    if out_dir is not None:
        check_output_dir(out_dir, force)
    results = []
    table = Table(title="signalchain demo: the seed articles' methods, simulated",
                  title_justify="left")
    for col in ("example", "listener", "left ear (dB SPL)", "right ear (dB SPL)", "hiss dBA",
                "warnings"):
        table.add_column(col, overflow="fold")
    rigs = {}
    for path in example_paths():
        rigs[path.stem] = Rig.from_path(path)
        ev = rigs[path.stem].simulate()
        results.append(ev)
        for i, lf in enumerate(ev.listeners):
            codes = ", ".join(w.code for w in lf.warnings) or "—"
            table.add_row(path.stem if i == 0 else "", lf.id, _ear_text(ev, lf.id, "left"),
                          _ear_text(ev, lf.id, "right"), f"{lf.noise_spl_dba:.1f}", codes)
        table.add_section()
        if out_dir is not None:
            write_text_atomic(out_dir / f"{path.stem}.json",
                              json.dumps(evaluation_json(ev), indent=2) + "\n", force=True)
    console.print(table)
    console.print("Reference program: 1 kHz at −18 dBFS per channel; (−) = inverted polarity. "
                  "Values marked assumed in the catalog are used where no spec is published "
                  "('signalchain simulate <rig>' lists them).")
    facts = _seed_claims(console)
    if out_dir is not None:
        write_text_atomic(out_dir / "claims.json", json.dumps(facts, indent=2) + "\n",
                          force=True)
        for stem in (example_path("01").stem, example_path("02").stem):
            with rigs[stem].render("builtin:stereo-id", seconds=5.4) as stream:
                stream.write(out_dir / f"render-{stem}", force=True)
        console.print(f"\nWrote the simulate JSON per example, claims.json, and renders of "
                      f"builtin:stereo-id (WAV per listener, 1.0 = 20 Pa) to {out_dir}/",
                      markup=False)
        _write_reports(console, rigs, out_dir)
    console.print("\nThe example rigs:", markup=False)
    for path in example_paths():
        console.print(f"  {path}", markup=False, highlight=False)
    return results
