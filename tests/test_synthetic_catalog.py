"""The synthetic catalog: marked as such, inside the real ranges, valid, deterministic."""

from __future__ import annotations

import signalchain as sc
from signalchain.catalog import default_catalog
from signalchain.catalog.synthetic import PREFIX, synthetic_catalog
from signalchain.schema.device import DeviceSpec
from signalchain.shop import shop
from tests.conftest import EXAMPLES


def test_synthetic_entries_are_marked_valid_and_within_the_real_ranges():
    base = default_catalog()
    big = synthetic_catalog(base, headphones=300, amps=40, seed=5)
    new = [i for i in big.ids() if i not in base.entries]
    assert len(new) == 340 and all(i.startswith(PREFIX) for i in new)
    assert not any(i.startswith(PREFIX) for i in default_catalog().ids())  # never mixed in
    real_z = [e.headphones.z_ohm for e in base.entries.values()
              if isinstance(e, DeviceSpec) and e.headphones]
    for entry_id in new:
        entry = big.get(entry_id)
        assert isinstance(entry, DeviceSpec) and "Synthetic" in entry.name
        assert entry.provenance.assumed  # every value assumed, with the reason
        DeviceSpec.model_validate(entry.model_dump(mode="json", exclude_none=True))
        if entry.headphones:
            assert min(real_z) <= entry.headphones.z_ohm <= max(real_z)
    again = synthetic_catalog(base, headphones=300, amps=40, seed=5)
    assert all(again.get(i) == big.get(i) for i in new)


def test_shop_runs_over_synthetic_amps():
    base = default_catalog()
    big = synthetic_catalog(base, headphones=0, amps=5, seed=1)
    rig = sc.Rig.from_path(EXAMPLES / "01-headphone-out-to-splitter.yaml", big)
    result = shop(rig, "hm4")
    synthetic = [o for o in result.offers if o.candidate.startswith(PREFIX)]
    assert len(synthetic) == 5 and all(o.usable for o in synthetic)
