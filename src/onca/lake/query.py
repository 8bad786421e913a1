"""The read side of the lake: DuckDB connections in which every table is a view over its Parquet files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from onca.lake.catalog import ColumnCache, discover, quote_ident, quote_literal
from onca.lake.layout import DATABASES, LOGS, check_name
from onca.lake.views import register

# Extensions are never fetched at query time; JSON, Parquet and ICU are built into the DuckDB package.
_CONFIG = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "true"}


class Lake:
    """Query the lake at `root` with DuckDB.

    json_columns maps "database.table" to the columns stored as JSON text; the views expose them as DuckDB
    JSON so `col->>'$.key'` works. With restrict_to_lake (the default) a connection can read nothing but the
    lake: no other files, no network, and its configuration is locked.
    """

    def __init__(self, root: Path, *, json_columns: Mapping[str, Sequence[str]] | None = None,
                 restrict_to_lake: bool = True):
        self.root = Path(root).absolute()  # views hold file paths; keep them valid whatever the cwd becomes
        self.json_columns = {k: tuple(v) for k, v in (json_columns or {}).items()}
        self.restrict_to_lake = restrict_to_lake
        self._columns = ColumnCache()

    def tables(self) -> list[str]:
        """"database.table" for every table that has data."""
        return [t.qualified for t in discover(self.root)]

    def connect(self, *, database: str = LOGS) -> duckdb.DuckDBPyConnection:
        """A new in-memory connection with a view for every table as it is now; `database` is the catalog
        that unqualified table names resolve in, as in Panther's data lake queries."""
        con = duckdb.connect(":memory:", config=_CONFIG)
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute("SET parquet_metadata_cache = true")
            tables = discover(self.root)
            databases = sorted(set(DATABASES) | {t.database for t in tables})
            described = [(t, self._columns.columns(con, t)) for t in tables]
            register(con, databases, described, self.json_columns)
            con.execute(f"USE {quote_ident(check_name('database', database))}")
            if self.restrict_to_lake:
                con.execute(f"SET allowed_directories = [{quote_literal(str(self.root.resolve()) + '/')}]")
                con.execute("SET enable_external_access = false")
                con.execute("SET lock_configuration = true")
        except BaseException:
            con.close()
            raise
        return con

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> pa.Table:
        """Run one statement and return its result; DuckDB's errors (unknown table, bad SQL) pass through."""
        con = self.connect()
        try:
            relation = con.sql(sql, params=params)
            if relation is None:  # a statement without a result set
                return pa.table({})
            to_arrow = getattr(relation, "to_arrow_table", None) or relation.arrow  # DuckDB < 1.4
            return to_arrow()
        finally:
            con.close()
