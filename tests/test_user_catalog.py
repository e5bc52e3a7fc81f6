"""User catalogs (--catalog DIR, SIGNALCHAIN_CATALOG), origins, overrides, 'catalog new'."""

import json
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalchain import limits
from signalchain.catalog import (
    BUNDLED,
    TEMPLATE_KINDS,
    default_catalog,
    files,
    load_catalog,
    template,
)
from signalchain.cli import app
from signalchain.errors import RigError, RigValidationError
from signalchain.rig import Rig
from signalchain.schema.provenance import classify, numeric_leaves

FILL = {
    "<Brand Model>": "Test gear", "<URL of the datasheet>": "https://example.com/sheet.pdf",
    "<anything a user should know about this entry>": "a test entry",
    "<full-scale level>": "2 V", "<gain>": "12", "<impedance>": "32 ohm",
    "<input impedance>": "10k", "<leakage>": "20", "<max current>": "40", "<max input>": "3 V",
    "<max output>": "2.5 V", "<max power>": "500", "<noise, knob down>": "-100",
    "<noise, knob up>": "-90", "<output impedance>": "10", "<sensitivity>": "100",
    "<what the panel calls it>": "INPUT",
}


def filled(kind: str, entry_id: str | None = None) -> str:
    """The template with every placeholder (outside comments) replaced by a test value."""
    lines = []
    for line in template(kind).splitlines():
        value, hash_, comment = line.partition("#")
        value = value.replace("<brand/model>", entry_id or f"test/{kind}")
        value = re.sub(r"<why assumed[^>]*>", "a class-typical value", value)
        for placeholder, text in FILL.items():
            value = value.replace(placeholder, text)
        assert not re.search(r"<[A-Za-z][^>]*>", value), line
        lines.append(value + hash_ + comment)
    return "\n".join(lines) + "\n"


RIG = """signalchain: 1
devices:
  laptop: generic/laptop
  iface: {model: test/interface, knobs: {headphones: 0.5}}
  amp: {model: test/amp, knobs: {out1: 0.5}}
  zoe: test/headphones
connections:
  - {cable: usb, ends: [laptop.usb, iface.usb]}
  - {cable: trs-cable, length: 2 m, ends: [iface.headphones, amp.input]}
  - {plug: zoe, into: amp.out1, via: adapter/3.5f-6.35m}
"""


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), env=env)


@pytest.fixture(autouse=True)
def no_env_catalog(monkeypatch):
    monkeypatch.delenv("SIGNALCHAIN_CATALOG", raising=False)


@pytest.fixture
def mine(tmp_path: Path) -> Path:
    folder = tmp_path / "mine"
    folder.mkdir()
    for kind in TEMPLATE_KINDS:
        (folder / f"{kind}.yaml").write_text(filled(kind))
    return folder


# ------------------------------------------------------------------ templates
@pytest.mark.parametrize("kind", TEMPLATE_KINDS)
def test_an_unfilled_template_names_file_and_line_of_each_placeholder(tmp_path, kind):
    (tmp_path / "new.yaml").write_text(template(kind))
    with pytest.raises(RigValidationError) as info:
        load_catalog([tmp_path], use_env=False)
    lines = template(kind).splitlines()
    for diag in info.value.diagnostics:
        assert diag.location is not None and diag.location.file == str(tmp_path / "new.yaml")
        assert "<" in lines[diag.location.line - 1], diag.format()  # a placeholder's line
    messages = " ".join(d.message for d in info.value.diagnostics)
    assert "catalog id '<brand/model>'" in messages
    assert len(info.value.diagnostics) >= 4


@pytest.mark.parametrize("kind", TEMPLATE_KINDS)
def test_a_filled_template_loads_and_every_value_has_provenance(mine, kind):
    cat = load_catalog([mine], use_env=False)
    entry = cat.get(f"test/{kind}")
    assert entry.kind == kind and entry.name == "Test gear"
    assert cat.origin(f"test/{kind}") == str(mine / f"{kind}.yaml")
    bare = [p for p, _ in numeric_leaves(entry, only_set=False)
            if classify(p, entry.provenance)[0] == "none"]
    assert bare == []
    assert all(url.url == "https://example.com/sheet.pdf"
               for url in entry.provenance.sources.values())


def test_filled_values_and_units_arrive(mine):
    cat = load_catalog([mine], use_env=False)
    hp = cat.device("test/headphones").headphones
    # 100 dB SPL/mW into 32 ohm: 1 V is 1000/32 mW, 10*log10(31.25) = 14.95 dB more
    assert hp.level_db_per_v() == pytest.approx(114.95, abs=0.01)
    amp = cat.device("test/amp")
    assert amp.ports["input"].z_in_ohm == 10_000
    # out2 copies out1 through a YAML merge key but keeps its own knob
    assert amp.ports["out2"].gain_db == 12 and amp.ports["out2"].knob == "out2"
    iface = cat.device("test/interface")
    assert iface.ports["line_out_2"].feeds == "R" and iface.ports["line_out_2"].z_out_ohm == 10


def test_filled_templates_build_a_rig_that_sounds(mine):
    cat = load_catalog([mine], use_env=False)
    rig = Rig.from_text(RIG, "mine.yaml", cat)
    zoe = rig.simulate().listener("zoe")
    assert [c.channel for c in zoe.program_at("left")] == ["L"]
    assert [c.channel for c in zoe.program_at("right")] == ["R"]
    louder = rig.simulate({"amp.out1": 1.0}).listener("zoe")
    assert louder.program_spl_db > zoe.program_spl_db + 3


def test_a_rig_with_user_ids_needs_the_user_catalog(mine):
    with pytest.raises(RigError) as info:
        Rig.from_text(RIG, "mine.yaml").resolved  # noqa: B018 - resolving reports the ids
    assert "unknown device id 'test/interface'" in str(info.value)


# ------------------------------------------------------ origins and overrides
def test_a_user_entry_overrides_a_bundled_one_with_a_notice(mine, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "hd600.yaml").write_text(filled("headphones", "sennheiser/hd-600"))
    cat = load_catalog([mine, other], use_env=False)
    (override,) = cat.overrides
    assert (override.id, override.origin, override.replaced_origin) == (
        "sennheiser/hd-600", str(other / "hd600.yaml"), BUNDLED)
    assert cat.device("sennheiser/hd-600").headphones.z_ohm == 32
    assert cat.origin("generic/laptop") == BUNDLED
    res = run("catalog", "list", "--kind", "headphones", "--json", "--catalog", str(other))
    assert res.exit_code == 0, res.output
    rows = {r["id"]: r for r in json.loads(res.stdout)}
    assert rows["sennheiser/hd-600"]["origin"] == str(other / "hd600.yaml")
    assert rows["sony/mdr-7506"]["origin"] == "bundled"
    assert (f"notice: catalog entry 'sennheiser/hd-600' from {other / 'hd600.yaml'} replaces "
            "the bundled entry") in " ".join(res.stderr.split())


def test_later_directories_win_and_one_directory_may_not_repeat_an_id(mine, tmp_path):
    later = tmp_path / "later"
    later.mkdir()
    (later / "amp.yaml").write_text(filled("amp").replace("gain_db: 12", "gain_db: 20"))
    cat = load_catalog([mine, later], use_env=False)
    assert cat.device("test/amp").ports["out1"].gain_db == 20
    (override,) = cat.overrides
    assert override.replaced_origin == str(mine / "amp.yaml")
    assert override.origin == str(later / "amp.yaml")
    (later / "sub").mkdir()
    (later / "sub" / "again.yml").write_text(filled("amp"))
    with pytest.raises(RigValidationError) as info:
        load_catalog([later], use_env=False)
    (diag,) = info.value.diagnostics
    assert diag.location.file == str(later / "sub" / "again.yml")
    assert f"duplicate catalog id 'test/amp' (also in {later / 'amp.yaml'}:" in diag.message


def test_environment_directories_come_first_and_are_read_once(mine, tmp_path, monkeypatch):
    later = tmp_path / "later"
    later.mkdir()
    (later / "amp.yaml").write_text(filled("amp").replace("gain_db: 12", "gain_db: 20"))
    monkeypatch.setenv("SIGNALCHAIN_CATALOG", os.pathsep.join(["", str(mine), " "]))
    assert load_catalog().device("test/amp").ports["out1"].gain_db == 12
    assert load_catalog([later]).device("test/amp").ports["out1"].gain_db == 20
    assert load_catalog([mine]).overrides == ()  # the same directory twice is read once
    assert "test/amp" not in load_catalog(use_env=False)
    monkeypatch.setenv("SIGNALCHAIN_CATALOG", os.pathsep.join([str(later), str(mine)]))
    assert load_catalog().device("test/amp").ports["out1"].gain_db == 12


def test_without_user_directories_the_bundled_catalog_is_returned(monkeypatch):
    assert load_catalog(use_env=False) is default_catalog()
    monkeypatch.setenv("SIGNALCHAIN_CATALOG", "")
    assert load_catalog() is default_catalog()


def test_the_bundled_catalog_is_not_read_again(mine, monkeypatch):
    default_catalog()
    read: list[Path] = []
    original = files.read_catalog_file

    def spy(path: Path):
        read.append(path)
        return original(path)

    monkeypatch.setattr(files, "read_catalog_file", spy)
    load_catalog([mine], use_env=False)
    load_catalog([mine], use_env=False)
    assert sorted(read) == sorted([mine / f"{k}.yaml" for k in TEMPLATE_KINDS] * 2)


# ---------------------------------------------------------- untrusted input
def test_missing_or_wrong_directories_are_clear_errors(tmp_path, monkeypatch):
    with pytest.raises(RigValidationError, match="catalog directory .*nowhere does not exist"):
        load_catalog([tmp_path / "nowhere"], use_env=False)
    (tmp_path / "file.yaml").write_text("[]")
    with pytest.raises(RigValidationError, match="file.yaml is not a directory"):
        load_catalog([tmp_path / "file.yaml"], use_env=False)
    monkeypatch.setenv("SIGNALCHAIN_CATALOG", str(tmp_path / "gone"))
    with pytest.raises(RigValidationError, match=r"gone does not exist \(named in "
                                                 "SIGNALCHAIN_CATALOG\\)"):
        load_catalog()
    res = run("catalog", "list")
    assert res.exit_code == 1 and "SIGNALCHAIN_CATALOG" in res.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_user_files_are_read_like_rig_files(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    with pytest.raises(RigValidationError, match="is a FIFO"):
        load_catalog([tmp_path], use_env=False)
    os.unlink(tmp_path / "pipe.yaml")
    (tmp_path / "big.yaml").write_text("#" * (limits.current().rig_bytes + 1))
    with pytest.raises(RigValidationError, match="rig-bytes limit"):
        load_catalog([tmp_path], use_env=False)
    with limits.using(limits.Limits(rig_bytes=limits.DEFAULT.rig_bytes * 2)):
        assert load_catalog([tmp_path], use_env=False) is not None  # a comment: no entries


def test_hidden_names_are_skipped_and_huge_directories_refused(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "broken.yaml").write_text("not: [a catalog")
    (tmp_path / ".#backup.yaml").write_text("not: [a catalog")
    (tmp_path / "notes.txt").write_text("not yaml")
    assert load_catalog([tmp_path], use_env=False).overrides == ()
    monkeypatch.setattr(files, "MAX_FILES", 2)
    for i in range(3):
        (tmp_path / f"{i}.yaml").write_text("")
    with pytest.raises(RigValidationError, match="holds more than 2 catalog files"):
        load_catalog([tmp_path], use_env=False)


@pytest.mark.parametrize("text, line, expected", [
    ("id: a/b\nkind: amp\n", 1, "a catalog file is a YAML list of entries"),
    ("- id: a/b\n  name: no kind\n", 1, "a catalog entry needs a kind: one of computer, "
     "interface, amp, headphones, splitter, microphone, cable, adapter"),
    ("- id: a/b\n  kind: toaster\n", 2, "'toaster' is not a kind of catalog entry; valid "
     "kinds: computer, interface, amp, headphones, splitter, microphone, cable, adapter"),
    ("- kind: amp\n", 1, "catalog entry without an id"),
    ("- id: a/b\n  kind: amp\n  portz: {}\n", 3, "unknown field 'portz'"),
    ("- 5\n", 1, "a catalog entry is a mapping with 'id:' and 'kind:', not 5"),
])
def test_bad_entries_name_file_and_line(tmp_path, text, line, expected):
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(RigValidationError) as info:
        load_catalog([tmp_path], use_env=False)
    (diag,) = info.value.diagnostics
    assert expected in diag.message
    assert (diag.location.file, diag.location.line) == (str(tmp_path / "bad.yaml"), line)


def test_a_cable_may_leave_its_kind_out(tmp_path):
    cable = """\
- id: my/cable
  ends: {a: {connector: trs-6.35}, b: {connector: trs-6.35}}
  conductors:
    - {joins: [a.tip, b.tip]}
    - {joins: [a.sleeve, b.sleeve], role: shield}
  r_ohm_per_m: 0.1
  shield_r_ohm_per_m: 0.05
  c_pf_per_m: 100
"""
    (tmp_path / "c.yaml").write_text(cable)
    cat = load_catalog([tmp_path], use_env=False)
    assert cat.cable("my/cable").kind == "cable"
    assert "my/cable" in cat.schema_ids()["cable"] and "my/cable" not in cat.schema_ids()["adapter"]


# ------------------------------------------------------------------------ CLI
def test_catalog_show_names_the_origin(mine):
    res = run("catalog", "show", "test/amp", "--catalog", str(mine))
    assert res.exit_code == 0, res.output
    assert f"origin: {mine / 'amp.yaml'}" in " ".join(res.stdout.split())
    res = run("catalog", "show", "test/amp", "--json", "--catalog", str(mine))
    assert json.loads(res.stdout)["origin"] == str(mine / "amp.yaml")
    assert json.loads(run("catalog", "show", "mackie/hm-4", "--json").stdout)["origin"] == \
        "bundled"
    table = run("catalog", "list").stdout
    assert "origin" not in table  # only the bundled catalog: today's table
    assert "origin" in run("catalog", "list", "--catalog", str(mine)).stdout


def test_catalog_with_a_broken_user_file_exits_1_naming_it(tmp_path):
    (tmp_path / "x.yaml").write_text(filled("amp").replace("z_out_ohm: 10", "z_out_ohm: -5"))
    res = run("catalog", "list", "--catalog", str(tmp_path))
    assert res.exit_code == 1
    assert f"{tmp_path / 'x.yaml'}:" in res.stderr and "z_out_ohm" in res.stderr


def test_simulate_finds_user_devices_through_the_option_and_the_variable(mine, tmp_path):
    rig = tmp_path / "rig.yaml"
    rig.write_text(RIG)
    res = run("simulate", str(rig), "--json", "--catalog", str(mine))
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["listeners"][0]["id"] == "zoe"
    res = run("check", str(rig), env={"SIGNALCHAIN_CATALOG": str(mine)})
    assert res.exit_code == 0, res.output
    assert run("check", str(rig)).exit_code == 1


def test_catalog_new_writes_and_never_overwrites_without_force(tmp_path):
    target = tmp_path / "amp.yaml"
    res = run("catalog", "new", "amp", "--out", str(target))
    assert res.exit_code == 0 and target.read_text() == template("amp")
    target.write_text("mine")
    res = run("catalog", "new", "amp", "--out", str(target))
    assert res.exit_code == 1 and target.read_text() == "mine" and "--force" in res.stderr
    res = run("catalog", "new", "amp", "--out", str(target), "--force")
    assert res.exit_code == 0 and target.read_text() == template("amp")
    res = run("catalog", "new", "toaster")
    assert res.exit_code == 2 and "headphones, amp, interface" in res.stderr
    res = run("catalog", "new", "headphones")
    assert res.exit_code == 0 and res.stdout == template("headphones")
    res = run("catalog", "new", "amp", "--out", str(tmp_path))
    assert res.exit_code == 1 and target.read_text() == template("amp")


def test_schema_lists_user_ids(mine):
    res = run("schema", "--catalog", str(mine))
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    models = data["$defs"]["DeviceUse"]["properties"]["model"]["enum"]
    assert "test/amp" in models and "mackie/hm-4" in models and "usb" not in models
    bundled = json.loads(run("schema").stdout)
    assert "test/amp" not in bundled["$defs"]["DeviceUse"]["properties"]["model"]["enum"]
    catalog_schema = json.loads(run("schema", "--for", "catalog").stdout)
    assert catalog_schema["type"] == "array" and catalog_schema["items"]["required"] == ["id"]
    assert run("schema", "--for", "toaster").exit_code == 2
