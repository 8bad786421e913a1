"""The SQL face of the lake in DuckDB: one catalog per database, a view per table, and Panther's union views.

Each database is an attached in-memory DuckDB catalog holding its views twice, in `main` and in `public`, so
both `panther_logs.aws_cloudtrail` (catalog.table) and Snowflake's `panther_logs.public.aws_cloudtrail`
(database.schema.table) resolve.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb

from onca.lake.catalog import LakeTable, parquet_source, quote_ident
from onca.lake.layout import CLOUDSECURITY, LOGS, RULE_ERRORS, RULE_MATCHES, SIGNALS, VIEWS

STANDARD_COLUMNS = ("p_log_type", "p_row_id", "p_event_time", "p_parse_time", "p_source_id", "p_source_label")
# Columns that Panther's union views carry besides the standard ones; null where a table lacks them.
UNION_PREFIXES = ("p_any_", "p_alert_", "p_rule_")


@dataclass(frozen=True, slots=True)
class UnionView:
    name: str
    databases: tuple[str, ...]
    database: str = VIEWS  # where the view itself lives


UNION_VIEWS = (
    UnionView("all_logs", (LOGS,)),
    UnionView("all_rule_matches", (RULE_MATCHES,)),
    UnionView("all_rule_errors", (RULE_ERRORS,)),
    UnionView("all_cloudsecurity", (CLOUDSECURITY,)),
    UnionView("all_databases", (LOGS, RULE_MATCHES, RULE_ERRORS)),
    # every signal, whatever its log type, as Panther's investigations query it
    UnionView("correlation_signals", (SIGNALS,), database=SIGNALS),
)


def _name(database: str, schema: str, name: str) -> str:
    return ".".join(map(quote_ident, (database, schema, name)))


def _as_json(column: str) -> str:
    # Text that is not valid JSON becomes a JSON string rather than failing every query on the table.
    q = quote_ident(column)
    return f"coalesce(TRY_CAST({q} AS JSON), to_json({q})) AS {q}"


def table_view_sql(table: LakeTable, columns: Sequence[str], json_columns: Sequence[str]) -> str:
    present = set(columns)
    casts = [_as_json(c) for c in dict.fromkeys(json_columns) if c in present]
    star = f"* REPLACE ({', '.join(casts)})" if casts else "*"
    return f"SELECT {star} FROM {parquet_source(table.glob)}"


def _union_columns(columns: Sequence[str]) -> list[str]:
    return [c for c in columns if c in STANDARD_COLUMNS or c.startswith(UNION_PREFIXES)]


def union_view_sql(sources: Sequence[tuple[LakeTable, Sequence[str]]]) -> str | None:
    """UNION ALL BY NAME of every source over the standard and indicator columns, in a fixed column order."""
    branches, every = [], set()
    for table, columns in sources:
        selected = _union_columns(columns)
        if selected:
            every.update(selected)
            cols = ", ".join(map(quote_ident, selected))
            branches.append(f"SELECT {cols} FROM {_name(table.database, 'main', table.name)}")
    if not branches:
        return None
    ordered = [c for c in STANDARD_COLUMNS if c in every] + sorted(every - set(STANDARD_COLUMNS))
    body = "\nUNION ALL BY NAME\n".join(branches)
    return f"SELECT {', '.join(map(quote_ident, ordered))} FROM (\n{body}\n)"


def _create_view(con: duckdb.DuckDBPyConnection, database: str, name: str, sql: str) -> None:
    con.execute(f"CREATE OR REPLACE VIEW {_name(database, 'main', name)} AS {sql}")
    con.execute(f"CREATE OR REPLACE VIEW {_name(database, 'public', name)} AS "
                f"SELECT * FROM {_name(database, 'main', name)}")


def register(con: duckdb.DuckDBPyConnection, databases: Sequence[str],
             tables: Sequence[tuple[LakeTable, Sequence[str]]],
             json_columns: Mapping[str, Sequence[str]]) -> None:
    """Attach a catalog per database and create the table views and union views in it."""
    for database in databases:
        con.execute(f"ATTACH ':memory:' AS {quote_ident(database)}")
        con.execute(f"CREATE SCHEMA {quote_ident(database)}.public")
    for table, columns in tables:
        _create_view(con, table.database, table.name,
                     table_view_sql(table, columns, json_columns.get(table.qualified, ())))
    for view in UNION_VIEWS:
        sql = union_view_sql([(t, cols) for t, cols in tables if t.database in view.databases])
        if sql is not None:
            _create_view(con, view.database, view.name, sql)
