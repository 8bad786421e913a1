"""A lookup table's data: rows read from CSV (a header, then one row per line) or JSONL (one object per line).

Rows are typed by the table's schema when it names a log type of the registry: each row goes through that log
type's normalizer, as an event would, so numbers, booleans and timestamps get their declared types and values
the schema refuses (a CIDR that is not one) are reported. Without a schema, CSV values stay text and JSONL values
stay as JSON has them. A row that cannot be read is reported with its line number and left out; the rows around
it still load.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any

import orjson

from onca.schema.model import LogSchema

FORMATS = ("csv", "jsonl")
_EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}
_MEDIA_TYPES = {"text/csv": "csv", "application/csv": "csv", "application/x-ndjson": "jsonl",
                "application/jsonl": "jsonl", "application/x-jsonlines": "jsonl", "application/json": "jsonl",
                "application/ndjson": "jsonl"}


class DataError(ValueError):
    """The data as a whole cannot be read (not UTF-8, no header); nothing of it is used."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int  # 1-based line of the file where the row starts
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ReadRows:
    rows: list[dict[str, Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # where each row starts
    problems: list[RowProblem] = field(default_factory=list)


def data_format(*, name: str | None = None, media_type: str | None = None, data: bytes | str = b"") -> str:
    """``csv`` or ``jsonl``: from the file name's extension, else the media type, else the first character
    (``{`` starts JSON lines)."""
    if name:
        found = _EXTENSIONS.get(PurePath(name).suffix.lower())
        if found:
            return found
    if media_type:
        found = _MEDIA_TYPES.get(media_type.split(";")[0].strip().lower())
        if found:
            return found
    head = data[:4096].lstrip()
    return "jsonl" if head[:1] in (b"{", "{") else "csv"


def decode_text(data: bytes | str) -> str:
    """The data as text (UTF-8, a byte order mark dropped); DataError names the line that is not UTF-8."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(f"line {line}: the data is not UTF-8 text") from None


def _csv_rows(text: str, out: ReadRows) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    found: list[tuple[int, dict[str, Any]]] = []
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            out.problems.append(RowProblem(start, f"not valid CSV: {exc}"))
            if reader.line_num < start:
                break  # the reader cannot move past it
            continue
        if not values or (len(values) == 1 and not values[0].strip()):
            continue  # a blank line
        if header is None:
            header = [name.strip() for name in values]
            _check_header(header, start)
            continue
        if len(values) != len(header):
            out.problems.append(RowProblem(start, f"has {_count(len(values), 'value')}; the header names "
                                                  f"{_count(len(header), 'column')}"))
            continue
        # An empty cell is a missing value, so a typed column does not have to parse "" as a number.
        found.append((start, {name: value for name, value in zip(header, values, strict=True) if value != ""}))
    if header is None:
        raise DataError("the CSV data has no header line")
    return found


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _check_header(header: list[str], line: int) -> None:
    if any(not name for name in header):
        raise DataError(f"line {line}: the header has an empty column name")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise DataError(f"line {line}: the header names {', '.join(map(repr, repeated))} more than once")


def _jsonl_rows(text: str, out: ReadRows) -> list[tuple[int, dict[str, Any]]]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            out.problems.append(RowProblem(number, f"not valid JSON (column {exc.colno}: {exc.msg})"))
            continue
        if not isinstance(value, dict):
            out.problems.append(RowProblem(number, f"expected a JSON object, got a JSON {_json_kind(value)}"))
            continue
        found.append((number, value))
    return found


def _json_kind(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


def read_rows(data: bytes | str, fmt: str, *, schema: LogSchema | None = None) -> ReadRows:
    """Every row of ``data`` in ``fmt`` (``csv`` or ``jsonl``); DataError when none can be read at all."""
    if fmt not in FORMATS:
        raise DataError(f"unknown data format {fmt!r}; use csv or jsonl")
    text = decode_text(data)
    out = ReadRows()
    raw = _csv_rows(text, out) if fmt == "csv" else _jsonl_rows(text, out)
    typed = _typer(schema)
    for line, row in raw:
        if typed is not None:
            try:
                row = typed(row)
            except ValueError as exc:  # the normalizer's RecordError names the field
                out.problems.append(RowProblem(line, str(exc)))
                continue
        out.rows.append(row)
        out.lines.append(line)
    out.problems.sort(key=lambda p: p.line)
    return out


def _typer(schema: LogSchema | None) -> Any:
    """A function typing one row by ``schema``'s fields, or None without a schema. The event fields the
    normalizer adds (``p_*``), and columns the schema does not declare, are not part of the row."""
    if schema is None:
        return None
    from onca.ingest.logtype import compile_log_type

    normalizer = compile_log_type(schema).normalizer
    parse_time = datetime.now(UTC)

    def typed(row: dict[str, Any]) -> dict[str, Any]:
        event = normalizer.normalize(row, parse_time=parse_time, row_id="")
        return {key: value for key, value in event.items() if not key.startswith("p_")}

    return typed
