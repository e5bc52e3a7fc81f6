#!/usr/bin/env bash
# Set up signalchain, then run the main job on the bundled example rigs.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh report
"${SIGNALCHAIN_VENV:-.venv}/bin/signalchain" demo "$@"
