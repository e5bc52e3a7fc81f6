"""The cable schedule and BOM of the rig as written, and their export formats."""

import csv
import io
import json

import pytest
from typer.testing import CliRunner

import signalchain as sc
from signalchain.bom import cable_schedule
from signalchain.cli import app
from signalchain.report.bom import BOM_HEADER, SCHEDULE_HEADER, bom_rows, schedule_rows
from signalchain.report.tables import to_csv, to_markdown
from tests.conftest import EXAMPLES

SEED = EXAMPLES / "01-headphone-out-to-splitter.yaml"
runner = CliRunner()


def test_the_seed_rig_needs_a_usb_cable_a_trs_cable_and_four_adapters():
    rig = sc.Rig.from_path(SEED)
    schedule = cable_schedule(rig)
    bom = {i.item: (i.count, i.in_box, i.to_buy) for i in schedule.bom}
    # the four listeners' headphones: which come with the 3.5 → 6.35 mm adapter
    listeners = ("alice", "bob", "carol", "dave")
    boxed = sum(rig.resolved.devices[w].spec.headphones.adapter_included
                == "adapter/3.5f-6.35m" for w in listeners)
    assert bom == {"usb": (1, 0, 1), "trs-cable": (1, 0, 1),
                   "adapter/3.5f-6.35m": (4, boxed, 4 - boxed)}
    ids = [r.cable_id for r in schedule.rows]
    assert ids == ["C01", "C02", "C03", "C04", "C05", "C06"]
    trs = schedule.rows[1]
    assert (trs.item, trs.length_m, [str(e.port) for e in trs.ends]) == (
        "trs-cable", 3.0, ["scarlett.headphones", "hm4.input"])
    assert [(e.connector, e.gender) for e in trs.ends] == [("trs-6.35", "plug")] * 2
    cord = schedule.rows[2]
    assert cord.item is None and cord.supply == "attached"
    assert [str(e.port) for e in cord.ends] == ["alice.plug", "hm4.out1"]
    assert cord.ends[1].adapters[0][0] == "adapter/3.5f-6.35m"
    assert cord.ends[1].port_connector == "trs-6.35"


def test_a_breakout_cable_goes_from_both_outputs_to_one_input():
    rows = schedule_rows(cable_schedule(sc.Rig.from_path(
        EXAMPLES / "03-dual-ts-to-trs-to-splitter.yaml")))
    y = rows[1]
    assert y[1] == "scarlett.line_out_1 + scarlett.line_out_2" and y[2] == "hm4.input"
    assert y[5] == "ts-6.35 plug + ts-6.35 plug" and y[6] == "trs-6.35 plug"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_has_a_row_per_connection(path):
    rig = sc.Rig.from_path(path)
    schedule = cable_schedule(rig)
    assert len(schedule.rows) == len(rig.spec.connections)
    cables = [c for c in rig.spec.connections if hasattr(c, "cable")]
    assert sum(i.count for i in schedule.bom if not i.item.startswith("adapter/")) == len(cables)


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_csv_and_tsv_parse_back_to_the_rows(fmt):
    res = runner.invoke(app, ["bom", str(SEED), "--format", fmt])
    assert res.exit_code == 0, res.output
    schedule_text, bom_text = res.stdout.split("\n" + BOM_HEADER[0], 1)
    table = list(csv.reader(io.StringIO(schedule_text), delimiter="," if fmt == "csv" else "\t"))
    expected = schedule_rows(cable_schedule(sc.Rig.from_path(SEED)))
    assert table[0] == list(SCHEDULE_HEADER)
    assert [tuple(r) for r in table[1:]] == expected
    items = list(csv.reader(io.StringIO(BOM_HEADER[0] + bom_text),
                            delimiter="," if fmt == "csv" else "\t"))
    assert [tuple(r) for r in items[1:]] == bom_rows(cable_schedule(sc.Rig.from_path(SEED)).bom)


def test_json_has_every_cable_and_the_bom():
    res = runner.invoke(app, ["bom", str(SEED), "--format", "json"])
    data = json.loads(res.stdout)
    assert data["signalchain"] == 1
    assert [c["id"] for c in data["cables"]] == ["C01", "C02", "C03", "C04", "C05", "C06"]
    assert {i["item"]: i["count"] for i in data["bom"]}["adapter/3.5f-6.35m"] == 4
    assert data["cables"][2]["ends"][1]["adapters"][0]["item"] == "adapter/3.5f-6.35m"


def test_markdown_and_terminal_tables(tmp_path):
    res = runner.invoke(app, ["bom", str(SEED), "--format", "md"])
    lines = res.stdout.splitlines()
    assert lines[0].startswith("| ID | from | to |") and lines[1].startswith("|---|")
    res = runner.invoke(app, ["bom", str(SEED)], env={"COLUMNS": "80"})
    assert res.exit_code == 0
    assert max(len(line) for line in res.stdout.splitlines()) <= 80
    assert "adapter/3.5f-6.35m" in res.stdout  # not broken across lines
    assert "scarlett.headphones" in res.stdout


def test_written_to_a_file_only_with_force(tmp_path):
    out = tmp_path / "bom.csv"
    out.write_text("mine")
    res = runner.invoke(app, ["bom", str(SEED), "--format", "csv", "--out", str(out)])
    assert res.exit_code == 1 and out.read_text() == "mine"
    res = runner.invoke(app, ["bom", str(SEED), "--format", "csv", "--out", str(out),
                              "--force"])
    assert res.exit_code == 0 and out.read_text().startswith("ID,from,to")


def test_unknown_format_is_a_usage_error():
    res = runner.invoke(app, ["bom", str(SEED), "--format", "xlsx"])
    assert res.exit_code == 2 and "valid are table, md, csv, tsv, json" in res.stderr


def test_cells_are_escaped_for_spreadsheets_and_markdown():
    text = to_csv(["a", "b"], [["=HYPERLINK(\"x\")", "+A1"], ["-2+3", "@SUM(A1)"],
                               ["ok", "x|y"]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ["'=HYPERLINK(\"x\")", "'+A1"] and rows[2] == ["'-2+3", "'@SUM(A1)"]
    md = to_markdown(["a"], [["x|y\nz <b>"]])
    assert "x\\|y z &lt;b>" in md and md.count("\n") == 3


def test_numbers_stay_numbers_in_csv():
    rows = list(csv.reader(io.StringIO(to_csv(["a", "b"], [["-22.3", "-3 dB"]]))))
    assert rows[1] == ["-22.3", "'-3 dB"]


@pytest.mark.parametrize("command", ["simulate", "advise"])
def test_simulate_and_advise_tables_as_csv(command):
    res = runner.invoke(app, [command, str(SEED), "--format", "csv"])
    assert res.exit_code == 0, res.output
    table = list(csv.reader(io.StringIO(res.stdout)))
    assert len({len(r) for r in table}) == 1 and len(table) >= 4
    res = runner.invoke(app, [command, str(SEED)], env={"COLUMNS": "80"})
    assert res.exit_code == 0
    assert max(len(line) for line in res.stdout.splitlines()) <= 80
    words = ("scarlett.headphones", "recommended", "to buy") if command == "advise" else (
        "hm4.out1", "clips at", "(inaudible)")
    for word in words:
        assert word in res.stdout  # never broken across lines, never cut at the edge
