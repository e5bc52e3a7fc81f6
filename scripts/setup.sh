#!/usr/bin/env bash
# Install signalchain and what it needs: libsndfile and ngspice from Debian (when we are
# root or have sudo), then the package itself with pip. Usage: scripts/setup.sh [extras]
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
need=()
command -v ngspice >/dev/null 2>&1 || need+=(ngspice)
ldconfig -p 2>/dev/null | grep -q libsndfile || need+=(libsndfile1)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then apt="apt-get"; elif command -v sudo >/dev/null; then apt="sudo apt-get"; else apt=""; fi
  if [ -n "$apt" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${need[*]} with apt-get" >&2
    $apt update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $apt install -y -qq "${need[@]}" >/dev/null
  else
    echo "note: please install ${need[*]} with your package manager" >&2
  fi
fi
python3 -m pip install --quiet --disable-pip-version-check -e ".${extras:+[$extras]}"
