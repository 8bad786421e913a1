from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pytest

from onca.detect.datamodel import AmbiguousPathError, DataModel
from onca.detect.event import (
    DetectionEvent,
    ImmutableCaseInsensitiveDict,
    ImmutableList,
    NoDataModelError,
    json_default,
)

RAW = {
    "eventName": "ConsoleLogin",
    "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/alice", "sessionContext": None},
    "resources": [{"ARN": "a"}, {"ARN": "b"}, {"ARN": "a"}, {"other": 1}],
    "nested": [[{"x": 1}, {"x": 2}], [{"x": 2}, {"x": 3}]],
    "tags": ["one", "two"],
    "p_log_type": "AWS.CloudTrail",
    "p_event_time": "2024-01-02 03:04:05.000",
    "p_udm": {"source_ip": "10.0.0.1"},
}


def event(data: Mapping | None = None, model: DataModel | None = None) -> DetectionEvent:
    return DetectionEvent(dict(RAW) if data is None else data, model)


def test_event_keys_case_insensitive_exact_first():
    ev = event({"Key": 1, "key": 2, "KEY": 3, "other": 4})
    assert ev["key"] == 2  # the exact spelling wins
    assert ev["kEy"] == 1  # otherwise the first key in event order
    assert ev.get("OTHER") == 4
    assert "OtHeR" in ev and "missing" not in ev
    with pytest.raises(KeyError):
        ev["missing"]


def test_event_is_a_read_only_mapping():
    ev = event()
    assert isinstance(ev, Mapping)
    assert len(ev) == len(RAW) and set(ev) == set(RAW)
    with pytest.raises(TypeError):
        ev["eventName"] = "x"  # type: ignore[index]
    with pytest.raises(AttributeError):
        ev.update({})  # type: ignore[attr-defined]
    assert ev == RAW and dict(ev)["eventName"] == "ConsoleLogin"


def test_event_nested_values_wrapped_lazily():
    ev = event()
    identity = ev["userIdentity"]
    assert isinstance(identity, ImmutableCaseInsensitiveDict) and not isinstance(identity, dict)
    assert identity["TYPE"] == "IAMUser"
    resources = ev["resources"]
    assert isinstance(resources, ImmutableList) and isinstance(resources, Sequence)
    assert isinstance(resources[0], ImmutableCaseInsensitiveDict)
    assert resources[0]["arn"] == "a"
    assert [r.get("arn") for r in resources] == ["a", "b", "a", None]
    assert resources[1:3] == ({"ARN": "b"}, {"ARN": "a"})  # slices are plain tuples
    assert ev["tags"] == ["one", "two"] and ev["tags"] == ("one", "two") and "two" in ev["tags"]
    assert ev["userIdentity"] == {"type": "IAMUser", "arn": "arn:aws:iam::1:user/alice", "sessionContext": None}


def test_event_get_default_and_deep_get():
    ev = event()
    assert ev.get("nope", "fallback") == "fallback"
    assert ev.deep_get("userIdentity", "ARN") == "arn:aws:iam::1:user/alice"
    assert ev.deep_get("userIdentity", "missing", default="d") == "d"
    assert ev.deep_get("userIdentity", "sessionContext", default="d") == "d"  # None reads as missing
    assert ev.deep_get("eventName", "deeper", default=0) == 0  # a string has no keys
    assert ev.deep_get("resources", "ARN") is None  # deep_get does not enter lists
    assert ev.deep_get() is ev


def test_event_deep_walk_collects_deduplicated():
    ev = event()
    assert ev.deep_walk("resources", "ARN") == ["a", "b"]
    assert ev.deep_walk("resources", "ARN", return_val="first") == "a"
    assert ev.deep_walk("resources", "ARN", return_val="last") == "b"
    assert ev.deep_walk("nested", "x") == [1, 2, 3]
    assert ev.deep_walk("resources", "other") == 1  # a single value, not a list
    assert ev.deep_walk("resources", "missing", default="none") == "none"
    assert ev.deep_walk("userIdentity", "type") == "IAMUser"
    assert ev.deep_walk("resources", "ARN", return_val="bogus") == "all"


def test_event_deep_walk_empty_lists_and_exact_keys():
    ev = event({"a": [[], [[]]], "b": {"C": 1}})
    assert ev.deep_walk("a", default="empty") == "empty"
    assert ev.deep_walk("b", "c") is None  # deep_walk matches keys exactly
    assert ev.deep_walk("b", "C") == 1


def test_event_udm_via_data_model_path_and_method():
    def actor(view):
        assert isinstance(view, ImmutableCaseInsensitiveDict) and not isinstance(view, DetectionEvent)
        return view.deep_get("userIdentity", "arn")

    model = DataModel.from_mappings(
        "Standard.Test",
        [
            {"Name": "event_name", "Path": "eventName"},
            {"Name": "user_type", "Path": "$.userIdentity.type"},
            {"Name": "actor_user", "Method": actor},
            {"Name": "absent", "Path": "$.not.here"},
            {"Name": "first_resource", "Path": "$.resources[0]"},
        ],
    )
    ev = event(model=model)
    assert ev.udm("event_name") == "ConsoleLogin"
    assert ev.udm("user_type") == "IAMUser"
    assert ev.udm("actor_user") == "arn:aws:iam::1:user/alice"
    assert ev.udm("absent", default="d") == "d"  # mapped but not found: the default, no raw fallback
    assert isinstance(ev.udm("first_resource"), ImmutableCaseInsensitiveDict)
    assert ev.udm("source_ip") == "10.0.0.1"  # unmapped: p_udm
    assert ev.udm("eventName") == "ConsoleLogin"  # unmapped: then the raw field
    assert ev.udm("nothing", default=7) == 7
    assert ev.udm_path("user_type") == "userIdentity.type"
    assert ev.udm_path("actor_user") == "actor"
    assert ev.udm_path("nothing") is None


def test_event_udm_without_model_and_ambiguous_path():
    ev = event()
    assert ev.udm("source_ip") == "10.0.0.1"
    assert ev.udm("p_udm", "source_ip") == "10.0.0.1"  # several keys walk p_udm then the event
    with pytest.raises(NoDataModelError, match="AWS.CloudTrail"):
        ev.udm_path("source_ip")
    model = DataModel.from_mappings("M", [{"Name": "arns", "Path": "$.resources[*].ARN"}])
    with pytest.raises(AmbiguousPathError, match="matched multiple fields"):
        event(model=model).udm("arns")


def test_event_lookup_mocked_and_function():
    ev = event({"_mocked_lookup_data_": {"table": {"k": {"v": 1}}}})
    assert ev.lookup("table", "k") == {"v": 1}
    assert ev.lookup("table", "missing") is None
    ev._add_lookup_function(lambda e, name, key: f"{name}:{key}")
    assert ev.lookup("t", "x") == "t:x"


def test_event_to_dict_is_an_independent_copy():
    raw = {"a": {"b": [1]}}
    ev = event(raw)
    copy = ev.to_dict()
    copy["a"]["b"].append(2)
    assert raw == {"a": {"b": [1]}}
    assert ev["a"]["b"].as_list() == [1]


def test_event_time_epoch():
    assert event().event_time_epoch() == 1704164645
    assert event({"p_event_time": "not a time"}).event_time_epoch() == 0
    assert event({}).event_time_epoch() == 0


def test_event_json_encoding():
    ev = event()
    assert json.loads(json.dumps(ev, default=DetectionEvent.json_encoder)) == RAW
    assert json.loads(json.dumps({"r": ev["resources"]}, default=json_default)) == {"r": RAW["resources"]}
    with pytest.raises(TypeError):
        json.dumps(ev)
    with pytest.raises(TypeError, match="not JSON serializable"):
        json.dumps({"s": {1}}, default=json_default)


def test_event_wraps_views_without_nesting():
    view = ImmutableCaseInsensitiveDict({"A": 1})
    assert DetectionEvent(view)["a"] == 1
    assert ImmutableList(ImmutableList([1, 2])) == [1, 2]
    assert repr(ImmutableList([1])) == "ImmutableList((1,))"
