"""Table data: CSV and JSON lines read into rows, typed by a registered schema, bad rows reported by line and left
out while the rest loads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from onca.enrich import DataError, LookupTableDefinition, build_table, data_format, load_data_file, read_rows, \
    settings_from
from onca.schema import Registry, load_schemas

SCHEMA = """
schema: Custom.Assets
fields:
  - name: cidr
    type: string
    required: true
    validate:
      cidr: ipv4
  - name: owner
    type: string
  - name: critical
    type: boolean
  - name: seen
    type: timestamp
    timeFormats: [rfc3339]
  - name: ports
    type: array
    element:
      type: int
"""


def registry() -> Registry:
    found = Registry.builtin()
    for schema in load_schemas(SCHEMA, source="test"):
        found.add(schema)
    return found


def definition(schema: str | None = None, key: str = "cidr") -> LookupTableDefinition:
    settings = settings_from({"lookupName": "assets", "primaryKey": key, "schema": schema}, where="test")
    return LookupTableDefinition(settings, "api")


def problems(table) -> list[str]:
    return [str(p) for p in table.problems]


def test_csv_rows_keep_their_text_and_bad_rows_are_named_by_line():
    data = ("\ufeffcidr,owner,note\n"
            "10.0.0.0/8,corp,\n"
            "\n"
            "10.1.0.0/16,\"lab, east\",\"two\nlines\"\n"
            "10.2.0.0/16,only two\n"
            ",nobody,x\n"
            "10.3.0.0/16,ops,x\n").encode()
    table = build_table(definition(), data, fmt="csv")
    assert [dict(r) for r in table.rows] == [
        {"cidr": "10.0.0.0/8", "owner": "corp"},  # an empty cell is no value
        {"cidr": "10.1.0.0/16", "owner": "lab, east", "note": "two\nlines"},
        {"cidr": "10.3.0.0/16", "owner": "ops", "note": "x"}]
    assert problems(table) == ["line 6: has 2 values; the header names 3 columns",
                               "line 7: no value for the primary key 'cidr'"]


def test_jsonl_rows_keep_their_json_and_bad_rows_are_named_by_line():
    data = (b'{"cidr": "10.0.0.0/8", "tags": ["a"], "meta": {"n": 1}}\n'
            b"not json\n"
            b"[1, 2]\n"
            b"\n"
            b'{"cidr": "10.0.0.0/8", "owner": "again"}\n'
            b'{"cidr": "bad", "owner": "x"}\n'
            b'{"cidr": "2001:db8::/32"}\n')
    table = build_table(definition(), data, fmt="jsonl")
    assert [dict(r) for r in table.rows] == [{"cidr": "10.0.0.0/8", "tags": ["a"], "meta": {"n": 1}},
                                             {"cidr": "2001:db8::/32"}]
    assert table.index.cidr
    assert problems(table) == [
        "line 2: not valid JSON (column 1: invalid literal, expected 'null')",
        "line 3: expected a JSON object, got a JSON array",
        "line 5: the primary key 'cidr' = '10.0.0.0/8' repeats line 1; this row is left out",
        "line 6: the primary key 'cidr' is 'bad', not an IP network"]


def test_rows_are_typed_by_a_registered_schema():
    data = ("cidr,owner,critical,seen,ports,extra\n"
            "10.0.0.0/8,corp,true,2024-05-01T10:00:00Z,,x\n"
            "10.1.0.0/16,lab,maybe,,,\n"
            "not-a-cidr,ops,false,,,\n"
            "10.2.0.0/16,,false,,,\n").encode()
    table = build_table(definition("Custom.Assets"), data, fmt="csv", registry=registry())
    assert table.index.cidr  # the schema says so
    assert [dict(r) for r in table.rows] == [
        {"cidr": "10.0.0.0/8", "owner": "corp", "critical": True, "seen": datetime(2024, 5, 1, 10, tzinfo=UTC)},
        {"cidr": "10.2.0.0/16", "critical": False}]
    assert len(table.problems) == 2
    assert table.problems[0].line == 3 and "critical" in table.problems[0].message
    assert table.problems[1].line == 4 and "not an ipv4 CIDR" in table.problems[1].message
    jsonl = b'{"cidr": "10.9.0.0/16", "ports": [22, "443"]}\n'
    typed = build_table(definition("Custom.Assets"), jsonl, fmt="jsonl", registry=registry())
    assert typed.rows[0]["ports"] == [22, 443]


def test_a_schema_the_registry_lacks_keeps_values_as_they_are():
    table = build_table(definition("IPInfo.LocationCIDR"), b"cidr,lat\n10.0.0.0/8,1.5\n", fmt="csv",
                        registry=registry())
    assert dict(table.rows[0]) == {"cidr": "10.0.0.0/8", "lat": "1.5"}


def test_data_that_cannot_be_read_at_all_says_why():
    with pytest.raises(DataError, match="line 2: the data is not UTF-8 text"):
        read_rows(b"cidr\n\xff\n", "csv")
    with pytest.raises(DataError, match="no header line"):
        read_rows(b"\n\n", "csv")
    with pytest.raises(DataError, match="line 1: the header names 'a' more than once"):
        read_rows(b"a,a\n1,2\n", "csv")
    with pytest.raises(DataError, match="unknown data format 'xml'"):
        read_rows(b"<a/>", "xml")


def test_data_files_and_formats(tmp_path: Path):
    assert data_format(name="a.CSV") == "csv" and data_format(name="a.jsonl") == "jsonl"
    assert data_format(media_type="application/x-ndjson; charset=utf-8") == "jsonl"
    assert data_format(data=b'  {"a": 1}') == "jsonl" and data_format(data=b"a,b\n") == "csv"
    path = tmp_path / "assets.jsonl"
    path.write_text('{"cidr": "10.0.0.0/8"}\n')
    settings = settings_from({"lookupName": "assets", "primaryKey": "cidr"}, where="test")
    table = load_data_file(LookupTableDefinition(settings, "config", data_file=path))
    assert len(table.rows) == 1 and table.data_source == str(path)
    missing = LookupTableDefinition(settings, "config", data_file=tmp_path / "gone.csv")
    with pytest.raises(DataError, match="lookup table assets: cannot read .*gone.csv"):
        load_data_file(missing)


def test_the_lake_copy_has_the_schema_columns_or_inferred_ones(tmp_path: Path):
    from onca.enrich import LookupService
    from onca.lake import Lake

    service = LookupService(registry(), lake_root=tmp_path)
    service.put(build_table(definition("Custom.Assets"), b'{"cidr": "10.0.0.0/8", "critical": true, '
                            b'"seen": "2024-05-01T10:00:00Z", "ports": [22]}\n', fmt="jsonl", registry=registry()))
    types = {r["column_name"]: r["column_type"] for r in Lake(tmp_path).query(
        "DESCRIBE panther_lookups.assets").to_pylist()}
    assert types == {"cidr": "VARCHAR", "owner": "VARCHAR", "critical": "BOOLEAN",
                     "seen": "TIMESTAMP WITH TIME ZONE", "ports": "INTEGER[]"}
    service.put(build_table(definition(), b'{"cidr": "10.0.0.0/8", "meta": {"a": 1}, "n": 3, "mixed": 1}\n'
                                          b'{"cidr": "10.1.0.0/16", "mixed": "x"}\n', fmt="jsonl"))
    rows = Lake(tmp_path).query("SELECT cidr, meta->>'$.a' AS a, n, typeof(mixed) AS mixed "
                                "FROM panther_lookups.assets ORDER BY cidr").to_pylist()
    assert rows == [{"cidr": "10.0.0.0/8", "a": "1", "n": 3, "mixed": "JSON"},
                    {"cidr": "10.1.0.0/16", "a": None, "n": None, "mixed": "JSON"}]
