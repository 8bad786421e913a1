"""The sink that stores events and classification failures in the lake."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from onca.ingest.columns import TIMESTAMP, arrow_schema, row_converter
from onca.lake import LakeWriter, table_name
from onca.schema.registry import Registry

FAILURES_DATABASE = "onca_system"
FAILURES_TABLE = "classification_failures"
FAILURES_SCHEMA = pa.schema([
    ("p_row_id", pa.string()),
    ("p_source_id", pa.string()),
    ("p_source_label", pa.string()),
    ("p_parse_time", TIMESTAMP),
    ("p_event_time", TIMESTAMP),
    ("stream", pa.string()),
    ("offset", pa.int64()),
    ("raw", pa.string()),
    ("raw_truncated", pa.bool_()),
    ("candidates", pa.list_(pa.string())),
    ("reasons", pa.list_(pa.string())),
])


class LakeSink:
    def __init__(self, registry: Registry, writer: LakeWriter):
        self.registry = registry
        self.writer = writer
        self._tables: dict[str, tuple[str, pa.Schema, Any]] = {}

    def _table(self, log_type: str) -> tuple[str, pa.Schema, Any]:
        entry = self._tables.get(log_type)
        if entry is None:
            schema = self.registry.get(log_type)
            entry = (table_name(log_type), arrow_schema(schema), row_converter(schema))
            self._tables[log_type] = entry
        return entry

    def forget(self, log_type: str) -> None:
        """The log type's schema changed: build its table shape again on next use."""
        self._tables.pop(log_type, None)

    def write_events(self, log_type: str, events: list[dict[str, Any]]) -> None:
        table, schema, convert = self._table(log_type)
        self.writer.write("panther_logs", table, schema, [convert(e) for e in events])

    def write_failures(self, failures: list[dict[str, Any]]) -> None:
        self.writer.write(FAILURES_DATABASE, FAILURES_TABLE, FAILURES_SCHEMA, failures)

    def flush(self) -> None:
        self.writer.flush_due()
