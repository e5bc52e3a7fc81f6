"""A synthetic large catalog for benchmarks and tests — never part of the bundled one.

Headphones and amps are drawn from the ranges of the bundled catalog's real entries: a
real entry is taken as a template and its figures are spread within the range the bundled
entries of its kind span (impedance and sensitivity for headphones; gain, output
impedance, swing and noise for amps). Every entry's id starts with ``synthetic/``, its name
says it is synthetic, and every value is marked ``assumed`` with that reason, so nothing
drawn here can pass for a real device.
"""

from __future__ import annotations

import math

import numpy as np

from signalchain.catalog.store import Catalog
from signalchain.schema.common import Provenance
from signalchain.schema.device import DeviceSpec

PREFIX = "synthetic/"
REASON = "synthetic entry for benchmarks and tests, drawn from the bundled catalog's ranges"


def _span(values: list[float]) -> tuple[float, float]:
    return min(values), max(values)


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi)))) if hi > lo else lo


def synthetic_catalog(base: Catalog, headphones: int = 5000, amps: int = 500,
                      seed: int = 0) -> Catalog:
    """``base`` plus ``headphones`` and ``amps`` synthetic entries (deterministic for a seed).

    Parameters
    ----------
    base : Catalog
        The catalog whose real entries give the templates and ranges (the bundled one).
    headphones, amps : int
        How many of each to draw (0 to 100,000).
    seed : int
        The draws' seed.
    """
    if not (0 <= headphones <= 100_000 and 0 <= amps <= 100_000):
        raise ValueError("draw 0 to 100,000 headphones and amps")
    rng = np.random.default_rng(seed)
    entries = dict(base.entries)
    origins = dict(base.origins)
    real_hp = [e for e in base.entries.values() if isinstance(e, DeviceSpec)
               and e.kind == "headphones" and e.headphones is not None]
    real_amps = [e for e in base.entries.values() if isinstance(e, DeviceSpec)
                 and e.kind == "amp" and any(p.gain_db is not None for p in e.ports.values())]
    provenance = Provenance(assumed={"*": REASON})
    if real_hp and headphones:
        z = _span([e.headphones.z_ohm for e in real_hp if e.headphones])
        sens = _span([e.headphones.level_db_per_v() for e in real_hp if e.headphones])
        for i in range(headphones):
            template = real_hp[int(rng.integers(len(real_hp)))]
            assert template.headphones is not None
            hp = template.headphones.model_copy(update={
                "z_ohm": round(_log_uniform(rng, *z), 1), "z_curve": None,
                "sensitivity_db_per_v": round(float(rng.uniform(*sens)), 1),
                "sensitivity_db_per_mw": None})
            entry_id = f"{PREFIX}headphones-{i + 1:05d}"
            entries[entry_id] = template.model_copy(update={
                "id": entry_id, "name": f"Synthetic headphones {i + 1:05d}", "headphones": hp,
                "provenance": provenance, "notes": []})
            origins[entry_id] = "synthetic"
    if real_amps and amps:
        outs = [p for e in real_amps for p in e.ports.values() if p.gain_db is not None]
        gains = _span([p.gain_db for p in outs if p.gain_db is not None])
        z_outs = _span([p.z_out_ohm for p in outs if p.z_out_ohm])
        for i in range(amps):
            template = real_amps[int(rng.integers(len(real_amps)))]
            gain = float(rng.uniform(*gains))
            z_out = round(_log_uniform(rng, *z_outs), 2)
            lift = float(rng.uniform(-6.0, 6.0))  # noise, both ends of the knob alike
            ports = {}
            for name, port in template.ports.items():
                if port.gain_db is not None and port.noise is not None:
                    port = port.model_copy(update={
                        "gain_db": round(gain, 1),
                        "z_out_ohm": z_out,
                        "noise": port.noise.model_copy(update={
                            "knob_min_dbu_a": port.noise.knob_min_dbu_a + lift,
                            "knob_max_dbu_a": port.noise.knob_max_dbu_a + lift})})
                ports[name] = port
            entry_id = f"{PREFIX}amp-{i + 1:04d}"
            entries[entry_id] = template.model_copy(update={
                "id": entry_id, "name": f"Synthetic amp {i + 1:04d}", "ports": ports,
                "provenance": provenance, "notes": []})
            origins[entry_id] = "synthetic"
    return Catalog(entries, origins)
