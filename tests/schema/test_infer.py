from __future__ import annotations

from onca.schema import load_schemas
from onca.schema.infer import infer_schema
from ruamel.yaml import YAML
import io


def test_infer_types_required_and_event_time():
    doc = infer_schema("Custom.Inf", [
        {"time": "2024-03-01T12:00:05Z", "n": 1, "ip": "192.0.2.1", "user": {"email": "a@example.com"}, "tags": ["x"]},
        {"time": "2024-03-01T12:00:06Z", "n": 1.5, "ip": "192.0.2.2", "user": {"email": "b@example.com", "id": 3}},
    ])
    fields = {f["name"]: f for f in doc["fields"]}
    assert fields["time"]["type"] == "timestamp" and fields["time"]["isEventTime"] is True
    assert fields["time"]["required"] is True
    assert fields["n"]["type"] == "float"
    assert fields["ip"]["indicators"] == ["ip"]
    assert "required" not in fields["tags"]
    assert fields["user"]["fields"][0]["indicators"] == ["email"]
    buffer = io.StringIO()
    YAML().dump(doc, buffer)
    (schema,) = load_schemas(buffer.getvalue())  # the inferred schema is valid
    assert schema.name == "Custom.Inf"


def test_infer_conflicting_types_widen():
    doc = infer_schema("Custom.W", [{"a": 1, "b": {"x": 1}}, {"a": "one", "b": [1]}])
    fields = {f["name"]: f for f in doc["fields"]}
    assert fields["a"]["type"] == "string"
    assert fields["b"]["type"] == "json"
