"""The page in a real headless Chromium: what a podcaster does, step by step, with screenshots.

The server runs in a thread (uvicorn on a free port of 127.0.0.1) with a fresh workspace.
Screenshots go to ``$SIGNALCHAIN_SCREENSHOTS`` (default: the test's temporary folder).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.browser import CHROMIUM_ARGS, chromium_path

DECODE_CHANNEL_MAP = """
async () => {
  const data = window.signalchain.lastRender;
  const out = {};
  for (const [who, clips] of Object.entries(data.settings.A.listeners)) {
    const ctx = new OfflineAudioContext(2, data.samplerate, data.samplerate);
    const buffer = await window.signalchain.decode(clips.program, data.samplerate, ctx);
    const rms = (ch, t0, t1) => {
      const x = buffer.getChannelData(ch);
      let s = 0;
      const a = Math.floor(t0 * buffer.sampleRate), b = Math.floor(t1 * buffer.sampleRate);
      for (let i = a; i < b; i++) s += x[i] * x[i];
      return Math.sqrt(s / (b - a));
    };
    out[who] = {channels: buffer.numberOfChannels, rate: buffer.sampleRate,
                seconds: buffer.duration,
                leftBurst: [rms(0, 0.1, 0.5), rms(1, 0.1, 0.5)],
                rightBurst: [rms(0, 1.0, 1.4), rms(1, 1.0, 1.4)]};
  }
  return out;
}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    import uvicorn

    from signalchain.web.app import create_app

    workspace = tmp_path_factory.mktemp("workspace")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(workspace=workspace), host="127.0.0.1",
                                        port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", workspace
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def page(server: tuple[str, Path]) -> Iterator[tuple[Any, list[str]]]:
    from playwright.sync_api import sync_playwright

    base, _ = server
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                          accept_downloads=True)
            pg = context.new_page()
            pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            pg.on("pageerror", lambda e: errors.append(str(e)))

            def only_local(route: Any) -> None:
                if route.request.url.startswith(base) or route.request.url.startswith(
                        ("data:", "blob:")):
                    route.continue_()
                else:
                    errors.append("left the machine: " + route.request.url)
                    route.abort()

            pg.route("**/*", only_local)
            pg.set_default_timeout(30_000)
            pg.goto(base + "/")
            yield pg, errors
        finally:
            browser.close()


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SIGNALCHAIN_SCREENSHOTS") or tmp_path / "screens")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _pick(pg: Any, query: str, name: str, button: str) -> None:
    pg.fill("#gear-search", query)
    row = pg.locator("#results li", has_text=name).first
    row.get_by_role("button", name=button).click()
    pg.wait_for_selector(f"#gear table.gear-list >> text={name}")


def _spl(pg: Any, listener: str) -> float:
    cell = pg.locator(f'.listener-card[data-listener="{listener}"] td.spl')
    return float(cell.get_attribute("data-spl"))


def test_the_podcaster_flow(page: tuple[Any, list[str]], tmp_path: Path) -> None:
    pg, errors = page
    shots = _shots(tmp_path)
    pg.screenshot(path=shots / "01-start.png", full_page=True)

    # pick gear: a Scarlett 2i2 3rd Gen, a Mackie HM-4 and three headphones
    _pick(pg, "2i2 3rd", "Focusrite Scarlett 2i2 (3rd Gen)", "Use as interface")
    _pick(pg, "hm-4", "Mackie HM-4", "Use as amp")
    for query, name in (("hd 280", "Sennheiser HD 280 Pro"), ("m50x", "ATH-M50x"),
                        ("7506", "Sony MDR-7506")):
        _pick(pg, query, name, "Add a listener")
    for who in ("alice", "bob", "carol"):
        assert pg.locator("#gear table.gear-list td strong", has_text=who).count() == 1
    pg.screenshot(path=shots / "02-gear.png", full_page=True)

    # advise: the methods as cards, the first recommended
    pg.click("#advise-button")
    pg.wait_for_selector(".card")
    first = pg.locator(".card").first
    assert first.locator(".verdict").text_content().strip() == "recommended"
    assert first.locator("svg").count() >= 1  # its small diagram
    pg.screenshot(path=shots / "03-advise.png", full_page=True)

    # use it: the rig is wired; the diagram, the knobs and each listener appear
    first.get_by_role("button", name="Use this wiring").click()
    pg.wait_for_selector("#knobs-form input[type=range]")
    assert "connections:" in pg.input_value("#rig")
    assert pg.locator(".listener-card").count() == 3
    pg.screenshot(path=shots / "04-wired.png", full_page=True)

    # move alice's knob: her level follows within a moment
    before = _spl(pg, "alice")
    slider = pg.locator('input[name="knob:amp.out1"]')
    slider.evaluate("(el) => { el.value = Number(el.value) * 0.6; "
                    "el.dispatchEvent(new Event('input', {bubbles: true})); }")
    pg.wait_for_function(
        "(b) => Math.abs(Number(document.querySelector("
        "'.listener-card[data-listener=\"alice\"] td.spl').dataset.spl || 'NaN') - b) > 1",
        arg=before)
    assert _spl(pg, "alice") < before - 1
    pg.screenshot(path=shots / "05-knob.png", full_page=True)

    # tune: everyone at 80 dB SPL
    pg.click("#tune-button")
    pg.wait_for_function(
        "() => [...document.querySelectorAll('td.spl')].every("
        "(td) => Math.abs(Number(td.dataset.spl) - 80) < 1.5)")
    assert "dB at amp.out" in pg.inner_text('.listener-card[data-listener="alice"] '
                                           'td.headroom') or "dB at interface" in \
        pg.inner_text('.listener-card[data-listener="alice"] td.headroom')
    assert "Tuned" in pg.inner_text("#tune-result")
    tuned = pg.inner_text('label.knob:has(input[name="knob:amp.out1"]) output')
    assert f"out1 {tuned}" in pg.inner_text("#diagram")   # the diagram shows the tuned knobs
    pg.screenshot(path=shots / "06-tuned.png", full_page=True)
    top = pg.locator("#knob-step").bounding_box()["y"] + pg.evaluate("window.scrollY")
    pg.screenshot(path=shots / "readme.png", full_page=True,
                  clip={"x": 250, "y": top - 8, "width": 1150, "height": 760})

    # listen: the stereo-id program, decoded in the page with the expected channel map
    pg.select_option("#program", "builtin:stereo-id")
    pg.fill("#seconds", "3")
    pg.click("#render-button")
    pg.wait_for_selector("#players tr.player")
    heard = pg.evaluate(DECODE_CHANNEL_MAP)
    assert set(heard) == {"alice", "bob", "carol"}
    for who, clip in heard.items():
        assert clip["channels"] == 2 and clip["rate"] == 24000, who
        assert 2.9 < clip["seconds"] < 3.1
        left, right = clip["leftBurst"]
        assert left > 0.01 and left > 30 * right, (who, clip)   # left-only burst: left ear
        left, right = clip["rightBurst"]
        assert right > 0.01 and right > 30 * left, (who, clip)  # then the right ear
    pg.screenshot(path=shots / "07-listen.png", full_page=True)

    # keep it: the YAML downloads, and the CLI accepts it
    with pg.expect_download() as info:
        pg.click("#download-yaml")
    saved = tmp_path / "downloaded.yaml"
    info.value.save_as(saved)
    from signalchain.cli import app

    result = CliRunner().invoke(app, ["check", str(saved)])
    assert result.exit_code == 0, result.output
    assert "connections:" in saved.read_text()
    assert not errors, errors


def test_ab_render_and_save(page: tuple[Any, list[str]], server: tuple[str, Path],
                            tmp_path: Path) -> None:
    """Kept knobs (A) against the knobs now (B) at one playback gain; saving to the workspace."""
    pg, errors = page
    base, workspace = server
    pg.goto(base + "/?example=01-headphone-out-to-splitter.yaml")
    pg.wait_for_selector("#knobs-form input[type=range]")
    # a quick drag: the cards end at the last position, none of the moves is lost
    pg.locator('input[name="knob:scarlett.headphones"]').evaluate("""(el) => {
      for (const v of [0.2, 0.3, 0.4, 0.5, 0.62]) {
        el.value = v; el.dispatchEvent(new Event('input', {bubbles: true}));
      }}""")
    import json as _json
    import urllib.request

    request = urllib.request.Request(base + "/api/simulate", _json.dumps({
        "rig": pg.input_value("#rig"), "knobs": {"scarlett.headphones": 0.62}}).encode(),
        {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as res:
        expected = _json.loads(res.read())["listeners"][0]["ears"]["left"]["program"][0][
            "spl_db"]
    pg.wait_for_function(
        "(e) => Math.abs(Number(document.querySelector("
        "'.listener-card[data-listener=\"alice\"] td.spl').dataset.spl) - e) < 0.06",
        arg=expected)
    assert pg.locator('label.knob:has(input[name="knob:scarlett.headphones"]) output'
                      ).inner_text() == "62%"
    pg.locator('input[name="knob:scarlett.headphones"]').evaluate(
        "(el) => { el.value = 0.6; el.dispatchEvent(new Event('input', {bubbles: true})); }")
    pg.click("#set-a")
    pg.locator('input[name="knob:scarlett.headphones"]').evaluate(
        "(el) => { el.value = 0.3; el.dispatchEvent(new Event('input', {bubbles: true})); }")
    pg.select_option("#program", "builtin:sine1k")
    pg.fill("#seconds", "1")
    pg.click("#render-button")
    pg.wait_for_selector("#players td.ab input")
    peaks = pg.evaluate("""() => {
      const d = window.signalchain.lastRender;
      return Object.keys(d.settings).map((s) => d.settings[s].listeners.alice.program_peak_dbfs);
    }""")
    assert len(peaks) == 2 and peaks[0] > peaks[1] + 6  # 60% → 30%: B is quieter, same gain
    pg.screenshot(path=_shots(tmp_path) / "08-ab.png", full_page=True)

    pg.fill("#save-name", "seed-rig")
    pg.click("#save-button")
    pg.wait_for_function("() => document.querySelector('#keep-status').textContent"
                         ".includes('saved')")
    text = (workspace / "seed-rig.yaml").read_text()
    assert "headphones: 0.3" in text and "# Reproduces" in text  # knobs in, comments kept
    pg.goto(base + "/")
    assert pg.locator("aside a", has_text="seed-rig").count() == 1
    assert not errors, errors


def test_yaml_errors_show_their_line(page: tuple[Any, list[str]], tmp_path: Path) -> None:
    pg, errors = page
    pg.click("#yaml-panel summary")
    text = pg.input_value("#rig") + "connections:\n  - plug: nobody\n    into: x.y\n"
    pg.fill("#rig", text)
    pg.click("#yaml-form button[type=submit]")
    pg.wait_for_selector("#messages .msg")
    message = pg.inner_text("#messages")
    assert "line" in message and "nobody" in message
    # and in the editor, under the line itself
    bad = pg.locator("#yaml-annotated .line.bad")
    assert bad.count() == 1 and "- plug: nobody" in bad.inner_text()
    assert "nobody" in pg.inner_text("#yaml-annotated .note")
    pg.screenshot(path=_shots(tmp_path) / "09-yaml-error.png", full_page=True)
    assert not [e for e in errors if "422" not in e], errors


def test_hand_entered_headphones_and_an_uploaded_file(page: tuple[Any, list[str]],
                                                      tmp_path: Path) -> None:
    """Headphones not in the catalog, wired by Advise, playing the user's own audio file."""
    import numpy as np
    import soundfile as sf

    pg, errors = page
    _pick(pg, "2i2 3rd", "Focusrite Scarlett 2i2 (3rd Gen)", "Use as interface")
    pg.click("details.custom summary")
    pg.fill("#listener-name", "dana")
    pg.fill("#custom-form input[name=label]", "Dana's <i>earbuds</i>")
    pg.fill("#custom-form input[name=z_ohm]", "16")
    pg.fill("#custom-form input[name=sensitivity]", "110")
    pg.click("#custom-form button[type=submit]")
    pg.wait_for_selector("#gear table.gear-list >> text=Dana's <i>earbuds</i>")
    pg.click("#advise-button")
    pg.locator(".card").first.get_by_role("button", name="Use this wiring").click()
    pg.wait_for_selector('.listener-card[data-listener="dana"]')
    card = pg.locator('.listener-card[data-listener="dana"]')
    card.locator("details.assumed summary").click()
    assert "entered by hand on the web page" in card.inner_text()

    rate = 44100
    t = np.arange(rate) / rate
    tone = 0.3 * np.sin(2 * np.pi * 300 * t)
    wav = tmp_path / "my take.wav"
    sf.write(wav, np.stack([np.zeros_like(tone), tone], axis=1), rate)   # right only
    pg.set_input_files("#audio-file", str(wav))
    pg.select_option("#program", "upload")
    pg.fill("#seconds", "1")
    pg.click("#render-button")
    pg.wait_for_selector("#players tr.player")
    heard = pg.evaluate("""async () => {
      const d = window.signalchain.lastRender;
      const clip = d.settings.A.listeners.dana.program;
      const ctx = new OfflineAudioContext(2, d.samplerate, d.samplerate);
      const b = await window.signalchain.decode(clip, d.samplerate, ctx);
      const rms = (ch) => Math.sqrt(b.getChannelData(ch).reduce((s, x) => s + x * x, 0)
                                    / b.length);
      return {program: d.program, left: rms(0), right: rms(1)};
    }""")
    assert heard["program"] == "upload"
    assert heard["right"] > 30 * heard["left"], heard
    pg.screenshot(path=_shots(tmp_path) / "10-upload.png", full_page=True)
    assert not errors, errors
