"""The JSON API (``signalchain serve``): the CLI's answers over HTTP, and clean refusals."""

import json
import socket
import threading
import time
import urllib.request

import pytest

from tests.conftest import EXAMPLES

SEED = (EXAMPLES / "01-headphone-out-to-splitter.yaml").read_text()


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from fastapi.testclient import TestClient  # over httpx2 (the test extra)

    from signalchain.web.app import create_app

    app = create_app(workspace=tmp_path_factory.mktemp("ws"))
    with TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False) as c:
        yield c


def test_answers_are_the_cli_json(client):
    from typer.testing import CliRunner

    from signalchain.cli import app

    cli = json.loads(CliRunner().invoke(app, ["simulate", str(EXAMPLES /
                                              "01-headphone-out-to-splitter.yaml"),
                                              "--json"]).stdout)
    api = client.post("/api/simulate", json={"rig": SEED}).json()
    assert api == cli
    check = client.post("/api/check", json={"rig": SEED}).json()
    assert check["valid"] is True and check["listeners"] == ["alice", "bob", "carol", "dave"]
    moved = client.post("/api/simulate", json={"rig": SEED, "knobs": {"hm4.out1": "70%"}})
    assert moved.json()["knobs"]["hm4.out1"] == pytest.approx(0.7)
    assert client.post("/api/tune", json={"rig": SEED}).json()["signalchain"] == 1
    advice = client.post("/api/advise", json={"rig": SEED, "priority": "convenience"}).json()
    assert advice["methods"][0]["verdict"] == "recommended"
    bom = client.post("/api/bom", json={"rig": SEED}).json()
    assert {i["item"]: i["count"] for i in bom["bom"]}["adapter/3.5f-6.35m"] == 4


def test_pictures_and_the_report(client):
    svg = client.post("/api/diagram", json={"rig": SEED})
    assert svg.headers["content-type"] == "image/svg+xml" and svg.text.startswith("<svg")
    report = client.post("/api/report", json={"rig": SEED, "listen": False})
    assert report.headers["content-type"].startswith("text/html")
    assert report.text.startswith("<!DOCTYPE html>") and "<audio" not in report.text


def test_catalog(client):
    amps = client.get("/api/catalog", params={"kind": "amp"}).json()
    assert "mackie/hm-4" in [a["id"] for a in amps]
    assert client.get("/api/catalog/mackie/hm-4").json()["origin"] == "bundled"
    assert client.get("/api/catalog/no/such").status_code == 404
    assert client.get("/api/catalog", params={"kind": "toaster"}).status_code == 400
    assert client.get("/api/catalog/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_an_invalid_rig_is_a_422_with_the_line(client):
    res = client.post("/api/check", json={"rig": SEED.replace("into: hm4.out1",
                                                              "into: hm4.outX")})
    assert res.status_code == 422
    diag = res.json()["diagnostics"][0]
    assert "no port 'outX'" in diag["message"] and diag["line"] > 1
    assert res.json()["valid"] is False


@pytest.mark.parametrize("body, status", [
    ({"rig": SEED, "program": "/etc/passwd"}, 400),         # clips play built-ins only
    ({"rig": SEED, "program": "builtin:../../x"}, 400),
    ({"rig": SEED, "seconds": 1e9}, 400),
    ({"rig": SEED, "surprise": 1}, 400),
    ({"rig": ""}, 400),
    ({"rig": "a: &a [*a]"}, 422),                          # a self-referential alias
    ({"rig": "x: " + "[" * 200 + "]" * 200}, 422),         # nesting past the limit
])
def test_bad_requests_are_refused_cleanly(client, body, status):
    res = client.post("/api/report", json=body)
    assert res.status_code == status, res.text
    assert res.json()["diagnostics"] and "Traceback" not in res.text


def test_a_rig_naming_a_server_file_plays_a_builtin(client, tmp_path):
    """The rig's own program: is never opened by the API (the clips play built-ins)."""
    rig = SEED.replace("program: builtin:music", "program: /etc/passwd")
    res = client.post("/api/report", json={"rig": rig, "seconds": 1.0})
    assert res.status_code in (200, 422)
    assert "root:" not in res.text


def test_bodies_over_the_limit_are_413(client):
    from signalchain.web.app import MAX_BODY_BYTES

    res = client.post("/api/check", content=b"{" + b" " * MAX_BODY_BYTES + b"}",
                      headers={"content-type": "application/json"})
    assert res.status_code == 413 and res.json()["diagnostics"][0]["code"] == "too-large"


def test_names_are_escaped_in_the_report(client):
    rig = SEED.replace("name: Scarlett 2i2 headphone out into a Mackie HM-4, four listeners",
                       "name: '<script>alert(1)</script>'")
    html = client.post("/api/report", json={"rig": rig, "listen": False}).text
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_the_openapi_schema_lists_every_endpoint(client):
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/api/check", "/api/simulate", "/api/tune", "/api/advise", "/api/bom",
              "/api/diagram", "/api/report", "/api/catalog", "/api/catalog/{entry_id}"):
        assert p in paths


def test_serve_listens_on_localhost(tmp_path):
    import uvicorn

    from signalchain.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(workspace=tmp_path), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/catalog?kind=amp",
                                    timeout=10) as res:
            assert res.status == 200 and json.loads(res.read())
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_rig_solved_once_answers_every_knob(client):
    """The same text with other knobs reuses the solved rig; answers still follow the knobs."""
    levels = []
    for pos in (0.2, 0.8, 0.2):
        ev = client.post("/api/simulate", json={"rig": SEED, "knobs": {"hm4.out1": pos}}).json()
        levels.append(ev["listeners"][0]["ears"]["left"]["program"][0]["spl_db"])
    assert levels[0] == levels[2] and levels[1] > levels[0] + 10
    bad = SEED.replace("into: hm4.out1", "into: hm4.outX")
    assert [client.post("/api/check", json={"rig": bad}).status_code for _ in range(2)] == [
        422, 422]


def test_serve_says_clearly_when_it_cannot_start(tmp_path):
    from typer.testing import CliRunner

    from signalchain.cli import app

    runner = CliRunner()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        res = runner.invoke(app, ["serve", "--port", str(port), "--workspace",
                                  str(tmp_path / "ws")])
    assert res.exit_code == 2 and "cannot listen on 127.0.0.1 port" in res.output, (
        res.output, res.exception)
    assert "choose another with --port" in res.output
    afile = tmp_path / "a-file"
    afile.write_text("")
    res = runner.invoke(app, ["serve", "--workspace", str(afile)])
    assert res.exit_code == 2 and "not a folder" in res.output
    res = runner.invoke(app, ["serve", "--renders", "0"])
    assert res.exit_code == 2 and "--renders" in res.output
