"""`onca ingest`, `onca parse` and `onca logtypes`."""

from __future__ import annotations

import glob
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from onca.cli.common import DEFAULT_DATA_DIR, DataDir, SchemaFiles, StoreUrl, console, event_json, fail, \
    lake_root, load_registry, store_url
from onca.ingest.classify import Classified, Skipped
from onca.ingest.columns import arrow_schema
from onca.ingest.decode import DecodeError, iter_records
from onca.ingest.logtype import compile_log_type
from onca.ingest.pipeline import IngestStats, Pipeline, RowIds, Source
from onca.runtime.settings import DetectionSettings
from onca.schema import Registry, UnknownLogType, table_name

DELIVERY_WAIT_SECONDS = 60.0  # at exit, how long queued alert deliveries may still take

LogTypes = Annotated[
    list[str] | None,
    typer.Option("--log-type", "-t", help="A candidate log type (repeatable); default: every registered type."),
]


def expand_paths(paths: list[str]) -> Iterator[Path | None]:
    """Files named directly, found in folders (recursively) or by glob; None stands for stdin ("-")."""
    for raw in paths:
        if raw == "-":
            yield None
            continue
        matches = sorted(glob.glob(raw, recursive=True)) if glob.has_magic(raw) else [raw]
        if not matches:
            fail(f"no file matches {raw!r}")
        for match in matches:
            path = Path(match)
            if path.is_dir():
                yield from sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            elif path.is_file():
                yield path
            else:
                fail(f"{raw}: no such file or folder")


def detection_metrics_table(metrics: dict, limit: int = 20) -> Table:
    """The detections that took the most time, with what they did."""
    table = Table(title="Detections by time spent")
    for column in ("detection", "events", "matches", "errors", "timeouts", "cpu s", "µs/event"):
        table.add_column(column, justify="left" if column == "detection" else "right")
    busiest = sorted(metrics.items(), key=lambda item: (-item[1].seconds, item[0]))[:limit]
    for detection_id, m in busiest:
        per_event = m.seconds / m.events * 1e6 if m.events else 0.0
        table.add_row(detection_id, f"{m.events:,}", f"{m.matches:,}", f"{m.errors:,}", f"{m.timeouts:,}",
                      f"{m.seconds:.3f}", f"{per_event:,.1f}")
    return table


def ingest_paths(registry: Registry, paths: list[Path | None], source: Source, data_dir: Path, *,
                 show_progress: bool = True, detection: DetectionSettings | None = None,
                 show_metrics: bool = False, jobs: int = 1) -> IngestStats:
    if jobs > 1 and detection is not None:
        fail("--jobs does not combine with --detections: the rules, their deduplication and alert delivery "
             "run in one detection stage")
    if jobs > 1 and None in paths:
        fail("--jobs reads files, not stdin (-)")
    items = [(path, source) for path in paths]
    if jobs > 1 and len(paths) > 1:
        return _ingest_in_parallel(registry, items, data_dir, jobs, show_progress=show_progress)
    return ingest_sources(registry, items, data_dir, show_progress=show_progress, detection=detection,
                          show_metrics=show_metrics)


def _progress(show: bool) -> Progress:
    columns = [TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn()]
    return Progress(*columns, console=console, disable=not show, transient=True)


def _ingest_in_parallel(registry: Registry, items: list[tuple[Path, Source]], data_dir: Path, jobs: int, *,
                        show_progress: bool) -> IngestStats:
    from onca.ingest.parallel import ingest_files

    with _progress(show_progress) as progress:
        sizes = {path: path.stat().st_size for path, _ in items}
        task = progress.add_task(f"ingesting with {jobs} workers", total=sum(sizes.values()))
        result = ingest_files(registry, items, lake_root(data_dir), jobs,
                              on_file=lambda path, stats: progress.advance(task, sizes[path]))
    for error in result.errors:
        console.print(f"[red]error:[/red] {error}", highlight=False)
    if result.errors:
        console.print(summary_table(result.stats))
        raise typer.Exit(1)
    return result.stats


def ingest_sources(registry: Registry, items: list[tuple[Path | None, Source]], data_dir: Path, *,
                   show_progress: bool = True, detection: DetectionSettings | None = None,
                   show_metrics: bool = False) -> IngestStats:
    """Each (file or stdin, source) through one pipeline: the lake, and detection when configured."""
    from onca.ingest.lake_sink import LakeSink
    from onca.lake import LakeWriter

    writer = LakeWriter(lake_root(data_dir))
    sinks: list = [LakeSink(registry, writer)]
    setup = None
    lookups = None
    shared_dir: Path | None = None
    if detection is not None:
        from onca.runtime.detection_setup import open_detection_stage

        shared_dir = Path(tempfile.mkdtemp(prefix="onca-lookups-"))
        lookups = _open_lookups(registry, lake_root(data_dir), detection.content, shared_dir)
        detection = replace(detection, lookup_file=lookups.shared_path)
        setup = open_detection_stage(registry, writer, detection)
        for problem in setup.problems:
            console.print(f"[yellow]content problem:[/yellow] {problem}", highlight=False)
        console.print(f"detection: {setup.rules:,} rules, {setup.correlation_rules:,} correlation rules")
        sinks.append(setup.stage)
    pipeline = Pipeline(registry, sinks, steps=(lookups,) if lookups is not None else ())
    total = IngestStats()
    sizes = [path.stat().st_size if path else 0 for path, _ in items]
    try:
        with _progress(show_progress) as progress:
            task = progress.add_task("ingesting", total=sum(sizes) or None)
            for (path, source), size in zip(items, sizes):
                progress.update(task, description=f"ingesting {path.name if path else 'stdin'}")
                if path is None:
                    stats = pipeline.ingest(sys.stdin.buffer, source, stream_name="stdin")
                else:
                    with path.open("rb") as stream:
                        stats = pipeline.ingest(stream, source, stream_name=str(path))
                total.merge(stats)
                progress.advance(task, size)
    finally:
        if setup is not None:
            if show_metrics:
                console.print(detection_metrics_table(setup.stage.engine.metrics()))
            delivered = setup.stage.close(timeout=DELIVERY_WAIT_SECONDS)
            c = setup.stage.counts
            console.print(f"detection: {c['match']:,} matches, {c['signal']:,} signals, {c['error']:,} rule "
                          f"errors; {c['alerts']:,} new alerts" + ("" if delivered else
                                                                     " (some deliveries did not finish)"))
        writer.close()
        if shared_dir is not None:
            shutil.rmtree(shared_dir, ignore_errors=True)
    return total


def _open_lookups(registry: Registry, lake: Path, content: tuple[Path, ...], shared_dir: Path) -> Any:
    """The lookup tables of the content trees: they enrich events and answer event.lookup in detections."""
    from onca.enrich import LookupService

    lookups = LookupService(registry, lake_root=lake, shared_file=shared_dir / "lookup-tables.sqlite3")
    for problem in lookups.load_content(content):
        console.print(f"[yellow]lookup table problem:[/yellow] {problem}", highlight=False)
    tables = lookups.tables()
    if tables:
        console.print(f"lookup tables: {len(tables):,} ({sum(len(t.rows) for t in tables):,} rows)")
    return lookups


def summary_table(stats: IngestStats, limit: int | None = None) -> Table:
    """Per log type: events, bytes, time; with a limit, the busiest types and one line for the rest."""
    table = Table(title="Ingested")
    for column in ("log type", "table", "events", "bytes", "seconds", "events/s"):
        table.add_column(column, justify="left" if column in ("log type", "table") else "right")
    names = sorted(stats.by_type)
    if limit is not None and len(names) > limit:
        names = sorted(names, key=lambda n: (-stats.by_type[n].events, n))[:limit]
    for name in names:
        s = stats.by_type[name]
        rate = s.events / s.seconds if s.seconds else 0
        table.add_row(name, f"panther_logs.{table_name(name)}", f"{s.events:,}", f"{s.bytes:,}",
                      f"{s.seconds:.2f}", f"{rate:,.0f}")
    rest = [stats.by_type[n] for n in stats.by_type if n not in names]
    if rest:
        table.add_row(f"... {len(rest)} more log types", "", f"{sum(r.events for r in rest):,}",
                      f"{sum(r.bytes for r in rest):,}", "", "")
    if stats.failures:
        table.add_row("[red]classification failures[/red]", "onca_system.classification_failures",
                      f"{stats.failures:,}", f"{stats.failure_bytes:,}", "", "")
    return table


def register(app: typer.Typer) -> None:
    @app.command()
    def ingest(
        paths: Annotated[list[str], typer.Argument(help="Files, folders, globs, or - for stdin.")],
        log_type: LogTypes = None,
        source_label: Annotated[str, typer.Option(help="Label stored in p_source_label.")] = "cli",
        source_id: Annotated[str, typer.Option(help="Id stored in p_source_id.")] = "cli",
        data_dir: DataDir = DEFAULT_DATA_DIR,
        schema: SchemaFiles = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
        detections: Annotated[list[Path] | None, typer.Option(
            "--detections", help="Run the rules of this detection content tree (a panther-analysis checkout "
                                 "works as is) on every event; repeatable.", exists=True, file_okay=False)] = None,
        destinations: Annotated[Path | None, typer.Option(
            "--destinations", envvar="ONCA_DESTINATIONS", help="Alert destinations file (YAML or JSON).",
            exists=True, dir_okay=False)] = None,
        store: StoreUrl = None,
        kv: Annotated[str | None, typer.Option(
            "--kv", envvar="ONCA_KV_URL", help="Detection cache: sqlite:///path or redis://host:port/db "
                                               "(default: <data-dir>/state/detection-kv.sqlite3).")] = None,
        workers: Annotated[int, typer.Option(help="Detection worker processes.", min=0)] = 1,
        rule_timeout: Annotated[float, typer.Option(help="Seconds one rule may take on one event.", min=0.01)] = 5.0,
        detection_metrics: Annotated[bool, typer.Option(
            "--detection-metrics", help="Print the detections that took the most time.")] = False,
        jobs: Annotated[int, typer.Option(
            "--jobs", "-j", min=1, help="Ingest files side by side in this many worker processes (not with "
                                        "--detections or stdin).")] = 1,
    ) -> None:
        """Ingest log files into the lake: classify, parse, normalize, write Parquet; with --detections, run
        the rules on every event and raise alerts."""
        registry = load_registry(schema)
        candidates = _candidates(registry, log_type)
        files = list(expand_paths(paths))
        detection = None
        if detections:
            from onca.detect.kv import default_kv_path

            kv_path = default_kv_path(data_dir)
            kv_path.parent.mkdir(parents=True, exist_ok=True)
            detection = DetectionSettings(
                content=tuple(detections), store_url=store_url(store, data_dir), kv_url=kv or f"sqlite:///{kv_path}",
                destinations_file=destinations, workers=workers, timeout_seconds=rule_timeout)
        stats = ingest_paths(registry, files, Source(candidates, id=source_id, label=source_label), data_dir,
                             show_progress=not quiet, detection=detection, show_metrics=detection_metrics,
                             jobs=jobs)
        console.print(summary_table(stats))
        console.print(f"{stats.events:,} events, {stats.failures:,} classification failures in "
                      f"{stats.seconds:.2f} s; lake at {lake_root(data_dir)}")

    @app.command()
    def parse(
        log_type: Annotated[list[str], typer.Option("--log-type", "-t", help="Log type(s) to parse as.")],
        file: Annotated[Path | None, typer.Argument(help="Input file (default: stdin).", exists=True,
                                                    dir_okay=False)] = None,
        schema: SchemaFiles = None,
    ) -> None:
        """Print normalized events as JSON lines, for testing schemas; failures go to stderr."""
        registry = load_registry(schema)
        from onca.ingest.classify import Classifier

        classifier = Classifier([compile_log_type(registry.get(t)) for t in _candidates(registry, log_type)])
        row_ids = RowIds()
        failed = 0
        out = sys.stdout.buffer
        stream = file.open("rb") if file else sys.stdin.buffer
        try:
            for record in iter_records(stream):
                if isinstance(record, DecodeError):
                    failed += 1
                    console.print(f"record {record.offset + 1}: {record.reason}", highlight=False, markup=False)
                    continue
                result = classifier.classify(record.data, parse_time=datetime.now(UTC), row_id=row_ids())
                if isinstance(result, Classified):
                    out.write(event_json(result.event) + b"\n")
                elif not isinstance(result, Skipped):
                    failed += 1
                    console.print(f"record {record.offset + 1}: " + "; ".join(result.reasons), highlight=False,
                                  markup=False)
        finally:
            if file:
                stream.close()
        out.flush()
        if failed:
            raise typer.Exit(1)

    @app.command()
    def logtypes(
        as_json: Annotated[bool, typer.Option("--json", help="Full registry as JSON.")] = False,
        markdown: Annotated[bool, typer.Option("--markdown", help="The reference page (docs/logtypes.md).")] = False,
        check_content: Annotated[Path | None, typer.Option(
            "--check-content", help="Check a detection content tree: log types it names that are missing, and "
                                    "how many rule test events parse.", exists=True, file_okay=False)] = None,
        schema: SchemaFiles = None,
    ) -> None:
        """List the registered log types with their tables and indicator fields."""
        registry = load_registry(schema)
        if check_content is not None:
            _report_coverage(registry, check_content, as_json)
            return
        if markdown:
            from onca.schema.docs import render_markdown

            sys.stdout.write(render_markdown(registry))
            return
        if as_json:
            sys.stdout.buffer.write(orjson.dumps([_describe(registry, n) for n in registry.names()],
                                                 option=orjson.OPT_INDENT_2) + b"\n")
            return
        table = Table(title=f"{len(registry)} log types")
        for column in ("log type", "table", "parser", "fields", "indicator columns"):
            table.add_column(column)
        for name in registry.names():
            d = _describe(registry, name)
            table.add_row(name, d["table"], d["parser"], str(len(d["fields"])), ", ".join(d["indicators"]))
        console.file = sys.stdout
        console.print(table)


def _report_coverage(registry: Registry, root: Path, as_json: bool) -> None:
    from onca.ingest.coverage import check_content

    coverage = check_content(root, registry)
    if as_json:
        sys.stdout.buffer.write(orjson.dumps({
            "missing": coverage.missing, "tested": coverage.tested, "parsed": coverage.parsed,
            "parse_rate": coverage.parse_rate, "parsed_relaxed": coverage.parsed_relaxed,
            "relaxed_rate": coverage.relaxed_rate, "query_rows": coverage.query_rows,
            "missing_required_fields": dict(coverage.missing_required_fields().most_common()),
            "failed": [{"path": f.path, "test": f.test, "log_types": f.log_types, "reasons": f.reasons}
                       for f in coverage.failed]}, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        for f in coverage.failed:
            print(f"{f.path}: {f.test!r}: " + "; ".join(f.reasons))
        print(f"log types named by the content: {len(coverage.named)}; missing from the registry: "
              f"{len(coverage.missing)}" + (f" ({', '.join(coverage.missing)})" if coverage.missing else ""))
        print(f"rule test events that parse: {coverage.parsed} of {coverage.tested} ({coverage.parse_rate:.1%}); "
              f"with required fields set aside: {coverage.parsed_relaxed} ({coverage.relaxed_rate:.1%}); "
              f"scheduled rule tests holding query result rows, not log events: {coverage.query_rows}")
        top = coverage.missing_required_fields().most_common(10)
        if top:
            print("required fields most often absent from test events: "
                  + ", ".join(f"{field} ({count})" for field, count in top))
    if coverage.missing:
        raise typer.Exit(1)


def _candidates(registry: Registry, log_types: list[str] | None) -> tuple[str, ...]:
    if not log_types:
        return tuple(registry.names())
    for name in log_types:
        try:
            registry.get(name)
        except UnknownLogType as exc:
            fail(str(exc))
    return tuple(log_types)


def _describe(registry: Registry, name: str) -> dict:
    schema = registry.get(name)
    arrow = arrow_schema(schema)
    return {
        "name": name,
        "table": f"panther_logs.{table_name(name)}",
        "description": schema.description,
        "referenceURL": schema.reference_url,
        "parser": schema.parser.kind if schema.parser else "json",
        "fields": [{"path": path, "type": f.type, "required": f.required, "indicators": list(f.indicators),
                    "isEventTime": f.is_event_time, "description": f.description}
                   for path, f in schema.walk()],
        "indicators": [f.name for f in arrow if f.name.startswith("p_any_")],
    }
