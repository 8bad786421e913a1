"""One unit of test work: build a detection, then run each of its tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from onca.detect.build import BuildError
from onca.detect.datamodel import DataModel
from onca.detect.platform import kv_table
from onca.detect.runner import Detection, RunAborted
from onca.detect.testing.cases import TestCase
from onca.detect.testing.execute import run_case, run_correlation_case
from onca.detect.testing.outcome import DetectionOutcome, Problem, Status
from onca.detect.testing.timeouts import time_limit
from onca.detect.tracebacks import content_traceback, describe_error


@dataclass(frozen=True)
class Settings:
    timeout: float | None = 10.0  # per test, and for importing one detection
    destinations: Mapping[str, str] | None = None
    # How long past its tests' time limits a silent worker is given before it is killed.
    grace: float = 30.0
    minimum_tests: int = 0


@dataclass(eq=False)
class Task:
    """``build`` makes the detection runnable (importing its module); correlation rules have none."""

    id: str
    kind: str
    path: str
    cases: list[TestCase]
    build: Callable[[], Detection] | None = None
    spec: Mapping[str, Any] = field(default_factory=dict)
    origin: str = "panther-analysis"
    data_models: Mapping[str, DataModel] | None = None  # overrides the run's (pypanther brings its own)

    def outcome(self) -> DetectionOutcome:
        return DetectionOutcome(id=self.id, kind=self.kind, path=self.path, origin=self.origin)


def run_task(task: Task, data_models: Mapping[str, DataModel], settings: Settings) -> DetectionOutcome:
    started = time.perf_counter()
    outcome = task.outcome()
    if task.build is None:
        outcome.cases = [run_correlation_case(task.spec, case, timeout=settings.timeout) for case in task.cases]
    else:
        detection = _build(task, settings, outcome)
        if detection is not None:
            # Cached state belongs to one detection's tests, as each would see a fresh store.
            kv_table().clear()
            outcome.cases = [
                run_case(detection, case, task.data_models if task.data_models is not None else data_models,
                         timeout=settings.timeout, destinations=settings.destinations)
                for case in task.cases
            ]
    if settings.minimum_tests and outcome.status is not Status.INVALID:
        outcome.problems += coverage_problems(task, settings.minimum_tests)
    outcome.seconds = time.perf_counter() - started
    return outcome.settle()


def coverage_problems(task: Task, minimum_tests: int) -> list[Problem]:
    """Panther's --minimum-tests rules: enough tests, and both outcomes covered when more than one."""
    problems = []
    count = len(task.cases)
    if count < minimum_tests:
        problems.append(Problem(task.path, f"Insufficient test coverage: {minimum_tests} tests required but only "
                                           f"{count} found", item_id=task.id))
    if minimum_tests > 1 and not (any(c.expected for c in task.cases) and any(not c.expected for c in task.cases)):
        problems.append(Problem(task.path, "Insufficient test coverage: expected at least one positive and one "
                                           "negative test", item_id=task.id))
    return problems


def _build(task: Task, settings: Settings, outcome: DetectionOutcome) -> Detection | None:
    assert task.build is not None
    try:
        with time_limit(settings.timeout, f"importing {task.id}"):
            return task.build()
    except BuildError as exc:
        problem = Problem(str(exc.path or task.path), exc.message, exc.details, task.id)
    except RunAborted as exc:
        problem = Problem(task.path, f"loading the detection {exc}", "", task.id)
    except Exception as exc:  # noqa: BLE001 - content code may raise anything
        problem = Problem(task.path, f"loading the detection failed: {describe_error(exc)}",
                          content_traceback(exc), task.id)
    outcome.status = Status.INVALID
    outcome.problems.append(problem)
    return None
