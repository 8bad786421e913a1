"""What the CLI commands share: the data directory, the registry with custom schemas, event output."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console

from onca.ingest.timestamps import format_rfc3339
from onca.schema import Registry, SchemaError

console = Console(stderr=True)

DataDir = Annotated[
    Path,
    typer.Option("--data-dir", envvar="ONCA_DATA_DIR", help="Where Onca keeps its lake and state.",
                 file_okay=False),
]
DEFAULT_DATA_DIR = Path("onca-data")
SchemaFiles = Annotated[
    list[Path] | None,
    typer.Option("--schema", help="A custom log schema YAML file to add to the registry (repeatable).",
                 exists=True, dir_okay=False),
]

StoreUrl = Annotated[
    str | None,
    typer.Option("--store", envvar="ONCA_STORE_URL", show_default=False,
                 help="The metadata store: sqlite:///path/onca.db or postgresql://user@host/db "
                      "(default: sqlite:///<data-dir>/onca.db)."),
]


def store_url(store: str | None, data_dir: Path) -> str:
    return store or f"sqlite:///{data_dir / 'onca.db'}"


def lake_root(data_dir: Path) -> Path:
    return data_dir / "lake"


def load_registry(schema_files: list[Path] | None = None) -> Registry:
    registry = Registry.builtin()
    for path in schema_files or ():
        try:
            registry.add_file(path, replace=True)
        except SchemaError as exc:
            fail(str(exc))
    return registry


def fail(message: str, code: int = 2) -> None:
    console.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_rfc3339(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value)
    return str(value)


def event_json(event: dict[str, Any]) -> bytes:
    """An event as one JSON line, the way `onca parse` prints it: RFC 3339 UTC times, nulls omitted."""
    return orjson.dumps(event, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")


def recent_alerts_table(alerts: list[Any], title: str) -> Any:
    """A short table of alerts (severity, title, events, id), as the demo and the server show them."""
    from rich.table import Table

    table = Table(title=title)
    for column in ("severity", "title", "events", "alert id"):
        table.add_column(column)
    for alert in alerts:
        table.add_row(alert.severity, alert.title, str(alert.event_count), alert.id)
    return table
