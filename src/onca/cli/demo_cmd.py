"""`onca demo`: ingest the bundled sample logs and show what the lake holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from onca.cli.common import DEFAULT_DATA_DIR, DataDir, console, load_registry, recent_alerts_table, store_url
from onca.cli.ingest_cmd import ingest_sources, summary_table
from onca.cli.query_cmd import Format, open_lake, render
from onca.ingest.pipeline import Source
from onca.runtime.demo import example_detections, sample_files
from onca.runtime.settings import DetectionSettings

EXAMPLE_QUERIES = (
    ("The log types with the most events, across every table",
     "SELECT p_log_type, count(*) AS events, min(p_event_time) AS first, max(p_event_time) AS last "
     "FROM panther_views.all_logs GROUP BY p_log_type ORDER BY events DESC, p_log_type LIMIT 10"),
    ("The IP addresses seen most, in any log",
     "SELECT ip, count(*) AS events FROM (SELECT unnest(p_any_ip_addresses) AS ip FROM panther_views.all_logs) "
     "GROUP BY ip ORDER BY events DESC, ip LIMIT 5"),
)


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(data_dir: DataDir = DEFAULT_DATA_DIR,
             quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False) -> None:
        """Ingest the bundled sample logs into a local lake, print a summary and example queries."""
        registry = load_registry()
        items = []
        for log_type, path in sample_files():
            if log_type not in registry:
                console.print(f"skipping {path.name}: no log type {log_type}")
                continue
            items.append((path, Source((log_type,), id="demo", label="demo samples")))
        state = data_dir / "state"
        state.mkdir(parents=True, exist_ok=True)
        detection = DetectionSettings(content=(example_detections(),), store_url=store_url(None, data_dir),
                                      kv_url=f"sqlite:///{state / 'detection-kv.sqlite3'}", workers=1)
        total = ingest_sources(registry, items, data_dir, show_progress=not quiet, detection=detection)
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
        _show_alerts(data_dir)
        console.print(f"\nThe lake is in {data_dir.resolve()}; try: onca query \"SELECT * FROM "
                      f"panther_logs.aws_cloudtrail LIMIT 5\"", highlight=False)


def _show_alerts(data_dir: Path) -> None:
    from onca.store import open_store

    with open_store(store_url(None, data_dir)) as store:
        alerts, _ = store.alerts.list(limit=10)
    console.print(recent_alerts_table(alerts, "Alerts raised by the example detections (onca alerts list)"))
