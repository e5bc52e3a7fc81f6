"""The exported JSON Schemas, as an editor sees them (checked with the jsonschema validator)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from signalchain.catalog import default_catalog
from signalchain.catalog.store import _data_root
from signalchain.errors import RigError
from signalchain.rig import Rig
from signalchain.schema.entry import ENTRY_KINDS
from signalchain.schema.export import catalog_json_schema, rig_json_schema
from signalchain.schema.loader import parse_yaml, plain_data
from tests.conftest import EXAMPLES

EX1 = EXAMPLES / "01-headphone-out-to-splitter.yaml"
ANY_OF = "is not valid under any of the given schemas"


def data_of(text: str) -> Any:
    return plain_data(parse_yaml(text, "x.yaml").data)


@pytest.fixture(scope="module")
def rig_schema() -> jsonschema.protocols.Validator:
    schema = rig_json_schema(default_catalog().schema_ids())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def catalog_schema() -> jsonschema.protocols.Validator:
    schema = catalog_json_schema(default_catalog().schema_ids())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def messages(validator: jsonschema.protocols.Validator, data: Any) -> list[str]:
    return [e.message for e in validator.iter_errors(data)]


def best(validator: jsonschema.protocols.Validator, data: Any) -> jsonschema.ValidationError:
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    assert error is not None
    return error


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_rig_follows_the_exported_schema(rig_schema, path: Path):
    assert messages(rig_schema, data_of(path.read_text())) == []


@pytest.mark.parametrize("path", sorted(_data_root().rglob("*.yaml")), ids=lambda p: p.name)
def test_every_bundled_catalog_file_follows_the_catalog_schema(catalog_schema, path: Path):
    assert messages(catalog_schema, data_of(path.read_text())) == []


def test_a_typo_in_a_model_id_fails_the_schema_but_the_rig_error_still_helps(rig_schema):
    text = EX1.read_text()
    assert "model: focusrite/scarlett-2i2-3rd-gen" in text
    typo = text.replace("model: focusrite/scarlett-2i2-3rd-gen", "model: focusrite/scarlet-2i2")
    error = best(rig_schema, data_of(typo))
    assert "'focusrite/scarlet-2i2' is not one of" in error.message
    assert list(error.absolute_path)[-1] == "model"
    with pytest.raises(RigError) as info:
        Rig.from_text(typo, "typo.yaml").resolved  # noqa: B018 - resolving reports the id
    assert "unknown device id 'focusrite/scarlet-2i2'" in str(info.value)
    assert "did you mean 'focusrite/scarlett-2i2" in str(info.value)


@pytest.mark.parametrize("old, new, bad", [
    ("alice: sennheiser/hd-280-pro", "alice: sennheiser/hd-280", "'sennheiser/hd-280'"),
    ("cable: trs-cable", "cable: trs-cabel", "'trs-cabel'"),
    ("cable: trs-cable", "cable: focusrite/scarlett-solo-3rd-gen", "'focusrite/scarlett-solo"),
])
def test_ids_of_the_wrong_kind_or_misspelt_fail(rig_schema, old, new, bad):
    text = EX1.read_text()
    assert old in text
    error = best(rig_schema, data_of(text.replace(old, new, 1)))
    assert error.message.startswith(bad) and "is not one of" in error.message


def test_via_takes_adapters_only(rig_schema):
    rig = data_of(EX1.read_text())
    rig["connections"].append({"plug": "alice", "into": "hm4.out2", "via": "trs-cable"})
    assert "'trs-cable' is not one of" in best(rig_schema, rig).message
    rig["connections"][-1]["via"] = ["adapter/3.5f-6.35m", "adapter/nope"]
    assert "'adapter/nope' is not one of" in best(rig_schema, rig).message
    rig["connections"][-1]["via"] = ["adapter/3.5f-6.35m"] * 9
    assert "is too long" in best(rig_schema, rig).message
    rig["connections"][-1]["via"] = "adapter/3.5f-6.35m"
    assert messages(rig_schema, rig) == []


INLINE_AMP = {"kind": "amp", "ports": {"out": {
    "connector": "trs-6.35", "direction": "sideways", "signal": "stereo"}}}


def test_a_wrong_inline_device_gets_a_specific_error(rig_schema):
    rig = data_of(EX1.read_text())
    rig["devices"]["box"] = INLINE_AMP
    found = messages(rig_schema, rig)
    assert found == ["'sideways' is not one of ['out', 'in', 'host']"]
    rig["devices"]["box"] = {**INLINE_AMP, "kind": "toaster", "ports": {}}
    assert messages(rig_schema, rig) == [
        "'toaster' is not one of ['computer', 'interface', 'amp', 'headphones', 'splitter', "
        "'microphone']"]
    rig["devices"]["box"] = {"kind": "headphones", "ports": {}}
    assert messages(rig_schema, rig) == ["'headphones' is a required property"]
    rig["devices"]["box"] = {"model": "mackie/hm-4", "kind": "amp"}
    (only,) = messages(rig_schema, rig)
    assert "Additional properties are not allowed ('kind' was unexpected)" in only


def test_connections_are_told_apart_before_they_are_checked(rig_schema):
    rig = data_of(EX1.read_text())
    rig["connections"].append({"plug": "alice", "into": "hm4.out2", "lenght": 3})
    (only,) = messages(rig_schema, rig)
    assert "'lenght' was unexpected" in only
    rig["connections"][-1] = {"into": "hm4.out2"}
    assert sorted(messages(rig_schema, rig)) == ["'cable' is a required property",
                                                 "'ends' is a required property"]
    assert not any(ANY_OF in m for m in messages(rig_schema, rig))


def test_catalog_entries_are_told_apart_by_kind(catalog_schema):
    assert messages(catalog_schema, [{"id": "a/b", "kind": "toaster"}]) == [
        f"'toaster' is not one of {list(ENTRY_KINDS)}"]
    assert messages(catalog_schema, [{"id": "a/b", "name": "no kind"}]) == [
        "'kind' is a required property"]
    assert messages(catalog_schema, [{"kind": "amp"}]) == ["'id' is a required property"]
    found = messages(catalog_schema, [{"id": "a/b", "kind": "adapter", "ends": {}}])
    assert found and not any(ANY_OF in m for m in found)
    assert "'conductors' is a required property" in found
    hp = {"id": "a/b", "kind": "headphones", "ports": {}}
    assert messages(catalog_schema, [hp]) == ["'headphones' is a required property"]


def test_without_ids_the_schema_accepts_any_well_formed_id():
    validator = jsonschema.Draft202012Validator(rig_json_schema())
    rig = data_of(EX1.read_text())
    rig["devices"]["alice"] = "someone/else"
    assert messages(validator, rig) == []
    rig["devices"]["alice"] = "Some One"
    assert any("does not match" in m for m in messages(validator, rig))
