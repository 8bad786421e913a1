"""Run a detection's tests in this process: build the event, apply mocks, run, judge, time-limit."""

from __future__ import annotations

import contextlib
import importlib
import io
import time
from collections.abc import Mapping
from typing import Any

from onca.detect.datamodel import DataModel
from onca.detect.event import DetectionEvent
from onca.detect.runner import Detection, DetectionKind, RunAborted, run_detection
from onca.detect.testing.cases import TestCase
from onca.detect.testing.mocks import MockTargetError, mocks_applied
from onca.detect.testing.outcome import CaseOutcome, FunctionOutcome, Status
from onca.detect.testing.timeouts import time_limit
from onca.detect.testing.verdict import judge
from onca.detect.tracebacks import content_traceback, describe_error

CORRELATION_MODULE = "onca.detect.correlation"


class TestInputError(ValueError):
    """The test itself is malformed (no event, an event that is not a mapping)."""

    __test__ = False


def _event_for(detection: Detection, case: TestCase, data_models: Mapping[str, DataModel]) -> Mapping[str, Any]:
    if not case.has_data:
        key = "Resource" if detection.kind is DetectionKind.POLICY else "Log"
        raise TestInputError(f"the test has no {key}")
    if not isinstance(case.data, Mapping):
        raise TestInputError(f"the test's event must be a mapping, got {type(case.data).__name__}")
    if detection.kind is DetectionKind.POLICY:
        return case.data  # policies read the resource as a plain dict
    # Scheduled rules read query results, which have no log type and so no data model.
    model = data_models.get(case.data.get("p_log_type") or "") if detection.kind is DetectionKind.RULE else None
    return DetectionEvent(case.data, model)


def run_case(
    detection: Detection,
    case: TestCase,
    data_models: Mapping[str, DataModel],
    *,
    timeout: float | None = None,
    destinations: Mapping[str, str] | None = None,
) -> CaseOutcome:
    """One test of a Python, simple or pypanther detection."""
    started = time.perf_counter()
    captured = io.StringIO()
    outcome = CaseOutcome(name=case.name, status=Status.ERROR, expected=case.expected)
    try:
        event = _event_for(detection, case, data_models)
        with (
            contextlib.redirect_stdout(captured),
            contextlib.redirect_stderr(captured),
            time_limit(timeout, f"{detection.id} / {case.name}"),
            mocks_applied(detection.mock_targets, case.mocks),
        ):
            result = run_detection(detection, event, test_mode=True, destinations=destinations)
        passed, functions, reason = judge(
            detection, case, result, ignore_unknown_destinations=destinations is None
        )
        outcome.status = Status.PASSED if passed else Status.FAILED
        outcome.matcher_output = result.detection_output
        outcome.functions = functions
        outcome.message = reason
    except RunAborted as exc:
        outcome.message = str(exc)
    except (MockTargetError, TestInputError) as exc:
        outcome.message = str(exc)
    except Exception as exc:  # noqa: BLE001 - a failure outside the detection's functions: report, never stop
        outcome.message = f"the test could not run: {describe_error(exc)}"
        outcome.functions = [FunctionOutcome(name="test", error=describe_error(exc),
                                             traceback=content_traceback(exc), ok=False)]
    outcome.stdout = captured.getvalue()
    outcome.seconds = time.perf_counter() - started
    return outcome


def run_correlation_case(spec: Mapping[str, Any], case: TestCase, *, timeout: float | None = None) -> CaseOutcome:
    """One test of a correlation rule, through the correlation engine."""
    started = time.perf_counter()
    outcome = CaseOutcome(name=case.name, status=Status.ERROR, expected=case.expected)
    try:
        correlation = importlib.import_module(CORRELATION_MODULE)
    except ImportError as exc:
        outcome.message = f"correlation rule tests need {CORRELATION_MODULE}, which is not available ({exc})"
        return outcome
    try:
        with time_limit(timeout, case.name):
            alerted = bool(correlation.run_correlation_test(spec, case.rule_outputs or {}))
        outcome.matcher_output = alerted
        if alerted == case.expected:
            outcome.status = Status.PASSED
        else:
            outcome.status = Status.FAILED
            outcome.message = f"the correlation rule {'alerted' if alerted else 'did not alert'}, expected " \
                              f"{'an alert' if case.expected else 'no alert'}"
    except RunAborted as exc:
        outcome.message = str(exc)
    except ValueError as exc:  # CorrelationError: the rule or the test is not valid
        outcome.message = f"invalid correlation rule or test: {exc}"
    except Exception as exc:  # noqa: BLE001 - report it as this test's error, keep going
        outcome.message = f"the correlation engine failed: {describe_error(exc)}"
        outcome.functions = [FunctionOutcome(name="correlation", error=describe_error(exc),
                                             traceback=content_traceback(exc), ok=False)]
    outcome.seconds = time.perf_counter() - started
    return outcome
