"""A loaded lookup table: its definition with its rows, indexed by primary key, and what was wrong in the data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from onca.enrich.definition import LookupTableDefinition
from onca.enrich.index import CidrIndex, ExactIndex, index_rows
from onca.enrich.rows import DataError, RowProblem, data_format, read_rows
from onca.schema.model import LogSchema
from onca.schema.names import column_name
from onca.schema.registry import Registry


@dataclass(frozen=True)
class LookupTable:
    definition: LookupTableDefinition
    rows: tuple[dict[str, Any], ...] = ()
    index: ExactIndex | CidrIndex = field(default_factory=lambda: ExactIndex({}))
    problems: tuple[RowProblem, ...] = ()
    data_source: str = ""  # the file the rows came from, or "upload"
    loaded_at: datetime | None = None  # when the rows were read; None: the table has no data
    id: str = ""  # the API's id: the store's for API tables, the name for the others

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def enabled(self) -> bool:
        return self.definition.settings.enabled

    def lookup(self, key: Any) -> Mapping[str, Any] | None:
        return self.index.match(key)


def table_schema(definition: LookupTableDefinition, registry: Registry | None) -> LogSchema | None:
    name = definition.settings.log_schema
    if not name or registry is None or name not in registry:
        return None
    return registry.get(name)


def _declares_cidr(schema: LogSchema | None, primary_key: str) -> bool:
    if schema is None:
        return False
    for candidate in schema.fields:
        if candidate.name == primary_key:
            return candidate.validate is not None and candidate.validate.cidr is not None
    return False


def build_table(definition: LookupTableDefinition, data: bytes | str | None, *, fmt: str | None = None,
                registry: Registry | None = None, data_source: str = "", table_id: str = "") -> LookupTable:
    """The table with ``data`` read, typed and indexed; no data gives an empty table. Rows that cannot be used
    are reported in ``problems``; DataError only when nothing of the data can be read."""
    table_id = table_id or definition.name
    if data is None:
        return LookupTable(definition, id=table_id)
    schema = table_schema(definition, registry)
    fmt = fmt or data_format(name=data_source, data=data)
    read = read_rows(data, fmt, schema=schema)
    primary_key = definition.settings.primary_key
    cidr = True if _declares_cidr(schema, primary_key) else None
    if schema is not None:
        primary_key = column_name(primary_key)  # typed rows carry fields under their column names
    indexed = index_rows(read.rows, read.lines, primary_key, cidr=cidr)
    problems = sorted([*read.problems, *indexed.problems], key=lambda p: p.line)
    return LookupTable(definition, tuple(indexed.rows), indexed.index, tuple(problems), data_source,
                       datetime.now(UTC), table_id)


def load_data_file(definition: LookupTableDefinition, *, registry: Registry | None = None) -> LookupTable:
    """A content or config table with the rows of its data file (none when it has no file)."""
    path = definition.data_file
    if path is None:
        return build_table(definition, None)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"lookup table {definition.name}: cannot read {path}: {exc.strerror or exc}") from None
    try:
        return build_table(definition, data, registry=registry, data_source=str(path))
    except DataError as exc:
        raise DataError(f"lookup table {definition.name}: {path}: {exc}") from None
