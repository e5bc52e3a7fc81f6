"""The solver's BLAS threads: one by default, SIGNALCHAIN_BLAS_THREADS otherwise."""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_info

import signalchain as sc
from signalchain import threads
from signalchain.errors import UsageError
from tests.conftest import EXAMPLES

SEED = EXAMPLES / "01-headphone-out-to-splitter.yaml"


def _blas_threads() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


def test_the_solver_runs_on_one_blas_thread(monkeypatch):
    monkeypatch.delenv(threads.ENV_VAR, raising=False)
    seen = []
    real = threads.blas_threads

    def spy() -> int | None:
        seen.append(real())
        return seen[-1]

    monkeypatch.setattr(threads, "blas_threads", spy)
    inside = []
    with threads.solver_threads():
        inside.append(_blas_threads())
    assert inside == [{1}] and seen == [1]
    sc.Rig.from_path(SEED).simulate()
    assert seen[-1] == 1


def test_a_count_or_auto_is_obeyed(monkeypatch):
    monkeypatch.setenv(threads.ENV_VAR, "2")
    with threads.solver_threads():
        assert max(_blas_threads()) <= 2
    monkeypatch.setenv(threads.ENV_VAR, "auto")
    before = _blas_threads()
    with threads.solver_threads():
        assert _blas_threads() == before


@pytest.mark.parametrize("bad", ["0", "-1", "lots", "1.5", "999", "²", "٣", ""])
def test_a_bad_value_is_a_usage_error_in_the_cli(monkeypatch, bad):
    from typer.testing import CliRunner

    from signalchain.cli import app

    monkeypatch.setenv(threads.ENV_VAR, bad)
    with pytest.raises(UsageError, match=threads.ENV_VAR):
        threads.blas_threads()
    res = CliRunner().invoke(app, ["simulate", str(SEED)])
    assert res.exit_code == 2 and threads.ENV_VAR in res.output and "auto" in res.output
