"""Packaging: a built wheel carries the catalog, the example rigs and py.typed, and works.

The wheel is built from a copy of the package sources (so the shared work tree
gets no build/ or egg-info), first without build isolation (offline, needs
setuptools and wheel in this environment: the 'test' extra has them), else with it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from signalchain import demo
from signalchain.cli import app
from tests.conftest import ROOT

PACKAGE = ROOT / "src" / "signalchain"


def _data_files() -> set[str]:
    """Every non-Python file the package needs at run time, as wheel member names."""
    files = [*PACKAGE.glob("catalog/data/**/*.yaml"), *PACKAGE.glob("examples/*.yaml"),
             PACKAGE / "py.typed"]
    return {p.relative_to(PACKAGE.parent).as_posix() for p in files}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    src = work / "project"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(PACKAGE, src / "src" / "signalchain",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = work / "dist"
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    tried = []
    for isolation in (["--no-build-isolation"], []):
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", *isolation,
               "-w", str(dist), str(src)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600,
                              check=False)
        wheels = sorted(dist.glob("signalchain-*.whl"))
        if proc.returncode == 0 and wheels:
            return wheels[0]
        tried.append(f"{' '.join(cmd)}:\n{proc.stderr[-1500:]}")
    pytest.skip("cannot build a wheel here (no build backend offline):\n" + "\n".join(tried))


def test_data_files_exist_in_the_source():
    names = _data_files()
    assert sum(n.startswith("signalchain/examples/") for n in names) >= 6
    assert sum(n.startswith("signalchain/catalog/data/") for n in names) >= 7


def test_wheel_contains_catalog_examples_and_py_typed(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    missing = sorted(_data_files() - names)
    assert not missing, f"{wheel.name} lacks {missing}"
    assert "signalchain/examples/01-headphone-out-to-splitter.yaml" in names
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)


def test_installed_wheel_runs_demo_outside_the_checkout(wheel, tmp_path):
    """The wheel's files (no editable install, no checkout on the path) run the demo."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-index", "--target", str(target), str(wheel)], check=True,
                   capture_output=True, timeout=600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target), "COLUMNS": "200"}
    where = subprocess.run([sys.executable, "-c", "import signalchain as s; print(s.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    assert where.stdout.strip().startswith(str(target)), where.stdout  # the wheel's copy
    proc = subprocess.run([sys.executable, "-m", "signalchain", "demo"], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "internal error" not in proc.stdout + proc.stderr
    assert "02-left-line-out-to-splitter" in proc.stdout
    assert str(target / "signalchain" / "examples") in proc.stdout


def test_missing_examples_fail_clearly(runner, tmp_path, monkeypatch):
    empty = tmp_path / "pkg"
    (empty / "examples").mkdir(parents=True)
    monkeypatch.setattr(demo.resources, "files", lambda _name: empty)
    with pytest.raises(demo.ExamplesMissingError, match="incomplete"):
        demo.example_paths()
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output
    assert "no example rigs" in result.stderr and str(empty / "examples") in result.stderr
    assert "reinstall" in result.stderr


def test_example_by_number(tmp_path, monkeypatch):
    assert demo.example_path("02").name == "02-left-line-out-to-splitter.yaml"
    only = tmp_path / "pkg" / "examples"
    only.mkdir(parents=True)
    (only / "01-x.yaml").write_text("signalchain: 1\n")
    monkeypatch.setattr(demo.resources, "files", lambda _name: only.parent)
    with pytest.raises(demo.ExamplesMissingError, match="example 02"):
        demo.example_path("02")
