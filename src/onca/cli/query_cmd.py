"""`onca query`: SQL over the lake."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.table import Table

from onca.cli.common import DEFAULT_DATA_DIR, DataDir, fail, lake_root, load_registry
from onca.schema import Registry


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


def open_lake(data_dir: Path, registry: Registry | None = None):
    from onca.runtime.lake_access import open_lake as lake_with_views

    return lake_with_views(lake_root(data_dir), registry or load_registry())


def render(result, fmt: Format, out=None) -> None:
    """Print an Arrow table as a rich table, JSON lines or CSV."""
    out = out or sys.stdout
    if fmt is Format.json:
        import orjson

        for row in result.to_pylist():
            out.write(orjson.dumps(row, default=str).decode() + "\n")
    elif fmt is Format.csv:
        import pyarrow.csv as pacsv

        pacsv.write_csv(result, out.buffer if hasattr(out, "buffer") else out)
    else:
        from rich.console import Console

        table = Table(show_lines=False)
        for name in result.column_names:
            table.add_column(name, overflow="fold")
        for row in result.to_pylist():
            table.add_row(*("" if v is None else str(v) for v in row.values()))
        Console(file=out, width=200).print(table)


def register(app: typer.Typer) -> None:
    @app.command()
    def query(
        sql: Annotated[str, typer.Argument(help="SQL (DuckDB dialect) over panther_logs.*, panther_views.*, ...")],
        fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
        data_dir: DataDir = DEFAULT_DATA_DIR,
    ) -> None:
        """Run SQL over the lake."""
        lake = open_lake(data_dir)
        try:
            result = lake.query(sql)
        except duckdb.Error as exc:
            fail(str(exc).strip(), code=1)
        render(result, fmt)
