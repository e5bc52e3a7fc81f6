"""The batched evaluation: many knob settings solved at once give simulate's answer at each.

``respond_many`` closes the stages' loop through the inputs with a small inverse per
frequency (Woodbury); here it is checked against the loop inverted whole, and
``Rig.simulate_many`` against ``Rig.simulate`` point by point on every example rig.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import signalchain as sc
from signalchain.errors import UsageError
from signalchain.graph.response import input_scale_many, knob_gains_many, respond_many
from tests.conftest import EXAMPLES

RIGS = sorted(EXAMPLES.glob("*.yaml"))
TOLERANCE_DB = 1e-9


def _settings(rig: sc.Rig, count: int, seed: int) -> list[dict[str, float]]:
    """Random positions of every knob (some at the ends of their travel)."""
    rng = np.random.default_rng(seed)
    names = sorted(rig.knobs)
    out = []
    for _ in range(count):
        values = rng.choice([0.0, 1.0, *rng.uniform(0, 1, 6)], size=len(names))
        out.append({k: float(v) for k, v in zip(names, values, strict=True)})
    return out


def _same_db(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    if not (math.isfinite(a) and math.isfinite(b)):
        return a == b
    return abs(a - b) <= TOLERANCE_DB


def test_the_small_inverse_is_the_whole_loop_inverted():
    """(I - K M T)^-1 from the n_input × n_input inverse equals the n_drive one, per point."""
    rig = sc.Rig.from_path(EXAMPLES / "07-podcast-two-mics.yaml")
    g = rig.graph
    points = [{**g.knob_positions, **p} for p in _settings(rig, 5, 1)]
    gains, scale = knob_gains_many(g, points), input_scale_many(g, points)
    batch = respond_many(g, gains, scale)
    t = g.solution.transfer
    t_d = t[:, :, :g.n_drive]
    t_in_d = t_d[:, g.input_senses, :]
    for p in range(len(points)):
        km = gains[p][:, None] * g.input_map * scale[p][None, :]
        whole = np.linalg.inv(np.eye(g.n_drive)[None] - km[None] @ t_in_d)
        np.testing.assert_allclose(batch.drive_from_noise[p], whole, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(batch.noise[p], t_d @ whole, rtol=1e-10, atol=1e-12)
        hum = t_d @ whole @ (km[None] @ t[:, g.input_senses, g.n_drive:]) + t[:, :, g.n_drive:]
        np.testing.assert_allclose(batch.hum[p], hum, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("path", RIGS, ids=lambda p: p.stem[:2])
def test_simulate_many_is_simulate_at_each_point(path):
    rig = sc.Rig.from_path(path)
    settings = _settings(rig, 6, 7)
    many = rig.simulate_many(settings)
    assert len(many) == len(settings)
    for knobs, listeners in zip(settings, many, strict=True):
        ev = rig.simulate(knobs)
        assert [lf.id for lf in listeners] == [lf.id for lf in ev.listeners]
        for got, want in zip(listeners, ev.listeners, strict=True):
            assert got.stages_on_path == want.stages_on_path
            assert got.inputs_on_path == want.inputs_on_path
            assert got.clip_stage == want.clip_stage
            assert _same_db(got.clips_at_dbfs, want.clips_at_dbfs)
            for name in ("program_spl_db", "peak_spl_db", "noise_spl_dba", "hum_spl_dba"):
                assert _same_db(getattr(got, name), getattr(want, name)), name
            for side in want.ears:
                a, b = got.ears[side], want.ears[side]
                assert [(c.channel, c.polarity, c.crosstalk) for c in a.program] == \
                    [(c.channel, c.polarity, c.crosstalk) for c in b.program]
                assert all(_same_db(x.spl_db, y.spl_db)
                           for x, y in zip(a.program, b.program, strict=True))
                np.testing.assert_allclose(a.response_db, b.response_db, atol=1e-9)
            assert [(v.talker, v.side) for v in got.voices] == \
                [(v.talker, v.side) for v in want.voices]
            assert [w.code for w in got.warnings] == [w.code for w in want.warnings]
            assert got.volume_controls == want.volume_controls
            assert got.assumptions == want.assumptions


def test_simulate_many_checks_its_knobs():
    rig = sc.Rig.from_path(RIGS[0])
    with pytest.raises(UsageError, match="outside 0..1"):
        rig.simulate_many([{"scarlett.headphones": 0.5}, {"scarlett.headphones": 2.0}])
    with pytest.raises(UsageError, match="no knob"):
        rig.simulate_many([{"scarlett.nope": 0.5}])
    assert rig.simulate_many([]) == []
