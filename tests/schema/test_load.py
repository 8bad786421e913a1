from __future__ import annotations

import pytest

from onca.schema import Registry, SchemaError, UnknownLogType, load_schemas, validate_text

GOOD = """
schema: Custom.App
description: test app logs
definitions:
  Actor:
    - name: id
      type: string
      indicators: [username]
fields:
  - name: time
    type: timestamp
    timeFormats: [rfc3339, unix]
    isEventTime: true
    required: true
  - name: actor
    type: Actor
  - name: tags
    type: array
    element:
      type: string
  - name: source
    rename:
      from: "Source IP"
    indicators: [ip]
"""


def test_load_schemas_builds_model():
    (schema,) = load_schemas(GOOD)
    assert schema.name == "Custom.App"
    paths = [p for p, _ in schema.walk()]
    assert paths == ["time", "actor", "actor.id", "tags", "source"]
    time = schema.fields[0]
    assert time.is_event_time and time.required and time.time_formats == ("rfc3339", "unix")
    assert schema.fields[1].type == "object" and schema.fields[1].fields[0].indicators == ("username",)
    assert schema.fields[3].transform.kind == "rename" and schema.fields[3].type == "string"


def test_validate_reports_every_problem_with_path():
    problems = validate_text("""
schema: lowercase
fields:
  - name: a
    type: strnig
  - name: b
    type: object
  - name: c
    type: int
    isEventTime: true
    bogus: 1
  - name: a
    type: string
    indicators: [nope]
parser:
  csv: {}
""")
    found = {(p.path, p.message.split(" ")[0]) for p in problems}
    paths = [p.path for p in problems]
    assert "schema" in paths
    assert "fields.a.type" in paths
    assert "fields.b.fields" in paths
    assert "fields.c.isEventTime" in paths
    assert "fields.c.bogus" in paths
    assert any(p.path == "fields.a" and "duplicate" in p.message for p in problems)
    assert "fields.a.indicators" in paths
    assert "parser.csv" in paths
    assert len(found) >= 8


def test_validate_yaml_syntax_error_is_reported():
    problems = validate_text("schema: [unclosed")
    assert problems and "not valid YAML" in problems[0].message


def test_load_schemas_raises_with_all_problems():
    with pytest.raises(SchemaError) as info:
        load_schemas("schema: Custom.X\nfields: []\n", "x.yml")
    assert "x.yml" in str(info.value)
    assert info.value.problems[0].path == "fields"


def test_yaml_1_2_keeps_on_and_timestamps_as_strings():
    (schema,) = load_schemas("""
schema: Custom.Y
fields:
  - name: "On"
    type: string
    validate:
      allow: [yes, no, 2024-01-01]
""")
    assert schema.fields[0].name == "On"
    assert schema.fields[0].validate.allow == ("yes", "no", "2024-01-01")


def test_definitions_cycle_is_reported():
    problems = validate_text("""
schema: Custom.Z
definitions:
  Node:
    - name: child
      type: Node
fields:
  - name: root
    type: Node
""")
    assert any("refers to itself" in p.message for p in problems)


def test_registry_unknown_type_suggests_close_names():
    registry = Registry(load_schemas(GOOD))
    with pytest.raises(UnknownLogType) as info:
        registry.get("Custom.Ap")
    assert "Custom.App" in str(info.value)


def test_registry_rejects_duplicates_unless_replacing():
    registry = Registry(load_schemas(GOOD))
    with pytest.raises(ValueError):
        registry.add(load_schemas(GOOD)[0])
    registry.add(load_schemas(GOOD)[0], replace=True)
    assert registry.names() == ["Custom.App"]


def test_builtin_schemas_all_load():
    registry = Registry.builtin()
    for schema in registry:
        assert schema.fields, schema.name
