"""`onca demo`: ingest the bundled sample logs and show what the lake holds."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from onca.cli.common import DEFAULT_DATA_DIR, DataDir, console, load_registry
from onca.cli.ingest_cmd import ingest_paths, summary_table
from onca.cli.query_cmd import Format, open_lake, render
from onca.ingest.pipeline import IngestStats, Source

EXAMPLE_QUERIES = (
    ("The log types with the most events, across every table",
     "SELECT p_log_type, count(*) AS events, min(p_event_time) AS first, max(p_event_time) AS last "
     "FROM panther_views.all_logs GROUP BY p_log_type ORDER BY events DESC, p_log_type LIMIT 10"),
    ("The IP addresses seen most, in any log",
     "SELECT ip, count(*) AS events FROM (SELECT unnest(p_any_ip_addresses) AS ip FROM panther_views.all_logs) "
     "GROUP BY ip ORDER BY events DESC, ip LIMIT 5"),
)


def sample_files() -> list[tuple[str, Path]]:
    """(log type, path) of every bundled sample: samples/<LogType>.log."""
    folder = resources.files("onca") / "samples"
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".log"):
            found.append((entry.name.removesuffix(".log"), Path(str(entry))))
    return found


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(data_dir: DataDir = DEFAULT_DATA_DIR,
             quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False) -> None:
        """Ingest the bundled sample logs into a local lake, print a summary and example queries."""
        registry = load_registry()
        total = IngestStats()
        for log_type, path in sample_files():
            if log_type not in registry:
                console.print(f"skipping {path.name}: no log type {log_type}")
                continue
            total.merge(ingest_paths(registry, [path], Source((log_type,), id="demo", label="demo samples"),
                                     data_dir, show_progress=not quiet))
        console.print(summary_table(total, limit=10))
        console.print(f"{total.events:,} events of {len(total.by_type)} log types, {total.failures:,} "
                      f"classification failures", highlight=False)
        if not total.events:
            console.print("no sample events were ingested")
            raise typer.Exit(1)
        lake = open_lake(data_dir, registry)
        for title, sql in EXAMPLE_QUERIES:
            console.print(f"\n[bold]{title}[/bold]\n  onca query \"{sql}\"", highlight=False)
            render(lake.query(sql), Format.table)
        console.print(f"\nThe lake is in {data_dir.resolve()}; try: onca query \"SELECT * FROM "
                      f"panther_logs.aws_cloudtrail LIMIT 5\"", highlight=False)
