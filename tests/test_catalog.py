"""The bundled catalog: required ids, validity, and provenance for every number."""

import pytest

from signalchain.catalog import Catalog
from signalchain.schema.cable import CableSpec
from signalchain.schema.provenance import classify, numeric_leaves

REQUIRED = """
focusrite/scarlett-2i2-3rd-gen focusrite/scarlett-2i2-4th-gen focusrite/scarlett-solo-3rd-gen
presonus/audiobox-usb-96 behringer/umc202hd motu/m2 steinberg/ur22c audient/id4 generic/interface
mackie/hm-4 behringer/ha400 behringer/ha4700 art/headamp-4 presonus/hp4 jds-labs/atom-amp
generic/headphone-amp-4
sennheiser/hd-280-pro sennheiser/hd-600 sennheiser/hd-650 audio-technica/ath-m50x
audio-technica/ath-m20x beyerdynamic/dt-770-pro-32 beyerdynamic/dt-770-pro-80
beyerdynamic/dt-770-pro-250 beyerdynamic/dt-990-pro-250 sony/mdr-7506 akg/k240-studio akg/k371
shure/srh840 generic/laptop generic/desktop
usb trs-cable ts-cable xlr-cable xlr-f-to-trs trs-to-xlr-m dual-ts-to-trs trs-to-dual-rca
rca-cable trs-3.5-cable trs-3.5-to-dual-rca adapter/3.5f-6.35m adapter/6.35f-3.5m
adapter/ts-to-rca adapter/rca-to-ts splitter/y-3.5 splitter/y-6.35
""".split()


def test_required_ids_present(catalog):
    missing = [i for i in REQUIRED if i not in catalog]
    assert not missing


def test_every_number_has_source_or_assumption(catalog):
    bare = {}
    for entry_id, entry in catalog.entries.items():
        paths = [p for p, _ in numeric_leaves(entry, only_set=False)
                 if classify(p, entry.provenance)[0] == "none"]
        if paths:
            bare[entry_id] = paths
    assert bare == {}


def test_sources_are_urls_and_assumptions_have_reasons(catalog):
    for entry in catalog.entries.values():
        for key, ref in entry.provenance.sources.items():
            assert ref.url.startswith(("http://", "https://")), (entry.id, key)
        for key, reason in entry.provenance.assumed.items():
            assert len(reason.strip()) > 10, (entry.id, key)


def test_catalog_facts_from_sources(catalog):
    # alsa-scarlett-gui: the 2i2's headphones carry the line outs' signal, with their own knob
    s2i2 = catalog.get("focusrite/scarlett-2i2-3rd-gen")
    assert s2i2.ports["headphones"].feeds == {"left": "L", "right": "R"}
    assert s2i2.ports["line_out_1"].feeds == "L"
    assert s2i2.ports["headphones"].knob != s2i2.ports["line_out_1"].knob
    # ... and on the Solo one knob sets both
    solo = catalog.get("focusrite/scarlett-solo-3rd-gen")
    assert solo.ports["headphones"].knob == solo.ports["line_out_1"].knob == "monitor"
    # the computers' earthing differs
    assert catalog.get("generic/desktop").power == "mains-earthed"
    assert catalog.get("generic/laptop").power != "mains-earthed"
    assert catalog.get("jds-labs/atom-amp").ports["rca_in_l"].connector == "rca"


def test_cables_have_named_ends_and_conductor_maps(catalog):
    y = catalog.get("dual-ts-to-trs")
    assert isinstance(y, CableSpec)
    assert list(y.ends) == ["left", "right", "stereo"]
    joins = {tuple(c.joins) for c in y.conductors}
    assert ("left.tip", "stereo.tip") in joins and ("right.tip", "stereo.ring") in joins
    assert list(catalog.get("trs-to-dual-rca").ends) == ["trs", "left", "right"]
    for entry in catalog.entries.values():
        if isinstance(entry, CableSpec):
            assert any(c.role == "shield" for c in entry.conductors), entry.id


@pytest.mark.parametrize("bad", ["scarlet-2i2", "focusrite/scarlett-2i2"])
def test_close_matches(catalog, bad):
    assert any("scarlett-2i2" in m for m in catalog.close_matches(bad))


def test_bundled_entries_say_where_they_come_from(catalog, tmp_path):
    assert {catalog.origin(i) for i in catalog.ids()} == {"bundled"}
    assert catalog.overrides == ()
    with pytest.raises(KeyError):
        catalog.origin("nothing/here")
    (tmp_path / "one.yaml").write_text("- {id: a/b, kind: computer}\n")
    assert Catalog.from_directory(tmp_path).origin("a/b") == str(tmp_path / "one.yaml")


def test_schema_ids_sort_entries_by_what_a_rig_may_name(catalog):
    ids = catalog.schema_ids()
    assert "mackie/hm-4" in ids["device"] and "mackie/hm-4" not in ids["cable"]
    assert "trs-cable" in ids["cable"] and "trs-cable" not in ids["adapter"]
    assert "adapter/3.5f-6.35m" in ids["cable"] and "adapter/3.5f-6.35m" in ids["adapter"]
    assert ids["adapter"] == catalog.ids("adapter")
    assert len(ids["device"]) + len(ids["cable"]) == len(catalog)
