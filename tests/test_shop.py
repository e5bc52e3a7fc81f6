"""``shop``: every catalog candidate for a device (or the headphones), ranked as advise ranks."""

from __future__ import annotations

import json

import pytest

import signalchain as sc
from signalchain.report.shop import shop_json
from signalchain.shop import shop
from tests.conftest import EXAMPLES

SEED = EXAMPLES / "01-headphone-out-to-splitter.yaml"


@pytest.fixture(scope="module")
def amps():
    return shop(sc.Rig.from_path(SEED), "hm4")


def test_every_catalog_amp_is_tried_and_ranked_by_advises_score(amps):
    rig = sc.Rig.from_path(SEED)
    amp_ids = [i for i in rig.catalog.ids("amp") if i != "generic/inline-mic-booster"]
    assert sorted(o.candidate for o in amps.offers) == sorted(amp_ids)
    usable = [o for o in amps.offers if o.usable]
    assert [o.score for o in usable] == sorted(o.score for o in usable)  # type: ignore[misc]
    for offer in usable[:2]:  # the same score advise gives the swapped rig's best method
        best = rig.with_devices({"hm4": offer.candidate}).advise().methods[0]
        assert offer.score == pytest.approx(best.score)
        assert offer.worst_noise_spl_dba == pytest.approx(best.facts.noise_spl_dba)
    (atom,) = [o for o in amps.offers if o.candidate == "jds-labs/atom-amp"]
    assert not atom.usable and "1 output" in atom.problem
    assert amps.offers[-1] is atom  # unusable offers come last


def test_headphones_are_ranked_by_the_hiss_at_the_target():
    rig = sc.Rig.from_path(SEED)
    result = shop(rig, for_listeners=True)
    assert result.kind == "headphones" and len(result.offers) == len(rig.catalog.ids(
        "headphones"))
    feasible = [o for o in result.offers if o.usable and o.feasible]
    hiss = [o.worst_noise_spl_dba for o in feasible]
    assert hiss == sorted(hiss)  # type: ignore[type-var]
    first = feasible[0]
    tuned = rig.with_devices({who: first.candidate for who in rig.listeners}).tune()
    assert first.worst_noise_spl_dba == pytest.approx(
        max(lf.noise_spl_dba for lf in tuned.evaluation.listeners))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"replace": "hm5"}, "the rig has no such device"),
    ({"replace": "hm4", "priority": "price"}, "not one of quality, convenience"),
    ({"replace": "hm4", "kind": "cable"}, "cannot shop for a 'cable'"),
    ({}, "--replace DEVICE"),
])
def test_bad_requests_are_usage_errors(kwargs, message):
    from signalchain.errors import UsageError

    rig = sc.Rig.from_path(SEED)
    replace = kwargs.pop("replace", None)
    with pytest.raises(UsageError, match=message):
        shop(rig, replace, **kwargs)


def test_local_processes_rank_the_same(amps):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        there = shop(sc.Rig.from_path(SEED), "hm4", executor=pool)
    assert shop_json(there) == shop_json(amps)


def test_the_cli_prints_the_ranking_and_json():
    from typer.testing import CliRunner

    from signalchain.cli import app

    res = CliRunner().invoke(app, ["shop", str(SEED), "--replace", "hm4", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["offers"][0]["rank"] == 1 and data["offers"][0]["usable"]
    table = CliRunner().invoke(app, ["shop", str(SEED), "--replace", "hm4", "--limit", "2"])
    assert table.exit_code == 0 and "an amp in place of hm4" in table.output
    bad = CliRunner().invoke(app, ["shop", str(SEED), "--replace", "hm4", "--priority",
                                   "price"])
    assert bad.exit_code == 2 and "no prices" in bad.output


def test_the_rig_and_the_catalog_shop_as_shop_does(amps):
    from signalchain.catalog import default_catalog

    rig = sc.Rig.from_path(SEED)
    assert rig.shop("hm4") == amps
    assert default_catalog().shop(rig, "hm4") == amps
