"""`onca test`: run detection content's unit tests, with the verdicts of Panther's CLI."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from onca.cli.common import console


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "onca" / "pycache"


def _fail(message: str) -> None:
    console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def test(
    path: Annotated[
        Path | None,
        typer.Argument(help="Content to test: a panther-analysis checkout, a directory in it, or one spec file. "
                            "Defaults to the current directory (unless --pypanther is given alone)."),
    ] = None,
    filters: Annotated[
        list[str] | None,
        typer.Option("--filter", help="Only items whose spec KEY has one of the VALUES: KEY=V1,V2 (KEY!=V to "
                                      "exclude). Repeatable; all must hold. Global helpers and data models always "
                                      "load."),
    ] = None,
    minimum_tests: Annotated[
        int, typer.Option("--minimum-tests", min=0, help="Fail detections with fewer tests than this (and, above "
                                                          "1, without both a positive and a negative test).")
    ] = 0,
    skip_disabled_tests: Annotated[
        bool, typer.Option("--skip-disabled-tests", help="Skip detections whose spec has Enabled: false.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON instead of text.")] = False,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="Also write a JUnit XML report to this file.", dir_okay=False)
    ] = None,
    pypanther: Annotated[
        bool, typer.Option("--pypanther", help="Also run the rules shipped in the pypanther package and their tests.")
    ] = False,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=0, help="Worker processes (default: one per CPU; 0 runs "
                                                              "everything in this process).")
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0, help="Seconds each test (and each module import) may take; 0 for "
                                                     "no limit.")
    ] = 10.0,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Print every test and function output, not only failures.")
    ] = False,
) -> None:
    """Run the unit tests of detection content and print a summary; exit 1 on any failure or invalid spec."""
    from onca.detect.content import SpecFilter
    from onca.detect.testing import (
        TestOptions,
        detection_lines,
        run_content_tests,
        summary_lines,
        write_junit,
    )
    from onca.detect.testing.pool import default_jobs

    try:
        parsed_filters = [SpecFilter.parse(text) for text in filters or ()]
    except ValueError as exc:
        _fail(str(exc))
    target = path if path is not None or pypanther else Path(".")
    if target is not None and not target.exists():
        _fail(f"{target}: no such file or directory")
    options = TestOptions(
        filters=parsed_filters,
        minimum_tests=minimum_tests,
        skip_disabled=skip_disabled_tests,
        jobs=default_jobs() if jobs is None else jobs,
        timeout=timeout or None,
        pypanther=pypanther,
        bytecode_dir=_cache_dir(),
    )

    def show(_index: int, outcome) -> None:
        if not as_json:
            for line in detection_lines(outcome, verbose):
                print(line)

    report = run_content_tests(target, options, on_result=show)
    if as_json:
        json.dump(report.to_dict(), sys.stdout, indent=2, default=str)
        print()
    else:
        for outcome in report.outcomes:
            if outcome.status.value == "skipped":
                show(0, outcome)
        print("\n".join(summary_lines(report)))
    if junit is not None:
        write_junit(report, junit)
    raise typer.Exit(0 if report.ok else 1)


def register(app: typer.Typer) -> None:
    app.command("test")(test)
