"""The page's API with hostile and careless input: clean 4xx answers, nothing left behind.

Also the new endpoints' answers: gear picks, a method as a rig, knob positions written into
the text, the workspace, renders (built-in and uploaded audio, A/B at one gain) and the
render queue's refusals.
"""

from __future__ import annotations

import base64
import io
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import EXAMPLES

SEED = (EXAMPLES / "01-headphone-out-to-splitter.yaml").read_text()
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True))


def _uploads() -> set[str]:
    return {n for n in os.listdir(tempfile.gettempdir()) if n.startswith("signalchain-upload-")}


@pytest.fixture
def app_and_client(tmp_path: Path):
    from fastapi.testclient import TestClient

    from signalchain.web.app import create_app
    from signalchain.web.jobs import QueueLimits

    app = create_app(workspace=tmp_path / "ws", queue_limits=QueueLimits(1, 1, 20.0))
    with TestClient(app, base_url="http://localhost:8000",
                    raise_server_exceptions=False) as client:
        yield app, client


@pytest.fixture
def client(app_and_client):
    return app_and_client[1]


def _wav(seconds: float = 1.0, rate: int = 44100, left_only: bool = True) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.25 * np.sin(2 * np.pi * 440 * t)
    x = np.stack([tone, np.zeros_like(tone) if left_only else tone], axis=1)
    buf = io.BytesIO()
    sf.write(buf, x, rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def _decode(b64: str) -> tuple[np.ndarray, int]:
    data, rate = sf.read(io.BytesIO(base64.b64decode(b64)), dtype="float64")
    return data, rate


# ---- picking gear, wiring it, knobs into the text -------------------------------------------

def test_gear_picks_build_a_rig_that_advise_wires(client):
    from signalchain.rig import Rig

    text = client.post("/api/gear", json={"action": "set-interface",
                                          "model": "focusrite/scarlett-2i2-3rd-gen"}).text
    text = client.post("/api/gear", json={"rig": text, "action": "set-amp",
                                          "model": "mackie/hm-4"}).text
    text = client.post("/api/gear", json={"rig": text, "action": "add-listener",
                                          "model": "sony/mdr-7506"}).text
    text = client.post("/api/gear", json={
        "rig": text, "action": "add-listener", "listener": "bob",
        "custom": {"label": "Bob's <b>earbuds</b>", "z_ohm": 16, "sensitivity": 110,
                   "sensitivity_unit": "dB/V", "plug": "trs-3.5"}}).text
    rig = Rig.from_text(text)
    assert set(rig.spec.devices) == {"computer", "interface", "amp", "alice", "bob"}
    assert rig.resolved.devices["bob"].spec.headphones.z_ohm == 16
    # the same listener twice, an unknown model, a model of the wrong kind: 400
    for body in ({"rig": text, "action": "add-listener", "listener": "bob",
                  "model": "sony/mdr-7506"},
                 {"rig": text, "action": "set-amp", "model": "no/such-amp"},
                 {"rig": text, "action": "set-amp", "model": "sony/mdr-7506"},
                 {"rig": text, "action": "remove", "listener": "nobody"},
                 {"rig": text, "action": "add-listener", "listener": "../etc",
                  "model": "sony/mdr-7506"}):
        res = client.post("/api/gear", json=body)
        assert res.status_code == 400, (body, res.text)
        assert res.json()["diagnostics"][0]["message"]
    wired = client.post("/api/advise/rig", json={"rig": text, "index": 0})
    assert wired.status_code == 200 and "connections:" in wired.text
    assert client.post("/api/check", json={"rig": wired.text}).json()["valid"] is True
    assert client.post("/api/advise/rig", json={"rig": text, "index": 99}).status_code == 400


def test_knobs_written_into_the_text_keep_its_comments(client):
    res = client.post("/api/rig/knobs", json={"rig": SEED, "knobs": {"hm4.out1": "70%"}})
    assert res.status_code == 200
    assert "out1: 0.7" in res.text and "# Reproduces: BPM Skills" in res.text
    bad = client.post("/api/rig/knobs", json={"rig": SEED, "knobs": {"hm4.out9": 0.5}})
    assert bad.status_code == 400 and "hm4.out1" in bad.json()["diagnostics"][0]["message"]
    over = client.post("/api/simulate", json={"rig": SEED, "knobs": {"hm4.out1": 1.5}})
    assert over.status_code == 400


def test_the_bom_as_csv(client):
    res = client.post("/api/bom?format=csv", json={"rig": SEED})
    assert res.headers["content-type"].startswith("text/csv")
    assert res.text.splitlines()[0].startswith("ID,from,to")


# ---- the workspace ------------------------------------------------------------------------------

def test_workspace_save_list_read_and_no_silent_overwrite(client, tmp_path):
    assert client.put("/api/workspace/seed", json={"rig": SEED}).json()["replaced"] is False
    again = client.put("/api/workspace/seed", json={"rig": SEED})
    assert again.status_code == 409 and again.json()["diagnostics"][0]["code"] == "exists"
    os.chmod(tmp_path / "ws" / "seed.yaml", 0o640)
    changed = SEED.replace("out1: 0.5", "out1: 0.6")
    assert client.put("/api/workspace/seed", json={"rig": changed, "replace": True}).json()[
        "replaced"] is True
    assert (tmp_path / "ws" / "seed.yaml").read_text() == changed
    assert oct((tmp_path / "ws" / "seed.yaml").stat().st_mode & 0o777) == "0o640"
    listed = client.get("/api/workspace").json()
    assert [r["name"] for r in listed] == ["seed"] and "Mackie HM-4" in listed[0]["title"]
    assert client.get("/api/workspace/seed").text == changed
    assert client.get("/api/workspace/nothing").status_code == 404
    invalid = client.put("/api/workspace/broken", json={"rig": "devices: 3"})
    assert invalid.status_code == 422 and not (tmp_path / "ws" / "broken.yaml").exists()


@pytest.mark.parametrize("name", ["..", "../escape", "..%2Fescape", "a/b", ".hidden", "UPPER",
                                  "x" * 65, "a%00b", "%2e%2e", "a b", "-lead"])
def test_workspace_names_are_never_paths(client, tmp_path, name):
    before = set(os.listdir(tmp_path))
    res = client.put(f"/api/workspace/{name}", json={"rig": SEED})
    assert res.status_code in (400, 404), (name, res.status_code, res.text)
    assert client.get(f"/api/workspace/{name}").status_code in (400, 404)
    assert set(os.listdir(tmp_path)) == before
    assert os.listdir(tmp_path / "ws") == []


def test_a_symbolic_link_in_the_workspace_is_left_alone(client, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("mine\n")
    (tmp_path / "ws" / "trap.yaml").symlink_to(outside)
    res = client.put("/api/workspace/trap", json={"rig": SEED, "replace": True})
    assert res.status_code == 400 and outside.read_text() == "mine\n"
    assert client.get("/api/workspace/trap").status_code == 404
    assert client.get("/api/workspace").json() == []


# ---- renders --------------------------------------------------------------------------------

def test_render_builtin_ab_at_one_gain(client):
    res = client.post("/api/render", data={
        "rig": SEED, "program": "builtin:stereo-id", "seconds": "2",
        "knobs_a": json.dumps({"scarlett.headphones": 0.6}),
        "knobs_b": json.dumps({"scarlett.headphones": "30%"})})
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["samplerate"] == 24000 and set(body["settings"]) == {"A", "B"}
    a = body["settings"]["A"]["listeners"]["alice"]
    b = body["settings"]["B"]["listeners"]["alice"]
    ears_a, rate = _decode(a["program"])
    ears_b, _ = _decode(b["program"])
    assert rate == 24000 and ears_a.shape[1] == 2
    burst = slice(int(0.1 * rate), int(0.5 * rate))           # the left-only burst
    assert np.std(ears_a[burst, 0]) > 30 * np.std(ears_a[burst, 1])
    # one playback gain: B's 30 % against A's 60 % is as much quieter as simulate says
    sim = [client.post("/api/simulate", json={"rig": SEED, "knobs": {
        "scarlett.headphones": k}}).json()["listeners"][0]["ears"]["left"]["program"][0][
        "spl_db"] for k in (0.6, 0.3)]
    heard = 20 * np.log10(np.std(ears_a[burst, 0]) / np.std(ears_b[burst, 0]))
    assert heard == pytest.approx(sim[0] - sim[1], abs=0.5)


def test_render_an_uploaded_file_and_leave_nothing_behind(client):
    before = _uploads()
    res = client.post("/api/render", data={"rig": SEED, "program": "upload", "seconds": "8"},
                      files={"audio": ("take 1.wav", _wav(), "audio/wav")})
    assert res.status_code == 200, res.text
    assert res.json()["seconds"] == 1.0                        # the file's length, not 8 s
    ears, rate = _decode(res.json()["settings"]["A"]["listeners"]["bob"]["program"])
    assert np.std(ears[:, 0]) > 30 * np.std(ears[:, 1])       # left-only file: left ear
    # the rig's own program: may name the file sent with it
    named = SEED.replace("program: builtin:music", "program: take 1.wav")
    res = client.post("/api/render", data={"rig": named, "seconds": "1"},
                      files={"audio": ("take 1.wav", _wav(), "audio/wav")})
    assert res.status_code == 200, res.text
    assert _uploads() == before


@pytest.mark.parametrize("program", ["/etc/passwd", "../../etc/passwd", "demo.flac",
                                     "~/.ssh/id_rsa", "file:///etc/passwd"])
def test_a_rig_program_naming_a_server_file_is_refused(client, program):
    rig = SEED.replace("program: builtin:music", f"program: {json.dumps(program)}")
    res = client.post("/api/render", data={"rig": rig, "seconds": "1"})
    assert res.status_code in (400, 422), res.text
    diag = res.json()["diagnostics"][0]
    assert diag["code"] in ("program-not-allowed", "bad-program", "invalid"), diag
    assert "root:" not in res.text and "/etc" not in diag.get("hint", "")


@pytest.mark.parametrize("data, files, status, code", [
    ({"program": "upload"}, None, 400, "bad-render"),                       # no file
    ({"program": "upload"}, {"audio": ("x.wav", b"not audio at all", "audio/wav")}, 422, None),
    ({"program": "upload"}, {"audio": ("x.wav", b"", "audio/wav")}, 400, "bad-render"),
    ({"program": "/etc/passwd"}, None, 400, "bad-request"),                 # not builtin/upload
    ({"seconds": "1e9"}, None, 400, "bad-request"),
    ({"seconds": "nan"}, None, 400, "bad-request"),
    ({"knobs_a": "{not json"}, None, 400, "bad-render"),
    ({"knobs_a": '{"hm4.out1": 7}'}, None, 400, "bad-knob"),
    ({"knobs_a": '{"hm4.out1": 1' + "0" * 400 + "}"}, None, 400, "bad-knob"),  # overflow
    ({"knobs_b": '["hm4.out1"]'}, None, 400, "bad-render"),
])
def test_bad_render_requests_are_clean_4xx(client, data, files, status, code):
    before = _uploads()
    res = client.post("/api/render", data={"rig": SEED, "seconds": "1", **data}, files=files)
    assert res.status_code == status, res.text
    if code:
        assert res.json()["diagnostics"][0]["code"] == code
    assert "Traceback" not in res.text and _uploads() == before


def test_an_upload_over_the_limit_is_413_and_leaves_nothing(client):
    from signalchain.web.app import MAX_UPLOAD_BYTES

    before = _uploads()
    big = b"RIFF" + b"\0" * (MAX_UPLOAD_BYTES + 100_000)
    res = client.post("/api/render", data={"rig": SEED, "program": "upload"},
                      files={"audio": ("big.wav", big, "audio/wav")})
    assert res.status_code == 413 and res.json()["diagnostics"][0]["code"] == "too-large"
    assert _uploads() == before


def test_the_render_queue_refuses_when_full_and_stops_late_renders(app_and_client):
    from signalchain.web.jobs import QueueLimits, RenderQueue

    app, client = app_and_client
    queue = app.state.signalchain.queue                     # 1 running, 1 waiting
    with _filled(queue, 2):
        res = client.post("/api/render", data={"rig": SEED, "seconds": "1"})
        assert res.status_code == 503 and res.headers["retry-after"] == "5"
        assert res.json()["diagnostics"][0]["code"] == "queue-full"
    assert queue.admitted == 0 and queue.refused == 1
    assert client.post("/api/render", data={"rig": SEED, "seconds": "1"}).status_code == 200

    app.state.signalchain.queue = RenderQueue(QueueLimits(1, 0, 1e-6))
    try:
        res = client.post("/api/render", data={"rig": SEED, "seconds": "5"})
        assert res.status_code == 503, res.text
        assert res.json()["diagnostics"][0]["code"] == "render-time-limit"
    finally:
        app.state.signalchain.queue = queue


@pytest.mark.parametrize("path", ["/api/check", "/api/simulate", "/api/advise", "/api/tune",
                                  "/api/bom", "/api/diagram", "/api/gear", "/api/render"])
def test_an_alias_bomb_is_a_clean_422(client, path):
    if path == "/api/render":
        res = client.post(path, data={"rig": ALIAS_BOMB})
    elif path == "/api/gear":
        res = client.post(path, json={"rig": ALIAS_BOMB, "action": "set-amp",
                                      "model": "mackie/hm-4"})
    else:
        res = client.post(path, json={"rig": ALIAS_BOMB})
    assert res.status_code == 422, res.text
    assert res.json()["diagnostics"][0]["code"] in ("yaml-nodes", "limit"), res.text


def test_html_in_names_is_escaped_on_the_page(client):
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    rig = SEED.replace("name: Scarlett 2i2 headphone out into a Mackie HM-4, four listeners",
                       f"name: {json.dumps(evil)}")
    page = client.post("/ui/open", data={"rig": rig})
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(1)" in page.text
    custom = client.post("/ui/gear", data={"rig": SEED, "action": "add-listener",
                                           "listener": "eve", "label": evil, "z_ohm": "32",
                                           "sensitivity": "100"})
    assert custom.status_code == 200 and "<script>alert" not in custom.text
    # and an invalid rig's line is shown escaped, with the message, as a fragment
    broken = client.post("/ui/open", data={"rig": SEED + f"\n{evil}: [\n"})
    assert broken.status_code == 422 and broken.headers["hx-retarget"] == "#messages"
    assert "<script>alert" not in broken.text and "line" in broken.text


def test_page_errors_are_fragments_not_json(client):
    res = client.post("/ui/advise", data={"rig": "devices: {x: no/such}\nsignalchain: 1\n"})
    assert res.status_code in (400, 422)
    assert res.headers["content-type"].startswith("text/html")
    assert "no/such" in res.text and "Traceback" not in res.text
    for url, status in (("/?rig=../../etc/passwd", 400), ("/?example=../../etc/passwd", 400),
                        ("/?rig=nothing-here", 404)):
        res = client.get(url)
        assert res.status_code == status and "class=\"msg error\"" in res.text
        assert res.headers["content-type"].startswith("text/html") and "root:" not in res.text
    assert client.get("/no/such/page").status_code == 404


def test_a_render_too_large_for_one_request_is_refused(client, monkeypatch):
    import signalchain.web.render_route as route

    knobs = json.dumps({"scarlett.headphones": 0.5})
    res = client.post("/api/render", data={"rig": SEED, "seconds": "30", "knobs_a": knobs,
                                           "knobs_b": knobs})  # 4 × 2 × 30 s = 240: fits
    assert res.status_code == 200
    monkeypatch.setattr(route, "MAX_LISTENER_SECONDS", 100.0)
    before = _uploads()
    res = client.post("/api/render", data={"rig": SEED, "seconds": "30", "knobs_a": knobs,
                                           "knobs_b": knobs})
    assert res.status_code == 400, res.text
    diag = res.json()["diagnostics"][0]
    assert diag["code"] == "render-too-long" and diag["hint"] == "render at most 12 s"
    assert "4 listeners × 2 knob settings × 30 s" in diag["message"]
    report = client.post("/api/report", json={"rig": SEED, "seconds": 30})
    assert report.status_code == 400 and report.json()["diagnostics"][0]["code"] == (
        "render-too-long")
    assert _uploads() == before


def test_listeners_on_y_splitters_without_an_amp(client):
    text = client.post("/api/gear", json={"action": "set-interface",
                                          "model": "focusrite/scarlett-2i2-3rd-gen"}).text
    for model in ("sony/mdr-7506", "akg/k371", "sennheiser/hd-600"):
        text = client.post("/api/gear", json={"rig": text, "action": "add-listener",
                                              "model": model}).text
    refused = client.post("/api/advise", json={"rig": text})
    assert refused.status_code == 422 and "Y splitter" in refused.json()["diagnostics"][0][
        "hint"]
    for _ in range(2):
        text = client.post("/api/gear", json={"rig": text, "action": "add-splitter",
                                              "model": "splitter/y-6.35"}).text
    assert "splitter-1: splitter/y-6.35" in text and "splitter-2: splitter/y-6.35" in text
    wired = client.post("/api/advise/rig", json={"rig": text}).text
    assert "plug: splitter-1" in wired
    check = client.post("/api/check", json={"rig": wired}).json()
    assert check["valid"] is True and len(check["listeners"]) == 3
    assert client.post("/api/gear", json={"rig": text, "action": "add-splitter",
                                          "model": "mackie/hm-4"}).status_code == 400


def test_advise_and_tune_share_a_bounded_work_queue(app_and_client):
    app, client = app_and_client
    work = app.state.signalchain.work
    assert work.limits.running == 2 and work.limits.waiting == 8
    with _filled(work, 10):
        for path in ("/api/advise", "/api/tune"):
            res = client.post(path, json={"rig": SEED})
            assert res.status_code == 503, res.text
            diag = res.json()["diagnostics"][0]
            assert diag["code"] == "queue-full" and "advise or tune" in diag["message"]
        page = client.post("/ui/tune", data={"rig": SEED})
        assert page.status_code == 503 and "busy" in page.text
    assert client.post("/api/tune", json={"rig": SEED}).status_code == 200


@contextmanager
def _filled(queue, n: int) -> Iterator[None]:
    """``n`` admissions of ``queue`` held by threads (as running and waiting requests)."""
    release = threading.Event()

    def hold() -> None:
        with queue.slot():
            release.wait(timeout=30)

    holders = [threading.Thread(target=hold, daemon=True) for _ in range(n)]
    for t in holders:
        t.start()
    try:
        for _ in range(300):
            if queue.admitted == n:
                break
            time.sleep(0.01)
        assert queue.admitted == n
        yield
    finally:
        release.set()
        for t in holders:
            t.join(timeout=30)


# ---- who may use the server: its own names, its own page (DNS rebinding, cross-site) -----------

@pytest.mark.parametrize("path", ["/", "/api/catalog", "/api/workspace", "/openapi.json"])
def test_requests_for_another_host_name_are_refused(client, path):
    res = client.get(path, headers={"host": "attacker.example:8000"})
    assert res.status_code == 400, res.text
    assert res.json()["diagnostics"][0]["code"] == "host-not-allowed"
    assert "attacker.example" in res.json()["diagnostics"][0]["message"]


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1", "[::1]:9000", "LOCALHOST"])
def test_the_loopback_names_are_served(client, host):
    assert client.get("/api/catalog?kind=amp", headers={"host": host}).status_code == 200


@pytest.mark.parametrize(("headers", "status"), [
    ({}, 200),  # a script: no Origin
    ({"origin": "http://localhost:8000"}, 200),  # the page itself
    ({"origin": "http://attacker.example"}, 403),
    ({"origin": "http://localhost:3000"}, 403),  # another server on this machine
    ({"origin": "null"}, 403),  # a file:// page or a sandboxed frame
    ({"sec-fetch-site": "cross-site"}, 403),
])
def test_changes_are_taken_only_from_the_page_itself(client, headers, status):
    res = client.put("/api/workspace/target", json={"rig": SEED, "replace": True},
                     headers=headers)
    assert res.status_code == status, res.text
    if status == 403:
        assert res.json()["diagnostics"][0]["code"] == "cross-origin"
    page = client.post("/ui/simulate", data={"rig": SEED}, headers=headers)
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")


def test_host_names_are_read_like_a_browser_sends_them():
    from signalchain.web.guard import host_name

    assert host_name("LocalHost:8000") == "localhost"
    assert host_name("[::1]:8000") == "::1" and host_name("[::1]") == "::1"
    assert host_name("127.0.0.1") == "127.0.0.1"
    assert host_name("evil.example:80:80") == "evil.example:80:80"  # not a name we allow


def test_a_streamed_body_over_the_limit_is_413(client):
    from signalchain.web.app import MAX_BODY_BYTES

    def chunks() -> Iterator[bytes]:
        yield b'{"rig": "'
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536
        yield b'"}'

    res = client.post("/api/check", content=chunks(),
                      headers={"content-type": "application/json"})
    assert res.status_code == 413 and res.json()["diagnostics"][0]["code"] == "too-large"
    page = client.post("/ui/simulate", content=chunks(),
                       headers={"content-type": "application/x-www-form-urlencoded"})
    assert page.status_code == 413 and "larger than" in page.text
    assert page.headers["content-type"].startswith("text/html")


def test_a_removed_workspace_folder_is_made_again(app_and_client, tmp_path):
    import shutil

    app, client = app_and_client
    folder = app.state.signalchain.workspace.folder
    shutil.rmtree(folder)
    assert client.get("/api/workspace").json() == []
    assert client.get("/").status_code == 200
    assert client.put("/api/workspace/again", json={"rig": SEED}).status_code == 200
    shutil.rmtree(folder)
    folder.write_text("not a folder")  # the server's problem, said as such
    res = client.get("/api/workspace")
    assert res.status_code == 503
    assert res.json()["diagnostics"][0]["code"] == "workspace-unavailable"
    assert client.put("/api/workspace/x", json={"rig": SEED}).status_code == 503


def test_a_report_stops_at_the_render_time_limit(app_and_client):
    from signalchain.web.jobs import QueueLimits, RenderQueue

    app, client = app_and_client
    state = app.state.signalchain
    state.queue = RenderQueue(QueueLimits(1, 0, 0.3))
    res = client.post("/api/report", json={"rig": SEED, "seconds": 20.0})
    assert res.status_code == 503, res.text[:300]
    assert res.json()["diagnostics"][0]["code"] == "render-time-limit"


def test_serve_checks_its_allowed_host_names():
    from typer.testing import CliRunner

    from signalchain.cli import app
    from signalchain.cli.serve_command import _own_names

    res = CliRunner().invoke(app, ["serve", "--allow-host", "evil/../x", "--port", "1"])
    assert res.exit_code == 2 and "--allow-host" in res.output
    assert _own_names("127.0.0.1", ["studio.local"]) == (
        "127.0.0.1", "localhost", "::1", "studio.local")
    assert "192.168.1.20" in _own_names("192.168.1.20", [])
    assert len(_own_names("0.0.0.0", [])) > 3  # this machine's own name too


def test_a_recording_rig_gets_gain_sliders_and_its_inputs_in_the_api(client):
    podcast = (EXAMPLES / "07-podcast-two-mics.yaml").read_text()
    page = client.post("/ui/open", data={"rig": podcast}).text
    assert "scarlett.gain1" in page and "records scarlett.input_1" in page
    seed = client.post("/ui/open", data={"rig": SEED}).text
    assert "scarlett.gain1" not in seed  # nothing plugged into the inputs: no gain slider
    data = client.post("/api/simulate", json={"rig": podcast}).json()
    assert [i["id"] for i in data["inputs"]] == ["scarlett.input_1", "scarlett.input_2"]
    assert {v["talker"] for v in data["listeners"][0]["voices"]} == {"alice", "bob"}
