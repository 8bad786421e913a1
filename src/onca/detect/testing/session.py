"""A whole test run: load the content once, prepare what workers share, run every detection's tests."""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from onca.detect.build import (
    build_data_models,
    build_detection,
    global_helper_files,
    install_global_helpers,
    uninstall_global_helpers,
)
from onca.detect.content import ContentSet, SpecFilter, load_content
from onca.detect.datamodel import DataModel
from onca.detect.platform import install_platform_modules
from onca.detect.runner import RunAborted
from onca.detect.testing.cases import cases_from_spec
from onca.detect.testing.outcome import DetectionOutcome, Problem, Status
from onca.detect.testing.pool import OnResult, default_jobs, run_in_workers
from onca.detect.testing.report import TestReport
from onca.detect.testing.tasks import Settings, Task
from onca.detect.testing.timeouts import time_limit
from onca.detect.tracebacks import content_traceback, describe_error


@dataclass
class TestOptions:
    __test__ = False  # not a pytest test class

    filters: list[SpecFilter] = field(default_factory=list)
    minimum_tests: int = 0
    skip_disabled: bool = False
    jobs: int = field(default_factory=default_jobs)
    timeout: float | None = 10.0
    destinations: Mapping[str, str] | None = None
    pypanther: bool = False
    grace: float = 30.0  # extra seconds before a silent worker is killed (see Settings)
    # Where compiled content bytecode goes; None writes none (content trees may be read-only).
    bytecode_dir: Path | None = None


@contextmanager
def _bytecode(directory: Path | None) -> Iterator[None]:
    saved = (sys.dont_write_bytecode, sys.pycache_prefix)
    if directory is None:
        sys.dont_write_bytecode = True
    else:
        directory.mkdir(parents=True, exist_ok=True)
        sys.pycache_prefix = str(directory)
    try:
        yield
    finally:
        sys.dont_write_bytecode, sys.pycache_prefix = saved


def _preload_globals(content: ContentSet, timeout: float | None) -> list[Problem]:
    """Import every global helper once, before workers fork, so they share it; report those that fail."""
    problems = []
    for item in content.globals:
        try:
            with time_limit(timeout, f"importing {item.id}"):
                __import__(item.id)
        except RunAborted as exc:
            problems.append(Problem(str(item.python_path), f"global helper {exc}", item_id=item.id))
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - content code may raise anything, SystemExit included
            problems.append(Problem(str(item.python_path), f"module failed to import: {describe_error(exc)}",
                                    content_traceback(exc), item.id))
    return problems


def _data_models(content: ContentSet, timeout: float | None) -> tuple[dict[str, DataModel], list[Problem]]:
    try:
        with time_limit(timeout, "importing data models"):
            models, errors = build_data_models(content)
    except RunAborted as exc:
        return {}, [Problem(str(content.root), f"data models: {exc}")]
    return models, [Problem(str(e.path), e.message, e.details) for e in errors]


def content_tasks(content: ContentSet, options: TestOptions) -> tuple[list[Task], list[DetectionOutcome]]:
    """A task per detection, and a ready outcome for each one skipped."""
    by_id = content.by_id()
    tasks: list[Task] = []
    skipped: list[DetectionOutcome] = []
    for item in content.detections:
        spec = item.raw
        if spec.get("BaseDetection") and "Tests" not in spec:
            spec = {**spec, "Tests": by_id[spec["BaseDetection"]].raw.get("Tests", [])}
        task = Task(id=item.id, kind=item.kind, path=str(item.path), cases=cases_from_spec(spec), spec=spec)
        if options.skip_disabled and not item.enabled:
            outcome = task.outcome()
            outcome.status = Status.SKIPPED
            skipped.append(outcome)
            continue
        if item.kind != "correlation_rule":
            task.build = functools.partial(build_detection, item, by_id)
        tasks.append(task)
    return tasks, skipped


def run_content_tests(
    path: str | Path | None, options: TestOptions | None = None, on_result: OnResult | None = None
) -> TestReport:
    """Test the content under ``path`` (and pypanther's rules when ``options.pypanther``)."""
    options = options or TestOptions()
    started = time.perf_counter()
    install_platform_modules()
    report = TestReport(root=str(path) if path is not None else "pypanther")
    tasks: list[Task] = []
    data_models: dict[str, DataModel] = {}
    with _bytecode(options.bytecode_dir):
        try:
            if path is not None:
                content = load_content(path, filters=options.filters)
                report.problems += [Problem(str(p.path), p.message, item_id=p.item_id) for p in content.problems]
                install_global_helpers(global_helper_files(content))
                report.problems += _preload_globals(content, options.timeout)
                data_models, model_problems = _data_models(content, options.timeout)
                report.problems += model_problems
                content_task_list, skipped = content_tasks(content, options)
                tasks += content_task_list
                report.outcomes += skipped
            if options.pypanther:
                from onca.detect.pypanther import pypanther_tasks

                pypanther_list, problems = pypanther_tasks(options.filters)
                tasks += pypanther_list
                report.problems += problems
            settings = Settings(timeout=options.timeout, destinations=options.destinations, grace=options.grace,
                                minimum_tests=options.minimum_tests)
            outcomes = run_in_workers(tasks, data_models, settings, options.jobs, on_result)
        finally:
            uninstall_global_helpers()
    report.outcomes = outcomes + report.outcomes
    report.seconds = time.perf_counter() - started
    return report


