"""User catalogs (--catalog DIR, SIGNALCHAIN_CATALOG), 'catalog new' templates, origins."""

import json

import pytest
from typer.testing import CliRunner

from signalchain.catalog import load_catalog, template
from signalchain.catalog.user import TEMPLATE_KINDS
from signalchain.cli import app
from signalchain.errors import RigValidationError
from signalchain.rig import Rig

RIG = """signalchain: 1
devices:
  laptop: generic/laptop
  iface: {model: my/interface, knobs: {headphones: 0.5}}
  amp: my/amp
  zoe: my/headphones
connections:
  - {cable: usb, ends: [laptop.usb, iface.usb]}
  - {cable: trs-cable, length: 2 m, ends: [iface.headphones, amp.input]}
  - {plug: zoe, into: amp.out1, via: adapter/3.5f-6.35m}
"""


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def folder(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    for kind in TEMPLATE_KINDS:
        (mine / f"{kind}.yaml").write_text(template(kind))
    return mine


def test_templates_validate_and_build_a_rig_that_sounds(folder):
    cat = load_catalog([folder], use_env=False)
    assert {"my/headphones", "my/amp", "my/interface"} <= set(cat.entries)
    ev = Rig.from_text(RIG, "mine.yaml", cat).simulate()
    zoe = ev.listener("zoe")
    assert [c.channel for c in zoe.program_at("left")] == ["L"]
    assert [c.channel for c in zoe.program_at("right")] == ["R"]
    # the amp's own knob is on zoe's path: turning it fully up must make her louder
    louder = Rig.from_text(RIG, "mine.yaml", cat).simulate({"amp.out1": 1.0})
    assert louder.listener("zoe").program_spl_db > zoe.program_spl_db + 3


def test_origin_and_override_notice(folder, tmp_path, runner):
    override = tmp_path / "override"
    override.mkdir()
    text = template("headphones").replace("id: my/headphones", "id: sennheiser/hd-600")
    (override / "hd600.yaml").write_text(text)
    cat = load_catalog([folder, override], use_env=False)
    assert cat.origin("my/amp") == str(folder / "amp.yaml")
    assert cat.origin("generic/laptop") == "bundled"
    (o,) = cat.overrides
    assert (o.id, o.replaced, o.origin) == ("sennheiser/hd-600", "bundled",
                                             str(override / "hd600.yaml"))
    res = runner.invoke(app, ["catalog", "list", "--kind", "headphones", "--json",
                              "--catalog", str(override)])
    assert res.exit_code == 0, res.output
    rows = {r["id"]: r for r in json.loads(res.stdout)}
    assert rows["sennheiser/hd-600"]["origin"].endswith("hd600.yaml")
    assert rows["sony/mdr-7506"]["origin"] == "bundled"
    assert "notice: sennheiser/hd-600" in res.stderr and "overrides" in res.stderr


def test_environment_variable_adds_folders(folder, runner, tmp_path, monkeypatch):
    rig = tmp_path / "rig.yaml"
    rig.write_text(RIG)
    res = runner.invoke(app, ["simulate", str(rig), "--json"])
    assert res.exit_code == 1 and "my/interface" in res.stdout  # JSON diagnostics
    monkeypatch.setenv("SIGNALCHAIN_CATALOG", str(folder))
    res = runner.invoke(app, ["simulate", str(rig), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["listeners"][0]["id"] == "zoe"
    monkeypatch.delenv("SIGNALCHAIN_CATALOG")
    res = runner.invoke(app, ["check", str(rig), "--catalog", str(folder)])
    assert res.exit_code == 0, res.output


def test_bad_folders_and_files_are_clear_errors(tmp_path, runner, folder):
    with pytest.raises(RigValidationError, match="does not exist"):
        load_catalog([tmp_path / "nowhere"], use_env=False)
    (folder / "twice.yaml").write_text(template("amp"))
    with pytest.raises(RigValidationError, match="duplicate catalog id 'my/amp'"):
        load_catalog([folder], use_env=False)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.yaml").write_text(template("amp").replace("z_out_ohm: 10 ", "z_out_ohm: -5 "))
    res = runner.invoke(app, ["catalog", "list", "--catalog", str(broken)])
    assert res.exit_code == 1
    assert "x.yaml:" in res.stderr and "z_out_ohm" in res.stderr


def test_catalog_new_writes_and_never_overwrites_without_force(tmp_path, runner):
    target = tmp_path / "amp.yaml"
    res = runner.invoke(app, ["catalog", "new", "amp", "--out", str(target)])
    assert res.exit_code == 0 and target.read_text() == template("amp")
    target.write_text("mine")
    res = runner.invoke(app, ["catalog", "new", "amp", "--out", str(target)])
    assert res.exit_code == 1 and target.read_text() == "mine"
    res = runner.invoke(app, ["catalog", "new", "amp", "--out", str(target), "--force"])
    assert res.exit_code == 0 and target.read_text() == template("amp")
    res = runner.invoke(app, ["catalog", "new", "toaster"])
    assert res.exit_code == 2 and "headphones, amp, interface" in res.stderr
    res = runner.invoke(app, ["catalog", "new", "headphones"])
    assert res.exit_code == 0 and res.stdout == template("headphones")
