from __future__ import annotations

import os
from datetime import UTC, datetime

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from onca.lake import LakeWriter
from onca.lake.catalog import ColumnCache, discover

TS = pa.timestamp("us", tz="UTC")


def write(root, table, schema, row):
    with LakeWriter(root) as writer:
        writer.write("panther_logs", table, schema, [{"p_event_time": datetime(2024, 1, 1, tzinfo=UTC), **row}])


def test_discover_finds_tables_with_data_only(lake_root):
    schema = pa.schema([("a", pa.string()), ("p_event_time", TS)])
    write(lake_root, "b_table", schema, {"a": "x"})
    write(lake_root, "a_table", schema, {"a": "x"})
    (lake_root / "panther_logs" / "no_files" / "year=2024").mkdir(parents=True)
    (lake_root / "panther_logs" / "Not_A_Table").mkdir()
    (lake_root / ".trash" / "old").mkdir(parents=True)
    assert [t.qualified for t in discover(lake_root)] == ["panther_logs.a_table", "panther_logs.b_table"]


def test_discover_missing_root_is_empty(tmp_path):
    assert discover(tmp_path / "nowhere") == []


def test_column_cache_reads_new_files_and_forgets_removed_ones(lake_root):
    write(lake_root, "t", pa.schema([("a", pa.string()), ("p_event_time", TS)]), {"a": "x"})
    cache, con = ColumnCache(), duckdb.connect()
    (table,) = discover(lake_root)
    assert cache.columns(con, table) == ["a", "p_event_time"]

    write(lake_root, "t", pa.schema([("b", pa.int64()), ("p_event_time", TS)]), {"b": 1})
    assert cache.columns(con, table) == ["a", "p_event_time", "b"]

    (first,) = [p for p in table.files() if "a" in pq.read_schema(p).names]
    os.remove(first)
    assert cache.columns(con, table) == ["b", "p_event_time"]
