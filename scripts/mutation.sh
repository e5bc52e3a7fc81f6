#!/usr/bin/env bash
# Mutation testing with mutmut 3: which small changes to a module do the tests fail to notice?
#
# Usage: scripts/mutation.sh [-t TEST_FILE]... [-j JOBS] [-s] MODULE...
#   MODULE        a source file to mutate, e.g. src/signalchain/units.py (several may be given)
#   -t TEST_FILE  a test file to run against the mutants (repeatable). Without -t, the test
#                 files that import one of the modules are used. Choose few: mutmut runs the
#                 tests that reach a mutated function once per mutant.
#   -j JOBS       mutants tested in parallel (default: the number of cores)
#   -s            also print the diff of every mutant that survived
#
# Example: scripts/mutation.sh -t tests/test_units.py src/signalchain/units.py
#
# It copies the project (less .git and .venv) to a temporary folder, writes the
# run's [tool.mutmut] settings (only_mutate, the test selection) into that copy and runs
# 'mutmut run' there, so the checkout gets no mutants/ folder and nothing in it is edited
# (other work in the tree can go on meanwhile). PYTHONPATH points at the mutated sources, so
# tests that start 'python -m signalchain' in a subprocess run the mutants too.
#
# It prints the surviving mutants (a survivor is a change no test noticed: add a test that
# fails for it, or explain why the change is harmless), then one line of counts:
#   mutation: N mutants, K killed, S survived, T timeout, U no tests, ... in W s
# It exits 0 whatever survived, and non-zero only if mutmut itself failed.
# Needs mutmut (the 'mutation' extra: scripts/setup.sh mutation); settings shared by every
# run are in pyproject.toml's [tool.mutmut].
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${SIGNALCHAIN_VENV:-.venv}"
python="$(cd "$(dirname "$venv/bin/python")" && pwd)/python"

usage() { sed -n '4,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
tests=()
jobs="$(nproc 2>/dev/null || echo 2)"
show_diffs=0
while getopts "t:j:sh" opt; do
  case "$opt" in
    t) tests+=("$OPTARG") ;;
    j) jobs="$OPTARG" ;;
    s) show_diffs=1 ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
modules=("$@")
for m in "${modules[@]}"; do
  case "$m" in
    src/signalchain/*.py) [ -f "$m" ] || { echo "error: no such module: $m" >&2; exit 2; } ;;
    *) echo "error: give modules as paths like src/signalchain/units.py, not '$m'" >&2; exit 2 ;;
  esac
done
for t in ${tests[@]+"${tests[@]}"}; do
  [ -f "$t" ] || { echo "error: no such test file: $t" >&2; exit 2; }
done

if ! "$python" -c "import mutmut" 2>/dev/null; then
  echo "mutmut is not installed in $venv: installing the 'mutation' extra" >&2
  ./scripts/setup.sh mutation
fi

if [ ${#tests[@]} -eq 0 ]; then
  # the test files that import a module: 'signalchain.a.b' or 'from signalchain.a import b'
  for m in "${modules[@]}"; do
    dotted="${m#src/}"; dotted="${dotted%.py}"; dotted="${dotted//\//.}"
    parent="${dotted%.*}"; name="${dotted##*.}"
    while IFS= read -r f; do tests+=("$f"); done < <(
      grep -lE "${dotted//./\\.}([^a-zA-Z0-9_]|$)|from ${parent//./\\.} import .*\b${name}\b" \
        tests/test_*.py || true)
  done
  [ ${#tests[@]} -gt 0 ] || { echo "error: no test file imports ${modules[*]}: give -t" >&2; exit 2; }
  mapfile -t tests < <(printf '%s\n' "${tests[@]}" | sort -u)
fi
echo "mutating ${modules[*]}" >&2
echo "against ${tests[*]}" >&2

work="$(mktemp -d "${TMPDIR:-/tmp}/signalchain-mutation.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tar -cf - --exclude=__pycache__ --exclude='*.egg-info' --exclude=.pytest_cache \
  --exclude=.hypothesis pyproject.toml README.md src tests examples docs benchmarks scripts \
  | tar -xf - -C "$work"

# this run's [tool.mutmut]: the shared settings from pyproject.toml plus the modules and tests
"$python" - "$work/pyproject.toml" "${#modules[@]}" "${modules[@]}" "${tests[@]}" <<'EOF'
import json
import re
import sys
import tomllib

path, count = sys.argv[1], int(sys.argv[2])
modules, tests = sys.argv[3:3 + count], sys.argv[3 + count:]
text = open(path, encoding="utf-8").read()
settings = tomllib.loads(text).get("tool", {}).get("mutmut", {})
settings.update(only_mutate=modules, pytest_add_cli_args_test_selection=tests)
# drop the [tool.mutmut] table (up to the next table header) and write this run's one
text = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", text)
lines = [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
open(path, "w", encoding="utf-8").write(text + "\n[tool.mutmut]\n" + "\n".join(lines) + "\n")
EOF

cd "$work"
mkdir -p mutants/src  # on sys.path from the start (an absent folder would be cached as absent)
export PYTHONPATH="$work/mutants/src${PYTHONPATH:+:$PYTHONPATH}"
start=$SECONDS
status=0
"$python" -m mutmut run --max-children "$jobs" >"$work/run.log" 2>&1 || status=$?
elapsed=$((SECONDS - start))
if [ "$status" -ne 0 ]; then
  tail -n 40 "$work/run.log" >&2
  echo "error: mutmut run failed (exit $status)" >&2
  exit 1
fi
"$python" -m mutmut export-cicd-stats >/dev/null
"$python" -m mutmut results >"$work/results.txt"
survivors="$(grep -E ': survived$' "$work/results.txt" | sed -E 's/^ +//; s/: survived$//' || true)"
if [ -n "$survivors" ]; then
  echo "survived:"
  while IFS= read -r name; do
    echo "  $name"
    if [ "$show_diffs" -eq 1 ]; then
      "$python" -m mutmut show "$name" | sed 's/^/    /'
    fi
  done <<<"$survivors"
fi
"$python" - "$elapsed" <<'EOF'
import json
import sys

stats = json.load(open("mutants/mutmut-cicd-stats.json"))
counts = ", ".join(f"{stats[k]} {k.replace('_', ' ')}" for k in
                   ("killed", "survived", "timeout", "suspicious", "no_tests", "skipped",
                    "segfault") if stats.get(k) or k in ("killed", "survived"))
print(f"mutation: {stats['total']} mutants, {counts} in {sys.argv[1]} s")
EOF
