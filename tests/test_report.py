"""The one-file HTML report: content, self-containment, determinism, the command."""

import re
from html.parser import HTMLParser

import pytest
from typer.testing import CliRunner

import signalchain as sc
from signalchain.cli import app
from signalchain.report.html import ReportOptions, build_report
from tests.conftest import EXAMPLES

SEED = EXAMPLES / "01-headphone-out-to-splitter.yaml"
runner = CliRunner()


class Tags(HTMLParser):
    """Every start tag with its attributes, and the ids."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def ids(self) -> list[str]:
        return [a["id"] for _t, a in self.tags if a.get("id")]


def parse(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


@pytest.fixture(scope="module")
def seed_report() -> str:
    return build_report(sc.Rig.from_path(SEED), ReportOptions(seconds=3.0))


def test_the_seed_report_has_every_section(seed_report):
    tags = parse(seed_report)
    ids = tags.ids()
    for section in ("wiring", "knobs", "plots", "bom", "listen", "assumptions"):
        assert section in ids
    assert [i for i in ids if i.startswith("listener-")] == [f"listener-{k}" for k in range(4)]
    # the diagram: an edge group per cable
    for cid in ("C01", "C02", "C03", "C04", "C05", "C06"):
        assert re.search(rf'id="d{cid}(-|&#45;)\w+" class="edge"', seed_report), cid
    # a level diagram per listener with a window per stage on the path (4 each)
    for k in range(4):
        assert len(re.findall(rf'id="lv{k}-window-\d+"', seed_report)) == 4
    # eight dials (six knobs), a clip and a noise clip per listener
    assert len(re.findall(r'<svg[^>]*class="dial"', seed_report)) == 6
    audio = [a for t, a in tags.tags if t == "audio"]
    assert len(audio) == 8 and all(a["src"].startswith("data:audio/ogg;base64,")
                                   for a in audio)
    # the cable schedule: the TRS cable, and four adapters in the bill
    assert "<td>trs-cable</td>" in seed_report
    assert re.search(r"<td>adapter/3.5f-6.35m</td><td>[^<]+</td><td>4</td>", seed_report)


def test_nothing_is_fetched_and_no_script_runs(seed_report):
    tags = parse(seed_report)
    for tag, attrs in tags.tags:
        assert tag not in ("script", "link", "iframe", "img", "object")
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert not re.match(r"\w+:", value) or value.startswith("data:"), value
    assert "http://" not in seed_report.replace('xmlns="http://www.w3.org/2000/svg"', "") \
        .replace('xmlns:xlink="http://www.w3.org/1999/xlink"', "")


def test_same_rig_same_bytes_and_unique_ids(seed_report):
    again = build_report(sc.Rig.from_path(SEED), ReportOptions(seconds=3.0))
    assert again == seed_report
    ids = parse(seed_report).ids()
    assert len(ids) == len(set(ids))


def test_small_enough(seed_report):
    full = build_report(sc.Rig.from_path(SEED))  # 10 s clips
    assert len(full.encode()) < 2_000_000


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_reports(path, tmp_path):
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", str(path), "--out", str(out), "--no-listen"])
    assert res.exit_code == 0, res.output
    html = out.read_text()
    rig = sc.Rig.from_path(path)
    for who in rig.listeners:
        assert f">{who}<" in html or f">{who} (" in html
    assert "<audio" not in html


def test_tune_and_advise_add_dials_and_cards(tmp_path):
    html = build_report(sc.Rig.from_path(SEED),
                        ReportOptions(tune=True, advise=True, listen=False))
    assert "<figcaption>tuned</figcaption>" in html
    cards = re.findall(r'<article class="card (recommended|works|not-recommended)">', html)
    assert len(cards) >= 3
    assert len(re.findall(r'id="m\d+graph"', html)) == len(cards)


def test_hostile_names_are_escaped(tmp_path):
    text = SEED.read_text().replace(
        "name: Scarlett 2i2 headphone out into a Mackie HM-4, four listeners",
        "name: '<script>alert(1)</script> & <b>bold</b>'")
    html = build_report(sc.Rig.from_text(text, "x.yaml"), ReportOptions(listen=False))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_command_keeps_files_and_checks_options(tmp_path):
    out = tmp_path / "r.html"
    out.write_text("mine")
    res = runner.invoke(app, ["report", str(SEED), "--out", str(out), "--no-listen"])
    assert res.exit_code == 1 and out.read_text() == "mine"
    res = runner.invoke(app, ["report", str(SEED), "--out", str(out), "--no-listen", "--force"])
    assert res.exit_code == 0 and out.read_text().startswith("<!DOCTYPE html>")
    assert runner.invoke(app, ["report", str(SEED), "--out", str(tmp_path / "r.pdf")]
                         ).exit_code == 2
    assert runner.invoke(app, ["report", str(SEED), "--out", str(tmp_path / "s.html"),
                               "--seconds", "0"]).exit_code == 2
    res = runner.invoke(app, ["report", str(SEED), "--out", str(tmp_path / "t.html"),
                              "--no-listen", "--stamp"])
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", (tmp_path / "t.html").read_text())


def test_a_rig_without_listeners_still_reports(tmp_path):
    rig = sc.Rig.from_text("signalchain: 1\nname: no listeners\ndevices:\n"
                           "  laptop: generic/laptop\n"
                           "  s: focusrite/scarlett-2i2-3rd-gen\nconnections:\n"
                           "  - cable: usb\n    ends: [laptop.usb, s.usb]\n", "n.yaml")
    html = build_report(rig)
    assert "<audio" not in html and ">None<" not in html and "No listener" in html


def test_listeners_who_hear_nothing_get_words_not_infinities():
    """The HM-4's input left unplugged: every listener hears nothing at all."""
    text = SEED.read_text()
    start = text.index("  - cable: trs-cable")
    end = text.index("  - plug: alice")
    rig = sc.Rig.from_text(text[:start] + text[end:], "unplugged.yaml")
    html = build_report(rig, ReportOptions(seconds=1.0))
    html = re.sub(r"data:audio/ogg;base64,[A-Za-z0-9+/=]+", "", html)
    assert "no program reaches them" in html and "no signal" in html
    assert not re.search(r"\binf\b|\bnan\b|>None<", html)
