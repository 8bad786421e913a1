from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
import pytest

from onca.lake import Lake, LakeWriter

START = datetime(2024, 5, 6, 7, 0, tzinfo=UTC)
JSON_COLUMNS = {"panther_logs.test_log": ["request", "p_extra"]}


def write(root, database, table, schema, rows):
    with LakeWriter(root) as writer:
        writer.write(database, table, schema, rows)


@pytest.fixture
def lake(lake_root, log_schema, make_row):
    rows = [make_row(n, START + timedelta(minutes=20 * n)) for n in range(6)]
    rows[0]["p_extra"] = '{"unknownKey": {"x": 1}}'
    write(lake_root, "panther_logs", "test_log", log_schema, rows)
    return Lake(lake_root, json_columns=JSON_COLUMNS)


def test_lake_tables_lists_tables_with_data(lake, lake_root):
    (lake_root / "panther_logs" / "empty_table" / "year=2024").mkdir(parents=True)
    assert lake.tables() == ["panther_logs.test_log"]


def test_lake_table_resolves_as_catalog_table_and_snowflake_three_part_name(lake):
    two = lake.query("SELECT p_row_id FROM panther_logs.test_log ORDER BY p_row_id").column("p_row_id")
    three = lake.query("SELECT p_row_id FROM panther_logs.public.test_log ORDER BY p_row_id").column("p_row_id")
    unqualified = lake.query("SELECT p_row_id FROM test_log ORDER BY p_row_id").column("p_row_id")
    assert two.to_pylist() == three.to_pylist() == unqualified.to_pylist() == [f"row{n:06d}" for n in range(6)]


def test_lake_select_star_has_the_schema_columns_without_partition_columns(lake, log_schema):
    result = lake.query("SELECT * FROM panther_logs.test_log LIMIT 1")
    assert result.column_names == log_schema.names
    assert not {"year", "month", "day", "hour"} & set(result.column_names)


def test_lake_nested_values_round_trip(lake, make_row):
    (row,) = lake.query("SELECT * EXCLUDE (request, p_extra) FROM panther_logs.test_log "
                        "WHERE p_row_id = 'row000001'").to_pylist()
    expected = make_row(1, START + timedelta(minutes=20))
    for key, value in row.items():
        assert value == expected[key], key
    assert row["actor"]["session"]["created"] == START + timedelta(minutes=15)
    assert row["p_event_time"].tzinfo is not None


def test_lake_struct_fields_and_lists_are_queryable(lake):
    result = lake.query("SELECT actor.session.mfa AS mfa, resources[1].arn AS arn, len(tags) AS n "
                        "FROM panther_logs.test_log WHERE actor.name = 'user2'").to_pylist()
    assert result == [{"mfa": True, "arn": "arn:aws:s3:::bucket2", "n": 2}]


def test_lake_json_columns_are_duckdb_json(lake):
    rows = lake.query("SELECT request->>'$.bucket' AS bucket, request->'$.nested'->>'depth' AS depth, "
                      "p_extra->'$.unknownKey'->>'x' AS extra, typeof(request) AS t "
                      "FROM panther_logs.test_log ORDER BY p_row_id LIMIT 2").to_pylist()
    assert rows == [{"bucket": "bucket0", "depth": "0", "extra": "1", "t": "JSON"},
                    {"bucket": "bucket1", "depth": "1", "extra": None, "t": "JSON"}]


def test_lake_malformed_json_text_reads_as_a_json_string(lake_root, log_schema, make_row):
    write(lake_root, "panther_logs", "test_log", log_schema, [make_row(1, request="{not json")])
    (row,) = Lake(lake_root, json_columns=JSON_COLUMNS).query(
        "SELECT request, request->>'$' AS text FROM panther_logs.test_log").to_pylist()
    assert row["text"] == "{not json"


def test_lake_filters_on_event_time(lake):
    result = lake.query("SELECT count(*) AS n FROM panther_logs.test_log "
                        "WHERE p_event_time >= ? AND p_event_time < ?",
                        [START + timedelta(hours=1), START + timedelta(hours=2)])
    assert result.to_pylist() == [{"n": 3}]


def test_lake_unknown_table_is_duckdb_error(lake):
    with pytest.raises(duckdb.CatalogException, match="does not exist"):
        lake.query("SELECT * FROM panther_logs.aws_cloudtrail")
    with pytest.raises(duckdb.CatalogException, match="does not exist"):
        lake.query("SELECT * FROM panther_logs.public.aws_cloudtrail")


def test_lake_connect_sees_tables_written_since_the_last_connect(lake, lake_root, log_schema, make_row):
    assert "panther_logs.later" not in lake.tables()
    write(lake_root, "panther_logs", "later", log_schema, [make_row(1)])
    with lake.connect() as con:
        assert con.execute("SELECT count(*) FROM panther_logs.later").fetchone() == (1,)


def test_lake_schema_evolution_across_files(lake_root):
    old = pa.schema([("name", pa.string()), ("info", pa.struct([("a", pa.int64())])),
                     ("p_event_time", pa.timestamp("us", tz="UTC"))])
    new = pa.schema([("name", pa.string()), ("info", pa.struct([("a", pa.int64()), ("b", pa.string())])),
                     ("added", pa.string()), ("p_event_time", pa.timestamp("us", tz="UTC"))])
    with LakeWriter(lake_root) as writer:  # both files land in the same hour partition
        writer.write("panther_logs", "evolving", old, [{"name": "old", "info": {"a": 1}, "p_event_time": START}])
        writer.write("panther_logs", "evolving", new, [{"name": "new", "info": {"a": 2, "b": "x"},
                                                        "added": "yes", "p_event_time": START}])
    rows = Lake(lake_root).query("SELECT name, info, added FROM panther_logs.evolving ORDER BY name").to_pylist()
    assert rows == [{"name": "new", "info": {"a": 2, "b": "x"}, "added": "yes"},
                    {"name": "old", "info": {"a": 1, "b": None}, "added": None}]


def test_lake_new_json_column_in_later_files_is_cast(lake_root, log_schema, make_row):
    base = pa.schema([f for f in log_schema if f.name != "request"])
    first = make_row(1)
    del first["request"]
    write(lake_root, "panther_logs", "test_log", base, [first])
    lake = Lake(lake_root, json_columns=JSON_COLUMNS)
    assert lake.query("SELECT count(*) AS n FROM test_log").to_pylist() == [{"n": 1}]
    write(lake_root, "panther_logs", "test_log", log_schema, [make_row(2)])
    rows = lake.query("SELECT request->>'$.bucket' AS b FROM test_log ORDER BY p_row_id").to_pylist()
    assert rows == [{"b": None}, {"b": "bucket2"}]


def test_lake_all_logs_unions_tables_over_standard_and_indicator_fields(lake_root):
    ts = pa.timestamp("us", tz="UTC")
    standard = [("p_log_type", pa.string()), ("p_row_id", pa.string()), ("p_event_time", ts),
                ("p_parse_time", ts), ("p_source_id", pa.string()), ("p_source_label", pa.string())]
    ips = pa.schema([("ip", pa.string()), *standard, ("p_any_ip_addresses", pa.list_(pa.string()))])
    users = pa.schema([("user", pa.string()), *standard, ("p_any_usernames", pa.list_(pa.string())),
                       ("p_any_ip_addresses", pa.list_(pa.string()))])
    common = {"p_event_time": START, "p_parse_time": START, "p_source_id": "s", "p_source_label": "S"}
    with LakeWriter(lake_root) as writer:
        writer.write("panther_logs", "net", ips, [{"ip": "1.2.3.4", "p_log_type": "Net", "p_row_id": "n1",
                                                   "p_any_ip_addresses": ["1.2.3.4"], **common}])
        writer.write("panther_logs", "auth", users, [{"user": "bob", "p_log_type": "Auth", "p_row_id": "a1",
                                                      "p_any_usernames": ["bob"],
                                                      "p_any_ip_addresses": ["5.6.7.8"], **common}])
        writer.write("onca_system", "classification_failures", ips, [{"p_row_id": "f1", **common}])
    lake = Lake(lake_root)
    result = lake.query("SELECT * FROM panther_views.all_logs ORDER BY p_row_id")
    assert result.column_names == [name for name, _ in standard] + ["p_any_ip_addresses", "p_any_usernames"]
    rows = result.to_pylist()
    assert [(r["p_log_type"], r["p_any_ip_addresses"], r["p_any_usernames"]) for r in rows] == [
        ("Auth", ["5.6.7.8"], ["bob"]), ("Net", ["1.2.3.4"], None)]
    hits = lake.query("SELECT p_log_type FROM panther_views.public.all_logs "
                      "WHERE list_contains(p_any_ip_addresses, '1.2.3.4')").to_pylist()
    assert hits == [{"p_log_type": "Net"}]


def test_lake_all_logs_does_not_exist_without_logs(lake_root, log_schema, make_row):
    write(lake_root, "panther_rule_matches", "test_log", log_schema, [make_row(1)])
    lake = Lake(lake_root)
    assert lake.query("SELECT count(*) AS n FROM panther_views.all_rule_matches").to_pylist() == [{"n": 1}]
    with pytest.raises(duckdb.CatalogException, match="does not exist"):
        lake.query("SELECT * FROM panther_views.all_logs")


def test_lake_columns_named_like_partitions_and_with_dots(lake_root):
    schema = pa.schema([("hour", pa.int64()), ("id.orig_h", pa.string()), ("@timestamp", pa.string()),
                        ("p_event_time", pa.timestamp("us", tz="UTC"))])
    write(lake_root, "panther_logs", "zeek_conn", schema,
          [{"hour": 99, "id.orig_h": "10.0.0.1", "@timestamp": "t", "p_event_time": START}])
    rows = Lake(lake_root, json_columns={"panther_logs.zeek_conn": ["@timestamp"]}).query(
        'SELECT hour, "id.orig_h", "@timestamp" FROM zeek_conn').to_pylist()
    assert rows == [{"hour": 99, "id.orig_h": "10.0.0.1", "@timestamp": '"t"'}]


def test_lake_ignores_temporary_and_stray_files(lake, lake_root):
    partition = next(lake_root.rglob("hour=07"))
    (partition / ".20240506T070000Z-dead.parquet.tmp").write_bytes(b"PAR1 half written")
    (partition / "notes.txt").write_text("not data")
    assert lake.query("SELECT count(*) AS n FROM test_log").to_pylist() == [{"n": 6}]


def test_lake_connection_reads_only_the_lake(lake, tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_text("a\n1\n")
    with pytest.raises(duckdb.Error, match="disabled by configuration|Permission"):
        lake.query(f"SELECT * FROM read_csv('{outside}')")
    unrestricted = Lake(lake.root, restrict_to_lake=False)
    assert unrestricted.query(f"SELECT a FROM read_csv('{outside}')").to_pylist() == [{"a": 1}]


def test_lake_query_takes_named_parameters(lake):
    result = lake.query("SELECT count(*) AS n FROM test_log WHERE eventName = $name", {"name": "Event1"})
    assert result.to_pylist() == [{"n": 2}]


def test_lake_classification_failures_table(lake_root):
    schema = pa.schema([("raw", pa.string()), ("p_event_time", pa.timestamp("us", tz="UTC"))])
    write(lake_root, "onca_system", "classification_failures", schema, [{"raw": "junk", "p_event_time": START}])
    rows = Lake(lake_root).query("SELECT raw FROM onca_system.public.classification_failures").to_pylist()
    assert rows == [{"raw": "junk"}]


def test_lake_connect_resolves_unqualified_names_in_the_chosen_database(lake_root):
    schema = pa.schema([("raw", pa.string()), ("p_event_time", pa.timestamp("us", tz="UTC"))])
    write(lake_root, "onca_system", "classification_failures", schema, [{"raw": "junk", "p_event_time": START}])
    with Lake(lake_root).connect(database="onca_system") as con:
        assert con.execute("SELECT raw FROM classification_failures").fetchall() == [("junk",)]


def test_lake_event_time_filter_skips_other_hours_row_groups(lake):
    # six rows over 07:00-08:40 make two hourly files; a filter on one hour reads one row group
    with lake.connect() as con:
        for view in ("panther_logs.test_log", "panther_views.all_logs"):
            plan = con.execute(f"EXPLAIN ANALYZE SELECT count(*) FROM {view} WHERE p_event_time >= ? "
                               "AND p_event_time < ?", [START, START + timedelta(hours=1)]).fetchall()[0][1]
            assert re.search(r"Row Groups Scanned:\s*1\s*/\s*2", plan), plan
