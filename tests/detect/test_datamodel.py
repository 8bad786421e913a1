from __future__ import annotations

from types import SimpleNamespace

import pytest

from onca.detect.datamodel import DataModel, DataModelError


def test_datamodel_paths_methods_from_module():
    module = SimpleNamespace(get_user=lambda event: event.get("user", "").upper())
    model = DataModel.from_mappings(
        "Standard.X",
        [{"Name": "user", "Method": "get_user"}, {"Name": "ip", "Path": "src.ip"}, {"Name": "bare", "Path": "field"}],
        log_types=["X.Log"],
        module=module,
    )
    assert model.log_types == ("X.Log",)
    event = {"user": "bob", "src": {"ip": "1.2.3.4"}, "field": 0}
    assert model.resolve("user", event) == (True, "BOB")
    assert model.resolve("ip", event) == (True, "1.2.3.4")
    assert model.resolve("bare", event) == (True, 0)  # found, even though falsy
    assert model.resolve("bare", {}) == (False, None)
    assert model.resolve("unmapped", event) == (False, None)
    assert model.maps("ip") and not model.maps("unmapped")


def test_datamodel_jsonpath_filters_supported():
    model = DataModel.from_mappings("M", [{"Name": "admin", "Path": "$.roles[?(@.name == 'admin')].id"}])
    assert model.resolve("admin", {"roles": [{"name": "dev", "id": 1}, {"name": "admin", "id": 2}]}) == (True, 2)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"Name": "a", "Method": "nope"}, r"Mappings\[0\]\.Method: the data model has no function named 'nope'"),
        ({"Name": "a", "Path": "$.[[["}, r"Mappings\[0\]\.Path: '\$\.\[\[\[' is not a valid JSONPath"),
        ({"Name": "a"}, r"Mappings\[0\]: 'a' needs a Path or a Method"),
        ({"Path": "x"}, r"Mappings\[0\]\.Name: a mapping needs a Name"),
    ],
)
def test_datamodel_invalid_mapping_named(mapping, message):
    with pytest.raises(DataModelError, match=message):
        DataModel.from_mappings("M", [mapping], module=SimpleNamespace())
