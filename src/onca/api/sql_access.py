"""Which lake tables a SQL query reads, checked against the log types a role may read.

A role restricted to some log types may query their tables (logs, rule matches, signals, rule errors) and
nothing that spans or bypasses them: the all-logs views, system tables, and file-reading table functions.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp

from onca.lake import table_name
from onca.schema import Registry

PER_LOG_TYPE_DATABASES = ("panther_logs", "panther_rule_matches", "panther_signals", "panther_rule_errors")
_FILE_FUNCTIONS = ("read_", "parquet_", "glob", "query_table", "query", "sniff_csv")


class AccessDenied(Exception):
    pass


def check_sql_access(sql: str, database: str, can_read: Callable[[str], bool], registry: Registry) -> None:
    """Raise AccessDenied naming the first table the query may not read; unparseable SQL is left to the
    engine to reject, unless the role is restricted (then it is refused: it cannot be checked)."""
    log_types = {table_name(s.name): s.name for s in registry}
    if all(can_read(t) for t in log_types.values()):
        return
    try:
        statements = sqlglot.parse(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise AccessDenied(f"the query cannot be checked against your role's log types: {exc}") from None
    for statement in statements:
        if statement is None:
            continue
        defined = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
        for function in statement.find_all(exp.Func):
            name = (function.sql_name() if not isinstance(function, exp.Anonymous) else str(function.this)).lower()
            if name.startswith(_FILE_FUNCTIONS):
                raise AccessDenied(f"your role may not use {name}(): it reads files directly")
        for table in statement.find_all(exp.Table):
            name = table.name.lower()
            if not table.db and not table.catalog and name in defined:
                continue
            where = (table.catalog or table.db or database).lower()
            if where not in PER_LOG_TYPE_DATABASES:
                raise AccessDenied(f"your role may not query {where}.{name}: it is not limited to one log type")
            log_type = log_types.get(name)
            if log_type is None or not can_read(log_type):
                raise AccessDenied(f"your role may not read {where}.{name}")
