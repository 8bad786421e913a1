from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from onca.lake import InvalidName, LakeWriter, RowError
from onca.lake import files as lake_files

START = datetime(2024, 5, 6, 7, 0, tzinfo=UTC)


def data_files(root):
    return sorted(root.rglob("*.parquet"))


def read_all(root) -> list[dict]:
    rows = [r for f in data_files(root) for r in pq.read_table(f).to_pylist()]
    return sorted(rows, key=lambda r: r["p_row_id"])


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_writer_round_trip_keeps_nested_values(lake_root, log_schema, make_row):
    rows = [make_row(n, START + timedelta(minutes=n)) for n in range(5)]
    rows[1]["actor"] = None
    rows[2]["resources"] = []
    with LakeWriter(lake_root) as writer:
        writer.write("panther_logs", "test_log", log_schema, rows)

    (path,) = data_files(lake_root)
    assert pq.read_schema(path).equals(log_schema)
    back = read_all(lake_root)
    for written, read in zip(rows, back, strict=True):
        expected = {name: written.get(name) for name in log_schema.names}
        assert read == expected
    assert back[0]["actor"]["session"]["created"] == START - timedelta(minutes=5)
    assert back[0]["request"] == '{"bucket": "bucket0", "nested": {"depth": 0}}'


def test_writer_file_is_zstd_parquet_with_event_time_statistics(lake_root, log_schema, make_row):
    with LakeWriter(lake_root) as writer:
        writer.write("panther_logs", "test_log", log_schema, [make_row(n) for n in range(3)])
    metadata = pq.read_metadata(data_files(lake_root)[0])
    column = metadata.row_group(0).column(log_schema.get_field_index("p_event_time"))
    assert column.compression == "ZSTD"
    assert column.statistics.has_min_max


def test_writer_missing_keys_become_null(lake_root, log_schema):
    row = {"eventName": "Sparse", "p_event_time": START, "p_row_id": "r1"}
    with LakeWriter(lake_root) as writer:
        writer.write("panther_logs", "test_log", log_schema, [row])
    (back,) = read_all(lake_root)
    assert back["eventName"] == "Sparse"
    assert back["actor"] is None and back["tags"] is None and back["p_source_id"] is None


def test_writer_rejects_keys_not_in_schema(lake_root, log_schema, make_row):
    writer = LakeWriter(lake_root)
    with pytest.raises(RowError, match=r"panther_logs\.test_log: .*not columns of the schema: bogus, other"):
        writer.write("panther_logs", "test_log", log_schema, [make_row(1), make_row(2, bogus=1, other=2)])
    assert writer.flush() == []


def test_writer_names_the_table_when_a_value_has_the_wrong_type(lake_root, log_schema, make_row):
    writer = LakeWriter(lake_root)
    with pytest.raises(RowError, match=r"panther_logs\.test_log: rows do not fit the schema"):
        writer.write("panther_logs", "test_log", log_schema, [make_row(1, count="many")])


def test_writer_partitions_rows_by_event_hour(lake_root, log_schema, make_row):
    rows = [make_row(n, START + timedelta(minutes=25 * n)) for n in range(7)]  # 07:00 .. 09:30
    with LakeWriter(lake_root) as writer:
        writer.write("panther_logs", "test_log", log_schema, rows)

    partitions = sorted(str(p.parent.relative_to(lake_root)) for p in data_files(lake_root))
    assert partitions == [f"panther_logs/test_log/year=2024/month=05/day=06/hour={h:02d}" for h in (7, 8, 9)]
    for path in data_files(lake_root):
        hour = int(path.parent.name.removeprefix("hour="))
        assert {t.hour for t in pq.read_table(path).column("p_event_time").to_pylist()} == {hour}
    assert len(read_all(lake_root)) == 7


def test_writer_partitions_rows_whose_hours_interleave(lake_root, log_schema, make_row):
    hours = [7, 9, 8, 7, 9, 7]
    rows = [make_row(n, START + timedelta(hours=h - 7, minutes=n)) for n, h in enumerate(hours)]
    with LakeWriter(lake_root) as writer:
        writer.write("panther_logs", "test_log", log_schema, rows)
    by_hour = {int(p.parent.name.removeprefix("hour=")): sorted(pq.read_table(p).column("count").to_pylist())
               for p in data_files(lake_root)}
    assert by_hour == {7: [0, 3, 5], 8: [2], 9: [1, 4]}


def test_writer_file_names_carry_write_time_and_uuid(lake_root, log_schema, make_row):
    with LakeWriter(lake_root) as writer:
        writer.write("panther_logs", "test_log", log_schema, [make_row(1)])
    (path,) = data_files(lake_root)
    stamp, _, rest = path.name.partition("-")
    assert datetime.strptime(stamp, "%Y%m%dT%H%M%SZ")
    assert len(rest.removesuffix(".parquet")) == 36


def test_writer_rows_without_event_time_go_by_parse_time(lake_root, log_schema, make_row):
    row = make_row(1, p_event_time=None, p_parse_time=START + timedelta(hours=5))
    with LakeWriter(lake_root) as writer:
        writer.write("panther_logs", "test_log", log_schema, [row])
    (path,) = data_files(lake_root)
    assert path.parent.name == "hour=12"
    assert pq.read_table(path).column("p_event_time").to_pylist() == [None]


def test_writer_buffers_until_the_row_limit(lake_root, log_schema, make_row):
    writer = LakeWriter(lake_root, max_buffer_rows=10)
    writer.write("panther_logs", "test_log", log_schema, [make_row(n) for n in range(6)])
    assert data_files(lake_root) == []
    assert writer.stats().buffered_rows == 6
    writer.write("panther_logs", "test_log", log_schema, [make_row(n) for n in range(6, 12)])
    (path,) = data_files(lake_root)
    assert pq.read_metadata(path).num_rows == 12
    assert writer.stats().buffered_rows == 0
    assert writer.stats().rows_written == 12


def test_writer_flushes_a_partition_past_the_byte_limit(lake_root, log_schema, make_row):
    writer = LakeWriter(lake_root, max_buffer_bytes=2_000)
    writer.write("panther_logs", "test_log", log_schema, [make_row(1)])
    assert data_files(lake_root) == []
    writer.write("panther_logs", "test_log", log_schema, [make_row(n) for n in range(2, 40)])
    assert len(data_files(lake_root)) == 1
    assert writer.stats().buffered_partitions == 0


def test_writer_flushes_the_largest_partition_past_the_total_byte_limit(lake_root, log_schema, make_row):
    writer = LakeWriter(lake_root, max_total_bytes=20_000)
    writer.write("panther_logs", "small", log_schema, [make_row(1)])
    writer.write("panther_logs", "large", log_schema, [make_row(n) for n in range(100)])
    assert [p.relative_to(lake_root).parts[1] for p in data_files(lake_root)] == ["large"]
    assert writer.stats().buffered_partitions == 1


def test_writer_flush_due_writes_only_old_partitions(lake_root, log_schema, make_row):
    clock = Clock()
    writer = LakeWriter(lake_root, max_buffer_seconds=60, clock=clock)
    writer.write("panther_logs", "test_log", log_schema, [make_row(1, START)])
    clock.now += 30
    writer.write("panther_logs", "test_log", log_schema, [make_row(2, START + timedelta(hours=1))])
    writer.flush_due()
    assert data_files(lake_root) == []

    clock.now += 31  # the first partition is now 61 s old, the second 31 s
    writer.flush_due()
    (path,) = data_files(lake_root)
    assert path.parent.name == "hour=07"
    assert writer.stats().buffered_partitions == 1


def test_writer_write_also_flushes_old_partitions(lake_root, log_schema, make_row):
    clock = Clock()
    writer = LakeWriter(lake_root, max_buffer_seconds=60, clock=clock)
    writer.write("panther_logs", "quiet", log_schema, [make_row(1)])
    clock.now += 120
    writer.write("panther_logs", "busy", log_schema, [make_row(2)])
    assert [p.relative_to(lake_root).parts[1] for p in data_files(lake_root)] == ["quiet"]


def test_writer_flush_returns_every_file_and_empties_buffers(lake_root, log_schema, make_row):
    writer = LakeWriter(lake_root)
    writer.write("panther_logs", "a", log_schema, [make_row(1), make_row(2, START + timedelta(hours=1))])
    writer.write("panther_rule_matches", "b", log_schema, [make_row(3)])
    written = writer.flush()
    assert sorted(written) == data_files(lake_root)
    assert len(written) == 3
    assert writer.flush() == []


def test_writer_schema_change_starts_a_new_file(lake_root, log_schema, make_row):
    wider = log_schema.append(pa.field("added", pa.string()))
    with LakeWriter(lake_root) as writer:
        writer.write("panther_logs", "test_log", log_schema, [make_row(1)])
        writer.write("panther_logs", "test_log", wider, [make_row(2, added="new")])
    schemas = {tuple(pq.read_schema(p).names) for p in data_files(lake_root)}
    assert schemas == {tuple(log_schema.names), tuple(wider.names)}


def test_writer_needs_an_event_time_column(lake_root):
    with pytest.raises(ValueError, match="p_event_time"):
        LakeWriter(lake_root).write("panther_logs", "t", pa.schema([("x", pa.string())]), [{"x": "a"}])


@pytest.mark.parametrize(("database", "table"), [("panther_logs", "../escape"), ("Panther_Logs", "t"),
                                                 ("panther_logs", ".hidden"), ("panther_logs", "a/b")])
def test_writer_rejects_unsafe_names(lake_root, log_schema, make_row, database, table):
    with pytest.raises(InvalidName, match="invalid lake"):
        LakeWriter(lake_root).write(database, table, log_schema, [make_row(1)])


def test_writer_closed_refuses_writes(lake_root, log_schema, make_row):
    writer = LakeWriter(lake_root)
    writer.write("panther_logs", "test_log", log_schema, [make_row(1)])
    writer.close()
    assert len(data_files(lake_root)) == 1
    with pytest.raises(RuntimeError, match="closed"):
        writer.write("panther_logs", "test_log", log_schema, [make_row(2)])


def test_writer_no_parquet_name_is_visible_before_the_rename(lake_root, log_schema, make_row, monkeypatch):
    seen = []
    real_replace = os.replace

    def checking_replace(src, dst):
        src, dst = os.fspath(src), os.fspath(dst)
        seen.append((os.path.basename(src), data_files(lake_root), os.path.getsize(src)))
        real_replace(src, dst)

    monkeypatch.setattr(lake_files.os, "replace", checking_replace)
    with LakeWriter(lake_root) as writer:
        writer.write("panther_logs", "test_log", log_schema, [make_row(1)])

    ((temp, visible, size),) = seen
    assert temp.startswith(".") and temp.endswith(".parquet.tmp")
    assert visible == []
    (path,) = data_files(lake_root)
    assert path.stat().st_size == size
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_writer_crash_mid_write_leaves_no_partial_file(lake_root, log_schema, make_row, monkeypatch):
    real_write_table = lake_files.pq.write_table

    def crashing_write_table(table, where, **kwargs):
        with open(where, "wb") as f:
            f.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(lake_files.pq, "write_table", crashing_write_table)
    writer = LakeWriter(lake_root)
    writer.write("panther_logs", "test_log", log_schema, [make_row(1), make_row(2)])
    with pytest.raises(OSError, match="disk full"):
        writer.flush()
    assert data_files(lake_root) == []
    assert [p for p in lake_root.rglob("*") if p.is_file()] == []  # the temporary file is gone too
    assert writer.stats().buffered_rows == 2  # nothing accepted was dropped

    monkeypatch.setattr(lake_files.pq, "write_table", real_write_table)
    (path,) = writer.flush()
    assert pq.read_metadata(path).num_rows == 2


def test_writer_failed_partition_does_not_block_the_others(lake_root, log_schema, make_row, monkeypatch):
    real_write_table = lake_files.pq.write_table

    def failing_for_a(table, where, **kwargs):
        if "/a/" in str(where):
            raise OSError("no space")
        real_write_table(table, where, **kwargs)

    monkeypatch.setattr(lake_files.pq, "write_table", failing_for_a)
    writer = LakeWriter(lake_root)
    writer.write("panther_logs", "a", log_schema, [make_row(1)])
    writer.write("panther_logs", "b", log_schema, [make_row(2)])
    with pytest.raises(OSError, match="no space"):
        writer.flush()
    assert [p.relative_to(lake_root).parts[1] for p in data_files(lake_root)] == ["b"]
    assert writer.stats().buffered_partitions == 1


@pytest.fixture
def failing_disk(monkeypatch):
    """Every Parquet write fails until `failing_disk.heal()`."""
    real_write_table = lake_files.pq.write_table

    class Disk:
        def heal(self):
            monkeypatch.setattr(lake_files.pq, "write_table", real_write_table)

    def no_space(table, where, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(lake_files.pq, "write_table", no_space)
    return Disk()


def test_writer_size_flush_failure_keeps_rows_and_is_reported(lake_root, log_schema, make_row, failing_disk):
    writer = LakeWriter(lake_root, max_buffer_rows=2)
    writer.write("panther_logs", "test_log", log_schema, [make_row(1), make_row(2)])  # accepted, not raised
    stats = writer.stats()
    assert (stats.buffered_rows, stats.flush_failures) == (2, 1)
    assert "No space left on device" in stats.last_error

    failing_disk.heal()
    (path,) = writer.flush()
    assert pq.read_metadata(path).num_rows == 2


def test_writer_refuses_rows_when_writes_keep_failing(lake_root, log_schema, make_row, failing_disk):
    writer = LakeWriter(lake_root, max_total_bytes=5_000)
    for n in range(100):
        try:
            writer.write("panther_logs", "test_log", log_schema, [make_row(n)])
        except OSError:
            break
    else:
        pytest.fail("the writer kept buffering while every write failed")
    accepted = writer.stats().buffered_rows
    assert 0 < accepted == n  # the refused batch was not taken in
    assert writer.stats().buffered_bytes <= 2 * 5_000

    failing_disk.heal()
    writer.close()
    assert sorted(r["count"] for r in read_all(lake_root)) == list(range(accepted))


def test_writer_schema_change_that_cannot_flush_takes_nothing(lake_root, log_schema, make_row, failing_disk):
    writer = LakeWriter(lake_root)
    writer.write("panther_logs", "test_log", log_schema, [make_row(1)])
    wider = log_schema.append(pa.field("added", pa.string()))
    with pytest.raises(OSError, match="No space"):
        writer.write("panther_logs", "test_log", wider, [make_row(2, added="x")])
    assert writer.stats().buffered_rows == 1
