#!/usr/bin/env bash
# Check what a user of 'pip install signalchain' gets: build a wheel from this checkout, install
# it (not editable) into a fresh virtual environment, and run 'signalchain demo' there from a
# folder outside the checkout; then add the 'report' extra and write a report, and the 'web'
# extra and load the page. Fails if the demo fails or prints "internal error", if the report
# cannot be written or the page is not served.
# Needs python3 with venv (scripts/setup.sh installs it) and the package index (or pip's cache).
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d "${TMPDIR:-/tmp}/signalchain-wheel.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# build from a copy of the sources, so the checkout gets no build/ or egg-info
mkdir -p "$work/project" "$work/dist" "$work/elsewhere"
tar -cf - --exclude=__pycache__ --exclude='*.egg-info' pyproject.toml README.md src \
  | tar -xf - -C "$work/project"
python3 -m venv "$work/venv"
pip=("$work/venv/bin/python" -m pip --disable-pip-version-check)
echo "building the wheel" >&2
"${pip[@]}" wheel -qq --no-deps -w "$work/dist" "$work/project"
wheel="$(ls "$work"/dist/signalchain-*.whl)"
echo "installing $(basename "$wheel") into a fresh virtual environment" >&2
"${pip[@]}" install -qq "$wheel"

cd "$work/elsewhere"
installed="$("$work/venv/bin/python" -c 'import signalchain; print(signalchain.__file__)')"
case "$installed" in
  "$work/venv/"*) ;;
  *) echo "error: signalchain was imported from $installed, not from the wheel" >&2; exit 1 ;;
esac
if [ ! -f "$(dirname "$installed")/py.typed" ]; then
  echo "error: the wheel lacks signalchain/py.typed (type checkers would ignore its types)" >&2
  exit 1
fi
echo "running 'signalchain demo' in $PWD (signalchain from $installed)" >&2
status=0
"$work/venv/bin/signalchain" demo >"$work/demo.out" 2>&1 || status=$?
cat "$work/demo.out"
if [ "$status" -ne 0 ]; then
  echo "error: 'signalchain demo' from the wheel exited with $status" >&2
  exit 1
fi
if grep -q "internal error" "$work/demo.out"; then
  echo "error: 'signalchain demo' from the wheel printed an internal error" >&2
  exit 1
fi
# the report extra from the same wheel: its templates must be in the wheel, not only here
echo "installing the report extra and writing a report with the installed package" >&2
"${pip[@]}" install -qq "${wheel}[report]"
example="$(dirname "$installed")/examples/01-headphone-out-to-splitter.yaml"
if ! "$work/venv/bin/signalchain" report "$example" --out "$work/report.html" --seconds 2 \
    >"$work/report.out" 2>&1; then
  cat "$work/report.out"
  echo "error: 'signalchain report' from the wheel failed" >&2
  exit 1
fi
grep -q "<audio" "$work/report.html" || { echo "error: the report has no clips" >&2; exit 1; }
# the web extra: the page's templates, htmx and script must be in the wheel too
echo "installing the web extra and loading the page from the installed server" >&2
"${pip[@]}" install -qq "${wheel}[web]"
port="$("$work/venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$work/venv/bin/signalchain" serve --port "$port" --workspace "$work/workspace" \
  >"$work/serve.out" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
"$work/venv/bin/python" - "$port" <<'PY'
import json, sys, time, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
for _ in range(100):
    try:
        page = urllib.request.urlopen(base + "/", timeout=5).read().decode()
        break
    except OSError:
        time.sleep(0.2)
else:
    sys.exit("error: the installed 'signalchain serve' did not answer")
assert "Your gear" in page, "the page from the wheel lacks its template"
for asset in ("/static/htmx.min.js", "/static/app.js", "/static/app.css"):
    assert urllib.request.urlopen(base + asset, timeout=5).status == 200, asset
request = urllib.request.Request(base + "/api/catalog?kind=amp")
assert json.loads(urllib.request.urlopen(request, timeout=5).read()), "no amps"
PY
kill "$server"
echo "wheel check passed: $(basename "$wheel") installs, runs the demo, writes a report and serves the page" >&2
