#!/usr/bin/env bash
# Type-check the package: mypy --strict on src/ (settings in pyproject.toml's [tool.mypy]).
# Needs the test extra: 'scripts/setup.sh test' installs mypy and the SciPy stubs.
# Usage: scripts/typecheck.sh [mypy options]      e.g. scripts/typecheck.sh --no-incremental
set -euo pipefail
cd "$(dirname "$0")/.."
"${SIGNALCHAIN_VENV:-.venv}/bin/python" -m mypy --strict "$@" src
