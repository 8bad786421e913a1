"""The lake writer: rows in, Parquet files out, one buffer per (database, table, hour).

Rows are converted to Arrow as they arrive (compact, and the size of a buffer is then exact), split by the hour
of `p_event_time`, and kept until their partition passes a row or byte limit, grows old, or the writer is
flushed. A buffer whose file could not be written stays buffered, so nothing accepted is dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import pyarrow as pa
import pyarrow.compute as pc

from onca.lake.convert import RowConverter, RowError
from onca.lake.files import write_parquet
from onca.lake.layout import check_name, partition_dir

log = logging.getLogger(__name__)

EVENT_TIME = "p_event_time"
PARSE_TIME = "p_parse_time"

_Key = tuple[str, str, datetime]  # database, table, start of the hour


@dataclass(slots=True)
class _Buffer:
    schema: pa.Schema
    started: float
    tables: list[pa.Table]
    rows: int = 0
    nbytes: int = 0


@dataclass(frozen=True, slots=True)
class WriterStats:
    buffered_partitions: int
    buffered_rows: int
    buffered_bytes: int
    rows_written: int
    files_written: int
    flush_failures: int
    last_error: str | None


def _hour_partitions(table: pa.Table) -> Iterator[tuple[datetime, pa.Table]]:
    """Split rows by the UTC hour of p_event_time; rows without one go by p_parse_time, then by now.

    Rows usually arrive in time order, so an hour is a run of rows and its part is a zero-copy slice; only
    batches whose hours interleave are copied out by filtering.
    """
    when = table.column(EVENT_TIME)
    if when.null_count:
        fallbacks = [table.column(PARSE_TIME).cast(when.type)] if _is_timestamp(table.schema, PARSE_TIME) else []
        when = pc.coalesce(when, *fallbacks, pa.scalar(datetime.now(UTC), type=when.type))
    hours = pc.floor_temporal(when, unit="hour").combine_chunks()
    runs = pc.run_end_encode(hours)
    starts = runs.values.to_pylist()
    if len(starts) == 1:
        yield starts[0], table
    elif starts == sorted(set(starts)):
        offset = 0
        for hour, end in zip(starts, runs.run_ends.to_pylist(), strict=True):
            yield hour, table.slice(offset, end - offset)
            offset = end
    else:
        for hour in sorted(set(starts)):
            yield hour, table.filter(pc.equal(hours, pa.scalar(hour, type=hours.type)))


def _is_timestamp(schema: pa.Schema, name: str) -> bool:
    return schema.get_field_index(name) >= 0 and pa.types.is_timestamp(schema.field(name).type)


def _check_schema(schema: pa.Schema) -> None:
    if not _is_timestamp(schema, EVENT_TIME):
        raise ValueError(f"a lake table needs a timestamp column {EVENT_TIME!r} to partition by")


class LakeWriter:
    """Buffers rows per partition and writes them as Hive-partitioned Parquet files under `root`."""

    def __init__(self, root: Path, *, max_buffer_rows: int = 100_000, max_buffer_bytes: int = 64 << 20,
                 max_buffer_seconds: float = 60.0, max_total_bytes: int = 128 << 20,
                 clock: Callable[[], float] = time.monotonic):
        self.root = Path(root)
        self.max_buffer_rows = max_buffer_rows
        self.max_buffer_bytes = max_buffer_bytes
        self.max_buffer_seconds = max_buffer_seconds
        self.max_total_bytes = max_total_bytes
        self._clock = clock
        self._lock = threading.RLock()
        self._buffers: dict[_Key, _Buffer] = {}
        self._converters: dict[tuple[str, str], RowConverter] = {}
        self._total_bytes = 0
        self._rows_written = 0
        self._files_written = 0
        self._flush_failures = 0
        self._last_error: str | None = None
        self._closed = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _converter(self, database: str, table: str, schema: pa.Schema) -> RowConverter:
        converter = self._converters.get((database, table))
        if converter is None or (converter.schema is not schema and not converter.schema.equals(schema)):
            check_name("database", database)
            check_name("table", table)
            _check_schema(schema)
            converter = self._converters[(database, table)] = RowConverter(schema)
        return converter

    def write(self, database: str, table: str, schema: pa.Schema, rows: list[dict[str, Any]]) -> None:
        """Accept rows for `database.table`; each row's p_event_time picks its hour partition.

        Either every row is accepted or write raises and none is: rows that do not fit the schema raise
        RowError, and when earlier partitions cannot be written and twice max_total_bytes is buffered, the
        file system's error is raised. Other write failures leave the partition buffered for the next flush.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("the lake writer is closed")
            converter = self._converter(database, table, schema)
            if not rows:
                return
            try:
                converted = converter(rows)
            except RowError as exc:
                raise RowError(f"{database}.{table}: {exc}") from exc
            parts = [((database, table, hour), part) for hour, part in _hour_partitions(converted)]
            for key, _ in parts:
                buffer = self._buffers.get(key)
                if buffer is not None and buffer.schema is not converter.schema \
                        and not buffer.schema.equals(converter.schema):
                    self._flush_keys([key])  # one schema per file; readers union files by column name
            if self._total_bytes + converted.nbytes > 2 * self.max_total_bytes:
                self._flush_keys(list(self._buffers))  # writes keep failing: refuse rather than grow
            for key, part in parts:
                self._append(key, converter.schema, part)
            self._flush_what_is_due([key for key, _ in parts])

    def _flush_what_is_due(self, touched: list[_Key]) -> None:
        """After rows were accepted: write full partitions, the largest ones while the writer holds too much,
        and old ones. Failures are reported, not raised; those rows are already accepted."""
        self._flush_quietly([k for k in touched if self._is_full(k)])
        while self._total_bytes > self.max_total_bytes and self._buffers:
            if not self._flush_quietly([max(self._buffers, key=lambda k: self._buffers[k].nbytes)]):
                break
        self._flush_quietly(self._due(self.max_buffer_seconds))

    def _append(self, key: _Key, schema: pa.Schema, part: pa.Table) -> None:
        buffer = self._buffers.get(key)
        if buffer is None:
            buffer = self._buffers[key] = _Buffer(schema, self._clock(), [])
        size = part.nbytes
        buffer.tables.append(part)
        buffer.rows += part.num_rows
        buffer.nbytes += size
        self._total_bytes += size

    def _is_full(self, key: _Key) -> bool:
        buffer = self._buffers.get(key)
        return buffer is not None and (buffer.rows >= self.max_buffer_rows
                                       or buffer.nbytes >= self.max_buffer_bytes)

    def _due(self, seconds: float) -> list[_Key]:
        now = self._clock()
        return [k for k, b in self._buffers.items() if now - b.started >= seconds]

    def _flush_quietly(self, keys: list[_Key]) -> bool:
        """Flush `keys`; a failure is counted and logged, and the partitions stay buffered for a retry."""
        try:
            self._flush_keys(keys)
        except (OSError, pa.ArrowException) as exc:
            self._flush_failures += 1
            self._last_error = f"{type(exc).__name__}: {exc}"
            log.warning("lake write failed; the rows stay buffered and are retried: %s", self._last_error)
            return False
        return True

    def _flush_key(self, key: _Key) -> Path:
        buffer = self._buffers[key]
        database, table, hour = key
        path = write_parquet(pa.concat_tables(buffer.tables), partition_dir(self.root, database, table, hour))
        del self._buffers[key]
        self._total_bytes -= buffer.nbytes
        self._rows_written += buffer.rows
        self._files_written += 1
        return path

    def _flush_keys(self, keys: list[_Key]) -> list[Path]:
        """Write every partition in `keys`; one that fails stays buffered and its error is raised at the end."""
        written: list[Path] = []
        failure: Exception | None = None
        for key in keys:
            try:
                written.append(self._flush_key(key))
            except (OSError, pa.ArrowException) as exc:
                failure = failure or exc
        if failure is not None:
            raise failure
        return written

    def flush_due(self) -> None:
        """Write the partitions buffered for at least max_buffer_seconds; failures raise, rows stay buffered."""
        with self._lock:
            self._flush_keys(self._due(self.max_buffer_seconds))

    def flush(self) -> list[Path]:
        """Write every buffered partition; returns the files written."""
        with self._lock:
            return self._flush_keys(list(self._buffers))

    def close(self) -> None:
        """Flush, then refuse further writes."""
        with self._lock:
            if not self._closed:
                self.flush()
                self._closed = True
                self._converters.clear()

    def stats(self) -> WriterStats:
        with self._lock:
            return WriterStats(
                buffered_partitions=len(self._buffers),
                buffered_rows=sum(b.rows for b in self._buffers.values()),
                buffered_bytes=self._total_bytes,
                rows_written=self._rows_written,
                files_written=self._files_written,
                flush_failures=self._flush_failures,
                last_error=self._last_error,
            )
