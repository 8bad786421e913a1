"""The verdict on one test, by the rules Panther's test runner applies.

When the test expects an alert (True for rules, False for policies, whose ``policy()`` returns
whether a resource is compliant), it passes only if the detection alerts and no function
raised. Otherwise it passes when the matcher returned exactly the expected value; errors in the
auxiliary functions do not count, since no alert would have been made.
"""

from __future__ import annotations

import json
from typing import Any

from onca.detect.runner import AUX_FUNCTIONS, Detection, RunResult, UnknownDestinationError
from onca.detect.testing.cases import TestCase
from onca.detect.testing.outcome import FunctionOutcome
from onca.detect.tracebacks import content_traceback, describe_error, error_location


def _location(error: BaseException) -> str | None:
    filename, line, function = error_location(error)
    if filename is None:
        return None
    where = f"{filename}:{line}" if line else filename
    return f"{where} in {function}()" if function else where


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, default=str)


def _function(name: str, output: Any, error: BaseException | None, ok: bool = True) -> FunctionOutcome:
    if error is not None:
        return FunctionOutcome(
            name=name,
            error=describe_error(error),
            traceback=content_traceback(error),
            location=_location(error),
            ok=False,
        )
    return FunctionOutcome(name=name, output=_text(output), ok=ok)


def judge(
    detection: Detection, case: TestCase, result: RunResult, *, ignore_unknown_destinations: bool = True
) -> tuple[bool, list[FunctionOutcome], str]:
    """``(passed, function outcomes, reason)``; the reason is empty when the test passed."""
    if ignore_unknown_destinations:
        result.ignore_errors([UnknownDestinationError])
    matcher = detection.matcher_name
    expects_alert = case.expected == detection.alert_value
    functions: list[FunctionOutcome] = []
    if result.filter_exception is not None:
        functions.append(_function("filters", None, result.filter_exception))
    matched = result.detection_output == case.expected
    functions.append(_function(matcher, result.detection_output, result.detection_exception, ok=matched))
    if expects_alert:
        for name in AUX_FUNCTIONS:
            output, error = getattr(result, f"{name}_output"), getattr(result, f"{name}_exception")
            if output is not None or error is not None:
                functions.append(_function(name, output, error))
        passed = result.trigger_alert and not result.errored
    else:
        passed = matched
    reason = "" if passed else _reason(detection, case, result, functions)
    if passed and expects_alert and case.expectations:
        reason = _unmet_expectations(result, case)
        passed = not reason
    return passed, functions, reason


def _reason(detection: Detection, case: TestCase, result: RunResult, functions: list[FunctionOutcome]) -> str:
    matcher = detection.matcher_name
    failures = [f for f in functions if f.error is not None]
    if result.detection_exception is not None:
        return f"{matcher}() raised {describe_error(result.detection_exception)}"
    if result.filter_exception is not None:
        return f"InlineFilters raised {describe_error(result.filter_exception)}"
    if result.filters_did_not_match and case.expected == detection.alert_value:
        return "the inline filters did not match, so no alert"
    if result.detection_output != case.expected:
        return f"{matcher}() returned {_text(result.detection_output)}, expected {_text(case.expected)}"
    if failures:
        return "; ".join(f"{f.name}() raised {f.error}" for f in failures)
    return "the detection did not alert"


_EXPECTATION_FIELDS = ("title", "dedup", "severity", "runbook", "reference", "description")


def _unmet_expectations(result: RunResult, case: TestCase) -> str:
    unmet = []
    for name in _EXPECTATION_FIELDS:
        if name in case.expectations:
            wanted, got = _plain(case.expectations[name]), _plain(getattr(result, f"{name}_output"))
            if wanted != got:
                unmet.append(f"{name}() gave {got!r}, expected {wanted!r}")
    if "alert_context" in case.expectations:
        wanted = case.expectations["alert_context"]
        got = json.loads(result.alert_context_output) if result.alert_context_output else None
        if wanted != got:
            unmet.append(f"alert_context() gave {got!r}, expected {wanted!r}")
    return "; ".join(unmet)


def _plain(value: Any) -> Any:
    """A str subclass (such as a severity enum) compared as its text."""
    return str(value) if isinstance(value, str) else value
