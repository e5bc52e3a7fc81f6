"""Start-up stays lean: a command imports only what it uses (issue 14, "instant start").

Not timed (``benchmarks/startup_speed.py`` times it): each command runs in a fresh
interpreter, which then reports which of the heavy modules it loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import signalchain
from tests.conftest import EXAMPLES

SEED = EXAMPLES / "01-headphone-out-to-splitter.yaml"
SRC = Path(signalchain.__file__).resolve().parents[1]

HEAVY = ("numpy", "pydantic", "scipy", "scipy.sparse", "scipy.linalg", "threadpoolctl",
         "matplotlib", "jinja2", "graphviz", "dask", "distributed", "fastapi", "uvicorn",
         "soundfile", "soxr", "pyarrow", "xml.etree.ElementTree", "signalchain.schema.rig",
         "signalchain.render", "signalchain.draw", "signalchain.web", "signalchain.sweep",
         "signalchain.tune", "signalchain.advise", "signalchain.shop",
         "signalchain.report.html")
"""Modules worth a look: slow to import, or the start of a chain that is."""

_RUN = """\
import json, runpy, sys
sys.argv = ["signalchain", *sys.argv[1:]]
try:
    runpy.run_module("signalchain", run_name="__main__")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"code": code, "loaded": [m for m in HEAVY if m in sys.modules]}),
      file=sys.stderr)
""".replace("HEAVY", repr(HEAVY))


def _loaded(tmp_path: Path, *args: str) -> set[str]:
    """Run ``signalchain ARGS`` in a fresh interpreter; the heavy modules it imported."""
    env = {**os.environ, "SIGNALCHAIN_CACHE": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", _RUN, *args], capture_output=True, text=True,
                          env=env, timeout=120)
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, proc.stderr
    return set(report["loaded"])


def test_help_loads_no_numpy_nor_models(tmp_path):
    assert _loaded(tmp_path, "--help") == set()


@pytest.mark.parametrize("command", ["check", "simulate"])
def test_check_and_simulate_load_only_what_they_use(tmp_path, command):
    loaded = _loaded(tmp_path, command, str(SEED))
    # the schema and the solver, nothing else: a small rig is solved by NumPy alone
    expected = {"numpy", "pydantic", "signalchain.schema.rig"}
    if command == "simulate":
        expected.add("threadpoolctl")  # the solver's BLAS threads are limited
    assert loaded == expected


def test_the_package_names_its_api_without_importing_it(tmp_path):
    code = ("import sys, signalchain as sc\n"
            "assert 'numpy' not in sys.modules and 'signalchain.rig' not in sys.modules\n"
            "assert sc.Rig.__module__ == 'signalchain.rig' and 'Rig' in dir(sc)\n"
            "from signalchain import Evaluation, RigError, __version__\n"
            "from signalchain.schema import RigSpec\n"
            "assert sorted(sc.__all__) == sorted(n for n in sc.__all__ if hasattr(sc, n))\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC),
                                                        os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        signalchain.Nope  # noqa: B018
