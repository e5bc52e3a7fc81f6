#!/usr/bin/env bash
# Install signalchain and what it needs into a virtual environment (.venv, or $SIGNALCHAIN_VENV):
# libsndfile and ngspice from Debian (when run as root or with sudo), Graphviz for the pictures
# and reports (extras 'report', 'web' and 'test') and Chromium for the browser tests (extra 'test'),
# then the package with pip.
# Usage: scripts/setup.sh [extras]      e.g. scripts/setup.sh test   or   scripts/setup.sh report
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
venv="${SIGNALCHAIN_VENV:-.venv}"

if [ "$(id -u)" = 0 ]; then apt="apt-get"; elif command -v sudo >/dev/null 2>&1; then apt="sudo apt-get"; else apt=""; fi
apt_install() {
  if [ -n "$apt" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing $* with apt-get" >&2
    $apt update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $apt install -y -qq "$@" >/dev/null
  else
    echo "note: please install $* with your package manager" >&2
  fi
}

need=()
command -v ngspice >/dev/null 2>&1 || need+=(ngspice)
ldconfig -p 2>/dev/null | grep -q libsndfile || need+=(libsndfile1)
case ",$extras," in *,report,*|*,web,*|*,test,*|*,dev,*)
  command -v dot >/dev/null 2>&1 || need+=(graphviz) ;;
esac
case ",$extras," in *,test,*|*,dev,*)
  command -v chromium >/dev/null 2>&1 || need+=(chromium) ;;
esac
[ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"

if [ ! -x "$venv/bin/python" ]; then
  if ! python3 -m venv "$venv" 2>/dev/null; then
    apt_install python3-venv
    rm -rf "$venv"
    python3 -m venv "$venv"
  fi
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".${extras:+[$extras]}"
echo "signalchain is installed in $venv (run 'source $venv/bin/activate' to use it directly)" >&2
