#!/usr/bin/env bash
# Set up everything the tests need, then run them (the README's test command).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh test
"${SIGNALCHAIN_VENV:-.venv}/bin/python" -m pytest "$@"
