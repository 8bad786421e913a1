"""A lookup table's rows in the lake, as ``panther_lookups.<name>``, so SQL can join events with them.

A table typed by a schema gets that schema's columns (objects as structs, ``json`` fields as JSON). Without a
schema, a column whose values are all text, all booleans, all integers or all numbers gets that type; any other
column holds JSON. The file is replaced whole when the rows change.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from onca.enrich.shared_file import row_json
from onca.enrich.table import LookupTable, table_schema
from onca.lake import LOOKUPS, drop_table, replace_table
from onca.schema.model import LogSchema
from onca.schema.registry import Registry

log = logging.getLogger(__name__)
JSON = pa.json_(pa.string())


def _typed_columns(schema: LogSchema, rows: Sequence[dict[str, Any]]) -> pa.Table:
    from onca.ingest.columns import arrow_type, row_converter
    from onca.schema.names import column_name

    fields = [pa.field(column_name(f.name), JSON if f.type == "json" else arrow_type(f)) for f in schema.fields]
    convert = row_converter(schema)  # json values to text, nested ones included
    return pa.Table.from_pylist([convert(row) for row in rows], schema=pa.schema(fields))


def _column_type(values: list[Any]) -> pa.DataType:
    present = [v for v in values if v is not None]
    kinds = {type(v) for v in present}
    if kinds <= {str}:
        return pa.string()
    if kinds <= {bool}:
        return pa.bool_()
    if kinds <= {int} and all(-(2**63) <= v < 2**63 for v in present):
        return pa.int64()
    if kinds <= {int, float} and all(isinstance(v, float) or -(2**53) <= v <= 2**53 for v in present):
        return pa.float64()
    return JSON


def _inferred_columns(rows: Sequence[dict[str, Any]]) -> pa.Table:
    names = list(dict.fromkeys(name for row in rows for name in row))
    columns = {}
    for name in names:
        values = [row.get(name) for row in rows]
        kind = _column_type(values)
        if kind == JSON:
            text = [None if v is None else row_json(v).decode() for v in values]
            columns[name] = pa.ExtensionArray.from_storage(JSON, pa.array(text, type=pa.string()))
        else:
            columns[name] = pa.array(values, type=kind)
    return pa.table(columns)


def lake_rows(table: LookupTable, registry: Registry | None = None) -> pa.Table:
    """The table's rows as an Arrow table, typed by its schema when the registry has it."""
    schema = table_schema(table.definition, registry)
    if schema is not None:
        try:
            return _typed_columns(schema, table.rows)
        except (pa.ArrowException, TypeError, ValueError) as exc:
            log.warning("lookup table %s: rows do not fit the columns of %s (%s); stored with inferred columns",
                        table.name, schema.name, exc)
    return _inferred_columns(table.rows)


def fingerprint(data: pa.Table) -> str:
    """A digest of the columns and values, to tell whether the lake already holds exactly these rows."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, data.schema) as writer:
        writer.write_table(data)
    return hashlib.sha256(sink.getvalue()).hexdigest()


def write_lake_copy(root: Path, table: LookupTable, registry: Registry | None = None) -> bool:
    """Make ``panther_lookups.<name>`` hold the table's rows (no table without rows); True when written."""
    name = table.definition.lake_table
    if not table.rows:
        drop_table(root, LOOKUPS, name)
        return False
    data = lake_rows(table, registry)
    return replace_table(root, LOOKUPS, name, data, fingerprint=fingerprint(data))


def drop_lake_copy(root: Path, table: LookupTable) -> None:
    drop_table(root, LOOKUPS, table.definition.lake_table)
