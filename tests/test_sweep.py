"""``sweep``: a grid of simulations, checked point by point against simulate and by hand."""

from __future__ import annotations

import csv
import io
import math

import pytest

import signalchain as sc
from signalchain.report.sweep import row_cells
from signalchain.sweep import parse_vary, points, sweep
from tests.conftest import EXAMPLES
from tests.rigkit import NOISE, in_port, out_port, rig

SEED = EXAMPLES / "01-headphone-out-to-splitter.yaml"


def run(*args: str):
    from typer.testing import CliRunner

    from signalchain.cli import app

    return CliRunner().invoke(app, list(args))


def _hum_rig() -> sc.Rig:
    """The common-impedance rig of test_simulate: earthed amp, unbalanced TS link."""
    amp_out = {"hp": {"connector": "trs-6.35", "direction": "out", "signal": "stereo",
                      "feeds": {"left": "L", "right": "R"}, "gain_db": 0, "z_out_ohm": 1,
                      "max_v_rms": 5, "noise": NOISE}}
    doc = rig({"out": out_port("impedance", "L")}, {"in": in_port("ts", "L", cmrr_db=60)},
              [{"cable": "ts-cable", "length": 2.0, "ends": ["src.out", "dst.in"]},
               {"plug": "bob", "into": "dst.hp"}],
              dst_power="mains-earthed", computer="generic/desktop",
              listeners={"bob": "sennheiser/hd-600"}, amp_outs=amp_out)
    return sc.Rig.from_dict(doc, "hum.yaml")


def test_a_knob_sweep_is_simulate_at_each_knob():
    seed = sc.Rig.from_path(SEED)
    var = parse_vary("scarlett.headphones=0.1..1:10", seed)
    result = sweep(seed, [var])
    assert len(result.rows) == 10 * 4
    for row in result.rows:
        lf = seed.simulate({"scarlett.headphones": float(row.values[0])}).listener(row.listener)
        assert row.program_spl_db == lf.program_spl_db
        assert row.noise_spl_dba == lf.noise_spl_dba and row.hum_spl_dba == lf.hum_spl_dba
        assert row.findings == tuple(w.code for w in lf.warnings)


def test_a_hum_vs_length_sweep_follows_the_common_impedance_formula():
    """Hand model (electrical.md §2): V_hum = V_g·R_common/R_loop, R_common = 4 × 10 mΩ
    (lugs and contacts) + r·L of the TS cable's shield, R_loop = R_common + two protective
    earths (0.5 Ω each) + the USB ground (wire ∥ shield, with contacts)."""
    hum_rig = _hum_rig()
    result = sweep(hum_rig, [parse_vary("C02.length=1m..32m:6:log", hum_rig)])
    usb = 1 / (1 / (0.04 + 0.213) + 1 / (0.04 + 0.05))
    fixed = 0.5 + 0.5 + usb

    def hand_db(length_m: float) -> float:
        common = 0.04 + 0.03 * length_m
        return 20 * math.log10(common / (fixed + common))

    rows = [r for r in result.rows if r.listener == "bob"]
    offset = rows[0].hum_spl_dba - hand_db(float(rows[0].values[0]))
    for row in rows:
        assert row.hum_spl_dba - offset == pytest.approx(hand_db(float(row.values[0])), abs=0.3)


def test_a_grid_over_a_length_a_knob_and_a_device_swap():
    seed = sc.Rig.from_path(SEED)
    variables = [parse_vary(v, seed) for v in (
        "C02.length=1m,10m", "hm4.out1=40%,80%", "hm4=mackie/hm-4,behringer/ha400")]
    result = sweep(seed, variables, listeners=["alice"])
    assert len(result.rows) == 8 and {r.listener for r in result.rows} == {"alice"}
    by_point = {r.values: r for r in result.rows}
    quiet, loud = by_point[(1.0, 0.4, "mackie/hm-4")], by_point[(1.0, 0.8, "mackie/hm-4")]
    assert loud.program_spl_db > quiet.program_spl_db
    data = seed.to_dict()
    data["connections"][1]["length"] = 10.0
    data["devices"]["hm4"] = {**data["devices"]["hm4"], "model": "behringer/ha400"}
    swapped = sc.Rig.from_dict(data, "swapped.yaml").simulate({"hm4.out1": 0.4})
    assert by_point[(10.0, 0.4, "behringer/ha400")].program_spl_db == pytest.approx(
        swapped.listener("alice").program_spl_db)


def test_random_points_are_drawn_inside_the_ranges_and_repeat_with_the_seed():
    seed = sc.Rig.from_path(SEED)
    var = parse_vary("C02.length=1m..30m:2:log", seed)
    a, b = points([var], random=50, seed=3), points([var], random=50, seed=3)
    assert a == b and all(1.0 <= p[0] <= 30.0 for p in a) and len(set(a)) == 50
    from signalchain.errors import UsageError

    for seed_value in (-1, 2**63):
        with pytest.raises(UsageError, match="give a whole number from 0"):
            points([var], random=5, seed=seed_value)


@pytest.mark.parametrize(("expr", "message"), [
    ("scarlett.phones=0..1:3", "no knob 'scarlett.phones'"),
    ("C09.length=1m..2m:3", "the rig has no cable C09"),
    ("C03.length=1m..2m:3", "the rig has no cable C03"),  # C03 is a plug, not a cable
    ("scarlett.headphones=0..2:3", "must be between 0 and 1"),
    ("hm4=mackie/hm-5", "unknown catalog device 'mackie/hm-5'"),
    ("environment.mains_hz=55", "50 or 60 Hz"),
    ("scarlett.headphones", "expected TARGET=VALUES"),
    ("C02.length=1m..30m:0", "0 values"),
    ("C02.length=0..30m:5:log", "above 0"),
])
def test_bad_vary_expressions_are_clear_usage_errors(expr, message):
    from signalchain.errors import UsageError

    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_vary(expr, sc.Rig.from_path(SEED))


def test_too_many_points_is_refused_with_the_fix():
    from signalchain.errors import UsageError

    seed = sc.Rig.from_path(SEED)
    variables = [parse_vary(f"hm4.out{i}=0..1:21", seed) for i in (1, 2, 3, 4)]
    with pytest.raises(UsageError, match="194481 points") as info:
        points(variables)
    assert "--random" in info.value.diagnostics[0].hint


def test_the_cli_writes_the_table_and_the_plot(tmp_path):
    table, plot = tmp_path / "s.csv", tmp_path / "s.svg"
    res = run("sweep", str(SEED), "--vary", "scarlett.headphones=0.2..1:5", "--listener",
              "bob", "--out", str(table), "--plot", str(plot))
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(table.read_text())))
    assert len(rows) == 5 and rows[0]["listener"] == "bob"
    assert float(rows[-1]["scarlett.headphones"]) == 1.0
    assert "<svg" in plot.read_text() and "hiss (dBA)" in plot.read_text()
    again = run("sweep", str(SEED), "--vary", "scarlett.headphones=0.2..1:5", "--out",
                str(table))
    assert again.exit_code == 1 and "--force" in again.output
    bad = run("sweep", str(SEED), "--vary", "nope=1")
    assert bad.exit_code == 2 and "nope" in bad.output


def test_rows_flatten_every_figure():
    seed = sc.Rig.from_path(SEED)
    result = sweep(seed, [parse_vary("hm4.out2=0.5", seed)], listeners=["bob"])
    cells = row_cells(result, result.rows[0])
    assert list(cells)[:3] == ["point", "hm4.out2", "listener"]
    assert cells["left_L_spl_db"] is not None and cells["left_R_spl_db"] is None


def test_local_processes_give_the_same_rows_as_in_process():
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    seed = sc.Rig.from_path(SEED)
    variables = [parse_vary("C02.length=1m,20m", seed),
                 parse_vary("scarlett.headphones=0..1:9", seed)]
    here = sweep(seed, variables)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        there = sweep(seed, variables, executor=pool, chunk_points=4)
    assert here.rows == there.rows  # bit for bit: the same arithmetic on the same inputs
    # the CLI's --workers gives the same table
    table = run("sweep", str(SEED), "--vary", "scarlett.headphones=0..1:5", "--workers", "2")
    assert table.exit_code == 0, table.output
    assert table.output == run("sweep", str(SEED), "--vary", "scarlett.headphones=0..1:5"
                               ).output


@pytest.mark.parametrize("processes", [False, True])
def test_a_dask_cluster_gives_the_same_rows(processes):
    distributed = pytest.importorskip("distributed")

    seed = sc.Rig.from_path(SEED)
    variables = [parse_vary("C02.length=1m,20m", seed),
                 parse_vary("scarlett.headphones=0..1:5", seed)]
    here = sweep(seed, variables)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=processes,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        there = sweep(seed, variables, executor=client.get_executor(), chunk_points=3)
    assert here.rows == there.rows


def test_the_cli_runs_on_dask_and_refuses_a_bad_scheduler():
    pytest.importorskip("distributed")
    args = ("sweep", str(SEED), "--vary", "scarlett.headphones=0..1:3", "--listener", "bob")
    here, there = run(*args), run(*args, "--dask", "--workers", "2")
    assert there.exit_code == 0, there.output
    assert there.output == here.output
    bad = run(*args, "--scheduler", "http://x; rm -rf /")
    assert bad.exit_code == 2 and "not a Dask scheduler address" in bad.output


def test_a_swap_that_does_not_fit_the_wiring_names_the_point():
    from signalchain.errors import RigError, UsageError

    seed = sc.Rig.from_path(SEED)
    with pytest.raises(UsageError, match="generic/laptop is not an amp, as hm4 is"):
        parse_vary("hm4=mackie/hm-4,generic/laptop", seed)
    with pytest.raises(RigError) as info:
        sweep(seed, [parse_vary("hm4=mackie/hm-4,jds-labs/atom-amp", seed)])
    first = info.value.diagnostics[0]
    assert "hm4=jds-labs/atom-amp cannot be built" in first.message and "shop" in first.hint
    assert "has no port" in info.value.diagnostics[1].message


def test_parquet_holds_the_csv_rows_with_typed_columns(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    table, text = tmp_path / "s.parquet", tmp_path / "s.csv"
    args = ("sweep", str(SEED), "--vary", "scarlett.headphones=0..1:3", "--vary",
            "hm4=mackie/hm-4,behringer/ha400")
    assert run(*args, "--out", str(table)).exit_code == 0
    assert run(*args, "--out", str(text)).exit_code == 0
    got = pq.read_table(table)
    types = {f.name: str(f.type) for f in got.schema}
    assert types["point"] == "int64" and types["hm4"] == "string"
    assert types["scarlett.headphones"] == types["clips_at_dbfs"] == "double"  # all null
    rows = list(csv.DictReader(io.StringIO(text.read_text())))
    assert got.num_rows == len(rows) == 3 * 2 * 4
    for mine, theirs in zip(got.to_pylist(), rows, strict=True):
        assert mine["listener"] == theirs["listener"] and mine["findings"] == theirs["findings"]
        want = theirs["noise_spl_dba"]
        assert mine["noise_spl_dba"] == (float(want) if want else None)
    again = run(*args, "--out", str(table))
    assert again.exit_code == 1 and "--force" in again.output


def test_rig_sweep_takes_the_cli_texts():
    seed = sc.Rig.from_path(SEED)
    by_api = seed.sweep(["scarlett.headphones=0.2..1:3"], listeners=["bob"])
    by_parts = sweep(seed, [parse_vary("scarlett.headphones=0.2..1:3", seed)],
                     listeners=["bob"])
    assert by_api == by_parts
    assert [r.values[0] for r in by_api.rows] == [0.2, 0.6, 1.0]  # not 0.6000000000000001


def test_an_unsolved_rig_is_small_and_simulates_the_same():
    import pickle

    seed = sc.Rig.from_path(SEED)
    solved = seed.simulate()
    light = seed.unsolved()
    assert len(pickle.dumps(light)) < len(pickle.dumps(seed)) / 5
    again = pickle.loads(pickle.dumps(light)).simulate()
    assert [(lf.id, lf.program_spl_db, lf.noise_spl_dba) for lf in again.listeners] == \
        [(lf.id, lf.program_spl_db, lf.noise_spl_dba) for lf in solved.listeners]
    knobbed = seed.with_knobs({"scarlett.headphones": 0.3}).unsolved()
    assert knobbed.simulate().knobs["scarlett.headphones"] == 0.3
