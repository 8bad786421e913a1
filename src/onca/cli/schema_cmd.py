"""`onca schema validate|test|infer`: working on custom log schemas."""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from ruamel.yaml import YAML

from onca.cli.common import console, event_json, fail
from onca.ingest.classify import Classified, Classifier, Skipped
from onca.ingest.decode import DecodeError, iter_records
from onca.ingest.logtype import compile_log_type
from onca.ingest.pipeline import RowIds
from onca.schema import SchemaError, load_schema_file, validate_text
from onca.schema.infer import infer_schema

schema_app = typer.Typer(help="Validate, test and infer custom log schemas.", no_args_is_help=True)
ExistingFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False)]


@schema_app.command("validate")
def validate(files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Report every problem of each schema file, with its field path."""
    bad = 0
    for path in files:
        problems = validate_text(path.read_text(encoding="utf-8", errors="replace"), str(path))
        if not problems:
            problems = compile_problems(path)
        if problems:
            bad += 1
            for p in problems:
                print(f"{path}: {p}")
        else:
            print(f"{path}: ok")
    if bad:
        raise typer.Exit(1)


def compile_problems(path: Path) -> list[str]:
    """Problems that only show when a valid schema is compiled: parser options, time formats."""
    problems = []
    for schema in load_schema_file(path):
        try:
            compile_log_type(schema)
        except ValueError as exc:
            problems.append(f"{schema.name}: {exc}")
    return problems


@schema_app.command("test")
def test(schema_file: ExistingFile, samples: ExistingFile,
         show_events: Annotated[bool, typer.Option("--events/--no-events", help="Print parsed events.")] = True
         ) -> None:
    """Parse sample logs with a schema and show the result of every line."""
    try:
        schemas = load_schema_file(schema_file)
    except SchemaError as exc:
        fail(str(exc))
    classifier = Classifier([compile_log_type(s) for s in schemas])
    row_ids = RowIds()
    passed = failed = 0
    with samples.open("rb") as stream:
        for record in iter_records(stream):
            n = record.offset + 1
            if isinstance(record, DecodeError):
                failed += 1
                print(f"record {n}: FAIL {record.reason}")
                continue
            result = classifier.classify(record.data, parse_time=datetime.now(UTC), row_id=row_ids())
            if isinstance(result, Skipped):
                print(f"record {n}: skipped (a header or comment line of {result.log_type})")
            elif isinstance(result, Classified):
                passed += 1
                suffix = " " + event_json(result.event).decode() if show_events else ""
                print(f"record {n}: ok {result.log_type}{suffix}")
            else:
                failed += 1
                print(f"record {n}: FAIL " + "; ".join(result.reasons))
    print(f"{passed} passed, {failed} failed")
    if failed:
        raise typer.Exit(1)


@schema_app.command("infer")
def infer(
    samples: ExistingFile,
    name: Annotated[str, typer.Option(help="The log type name to give the schema.")] = "Custom.Inferred",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
) -> None:
    """Write a schema that covers the keys and types seen in JSON samples."""
    objects = []
    with samples.open("rb") as stream:
        for record in iter_records(stream):
            if isinstance(record, DecodeError):
                console.print(f"line {record.offset + 1}: skipped: {record.reason}", markup=False)
                continue
            data = record.data
            if isinstance(data, str):
                import orjson

                try:
                    data = orjson.loads(data)
                except orjson.JSONDecodeError as exc:
                    console.print(f"line {record.offset + 1}: skipped: not JSON: {exc}", markup=False)
                    continue
            if isinstance(data, dict):
                objects.append(data)
    try:
        doc = infer_schema(name, objects)
    except ValueError as exc:
        fail(f"{samples}: {exc}")
    yaml = YAML()
    yaml.default_flow_style = False
    buffer = io.StringIO()
    yaml.dump(doc, buffer)
    if output:
        output.write_text(buffer.getvalue(), encoding="utf-8")
        console.print(f"wrote {output}")
    else:
        sys.stdout.write(buffer.getvalue())


def register(app: typer.Typer) -> None:
    app.add_typer(schema_app, name="schema")
