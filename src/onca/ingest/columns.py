"""How a log type's events become lake rows: the Arrow schema of its table and the row converter.

Events keep `json` values as Python objects (detections read them); rows store them as JSON text, which the
query engine exposes as JSON. The converter only visits the paths that hold JSON, so most fields pass untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pyarrow as pa

from onca.ingest import indicators as ind
from onca.schema.model import Field, LogSchema
from onca.schema.names import column_name

TIMESTAMP = pa.timestamp("us", tz="UTC")
_SCALARS = {
    "string": pa.string(), "int": pa.int32(), "smallint": pa.int16(), "bigint": pa.int64(),
    "float": pa.float64(), "boolean": pa.bool_(), "timestamp": TIMESTAMP, "json": pa.string(),
}
STANDARD_COLUMNS = (
    ("p_log_type", pa.string()),
    ("p_row_id", pa.string()),
    ("p_event_time", TIMESTAMP),
    ("p_parse_time", TIMESTAMP),
    ("p_source_id", pa.string()),
    ("p_source_label", pa.string()),
)
EXTRA_COLUMN = "p_extra"
ENRICHMENT_COLUMN = "p_enrichment"  # lookup-table matches (onca.enrich), kept as JSON


def arrow_type(f: Field) -> pa.DataType:
    if f.type == "object":
        return pa.struct([pa.field(column_name(c.name), arrow_type(c)) for c in f.fields])
    if f.type == "array":
        return pa.list_(arrow_type(f.element) if f.element else pa.string())
    return _SCALARS[f.type]


def arrow_schema(schema: LogSchema) -> pa.Schema:
    columns = [pa.field(column_name(f.name), arrow_type(f)) for f in schema.fields]
    columns += [pa.field(name, t) for name, t in STANDARD_COLUMNS]
    indicator_columns = ind.columns_for(schema.indicator_names())
    columns += [pa.field(name, pa.list_(pa.string())) for name in indicator_columns]
    columns.append(pa.field(EXTRA_COLUMN, pa.string()))
    columns.append(pa.field(ENRICHMENT_COLUMN, pa.string()))
    return pa.schema(columns)


def json_columns(schema: LogSchema) -> list[str]:
    """Top-level columns stored as JSON text."""
    return [column_name(f.name) for f in schema.fields if f.type == "json"] + [EXTRA_COLUMN, ENRICHMENT_COLUMN]


def _dump(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def _holds_json(f: Field) -> bool:
    if f.type == "json":
        return True
    if f.type == "object":
        return any(_holds_json(c) for c in f.fields)
    if f.type == "array" and f.element is not None:
        return _holds_json(f.element)
    return False


def _value_converter(f: Field) -> Callable[[Any], Any]:
    if f.type == "json":
        return _dump
    if f.type == "array":
        convert_element = _value_converter(f.element)  # type: ignore[arg-type]
        return lambda items: [convert_element(v) for v in items]
    converters = tuple((column_name(c.name), _value_converter(c)) for c in f.fields if _holds_json(c))

    def convert_object(obj: dict[str, Any]) -> dict[str, Any]:
        out = dict(obj)
        for name, convert in converters:
            value = out.get(name)
            if value is not None:
                out[name] = convert(value)
        return out

    return convert_object


def row_converter(schema: LogSchema) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Event -> lake row (a shallow copy with JSON paths serialized)."""
    converters = tuple((column_name(f.name), _value_converter(f)) for f in schema.fields if _holds_json(f))

    def convert(event: dict[str, Any]) -> dict[str, Any]:
        row = dict(event)
        for name, conv in converters:
            value = row.get(name)
            if value is not None:
                row[name] = conv(value)
        for name in (EXTRA_COLUMN, ENRICHMENT_COLUMN):
            value = row.get(name)
            if value is not None:
                row[name] = _dump(value)
        return row

    return convert
