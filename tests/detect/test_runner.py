from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest

from onca.detect.event import DetectionEvent
from onca.detect.runner import (
    AUX_FUNCTIONS,
    Detection,
    DetectionKind,
    FunctionReturnTypeError,
    UnknownDestinationError,
    run_detection,
)

EVENT = DetectionEvent({"user": "alice", "ip": "10.0.0.1", "p_log_type": "Custom.Log"})


def detection(kind: DetectionKind = DetectionKind.RULE, default_severity: str = "Medium", **functions) -> Detection:
    namespace = SimpleNamespace(**functions)
    return Detection(
        id="Test.Detection",
        kind=kind,
        namespace=namespace,
        defined=frozenset(name for name in AUX_FUNCTIONS if name in functions),
        severity=default_severity,
    )


def run(det: Detection, event=EVENT, **kwargs):
    return run_detection(det, event, **kwargs)


def test_runner_matcher_must_return_bool():
    result = run(detection(rule=lambda e: 1))
    assert isinstance(result.detection_exception, FunctionReturnTypeError)
    assert str(result.detection_exception) == (
        "detection [Test.Detection] function [rule] returned [int], expected [bool]"
    )
    assert result.detection_output is None and not result.trigger_alert and result.errored


def test_runner_runs_every_aux_function_in_test_mode():
    calls = []

    def track(name, value):
        def function(event):
            calls.append(name)
            return value

        return function

    det = detection(
        rule=track("rule", False), title=track("title", "T"), description=track("description", "D"),
        reference=track("reference", "R"), severity=track("severity", "low"), runbook=track("runbook", "RB"),
        destinations=track("destinations", None), dedup=track("dedup", "DD"), alert_context=track("alert_context", {}),
        unique=track("unique", "U"),
    )
    result = run(det)
    assert calls == ["rule", "title", "description", "reference", "severity", "runbook", "destinations", "dedup",
                     "alert_context", "unique"]
    assert not result.trigger_alert and result.severity_output == "LOW" and result.alert_context_output == "{}"
    calls.clear()
    run(det, test_mode=False)  # live evaluation: no alert, no auxiliary functions
    assert calls == ["rule"]


def test_runner_string_functions_typed_and_truncated():
    long = "x" * 1500
    result = run(detection(rule=lambda e: True, title=lambda e: long, description=lambda e: None,
                           runbook=lambda e: "short"))
    assert len(result.title_output) == 1000 and result.title_output.endswith("... (truncated)")
    assert result.title_output.startswith("x" * 985)
    assert isinstance(result.description_exception, FunctionReturnTypeError)
    assert result.runbook_output == "short"
    assert run(detection(rule=lambda e: True, title=lambda e: "y" * 1000)).title_output == "y" * 1000


@pytest.mark.parametrize(
    ("returned", "output", "error"),
    [("high", "HIGH", None), ("Critical", "CRITICAL", None), ("DEFAULT", "MEDIUM", None), ("default", "MEDIUM", None),
     ("urgent", None, AssertionError), (3, None, FunctionReturnTypeError)],
)
def test_runner_severity_rules(returned, output, error):
    result = run(detection(rule=lambda e: True, severity=lambda e: returned))
    assert result.severity_output == output
    assert (type(result.severity_exception) if result.severity_exception else None) is error


def test_runner_alert_context_rules():
    ok = run(detection(rule=lambda e: True, alert_context=lambda e: {"user": e.get("user"), "event": e}))
    assert json.loads(ok.alert_context_output) == {"user": "alice", "event": EVENT.to_dict()}
    for bad, error in [(lambda e: ["list"], FunctionReturnTypeError), (lambda e: {"n": math.nan}, ValueError),
                       (lambda e: {"s": {1}}, TypeError)]:
        assert isinstance(run(detection(rule=lambda e: True, alert_context=bad)).alert_context_exception, error)
    huge = run(detection(rule=lambda e: True, alert_context=lambda e: {"blob": "z" * 300_000}))
    assert huge.alert_context_exception is None
    assert json.loads(huge.alert_context_output)["_error"].startswith("alert_context size is [300012] characters")


def test_runner_dedup_defaults():
    assert run(detection(rule=lambda e: True, title=lambda e: "Title")).dedup_output == "Title"
    assert run(detection(rule=lambda e: True)).dedup_output == "defaultDedupString:Test.Detection"
    failing_title = run(detection(rule=lambda e: True, title=lambda e: 1 / 0))
    assert failing_title.dedup_output == "defaultDedupString:Test.Detection"
    assert run(detection(rule=lambda e: True, dedup=lambda e: "")).dedup_output == "defaultDedupString:Test.Detection"
    assert len(run(detection(rule=lambda e: True, dedup=lambda e: "d" * 2000)).dedup_output) == 1000
    assert isinstance(run(detection(rule=lambda e: True, dedup=lambda e: None)).dedup_exception,
                      FunctionReturnTypeError)


def test_runner_destinations():
    known = {"Slack #sec": "uuid-1", "PagerDuty": "uuid-2"}

    def dest(value):
        return run(detection(rule=lambda e: True, destinations=lambda e: value), destinations=known)

    assert dest(None).destinations_output is None
    assert dest([]).destinations_output == ["SKIP"]
    assert dest(["Slack #sec", "uuid-2", "Slack #sec"]).destinations_output == ["uuid-1", "uuid-2"]
    unknown = dest(["Nowhere"])
    assert isinstance(unknown.destinations_exception, UnknownDestinationError)
    assert unknown.destinations_exception.result() == ["Nowhere"]
    assert isinstance(dest("Slack #sec").destinations_exception, FunctionReturnTypeError)
    many = {f"d{i}": f"id{i}" for i in range(12)}
    result = run(detection(rule=lambda e: True, destinations=lambda e: list(many)), destinations=many)
    assert len(result.destinations_output) == 10


def test_runner_live_mode_falls_back_on_errors():
    det = detection(rule=lambda e: True, title=lambda e: 1 / 0, severity=lambda e: "bogus",
                    alert_context=lambda e: {"n": math.nan}, dedup=lambda e: e["missing"],
                    destinations=lambda e: ["unknown"], description=lambda e: None)
    result = run(det, test_mode=False)
    assert result.trigger_alert and not result.errored
    assert result.title_output == "Test.Detection"
    assert result.severity_output == "MEDIUM"
    assert result.dedup_output == "defaultDedupString:Test.Detection"
    assert result.destinations_output is None and result.description_output == ""
    assert json.loads(result.alert_context_output)["_error"].startswith("ValueError(")


def test_runner_policy_alerts_on_false():
    failing = run(detection(DetectionKind.POLICY, policy=lambda resource: False), event={"a": 1})
    assert failing.trigger_alert and failing.detection_output is False
    assert not run(detection(DetectionKind.POLICY, policy=lambda resource: True), event={}).trigger_alert


def test_runner_scheduled_rule_without_rule_passes_rows():
    assert run(detection(DetectionKind.SCHEDULED_RULE)).trigger_alert
    missing = run(detection(DetectionKind.RULE))
    assert isinstance(missing.detection_exception, AttributeError)


def test_runner_filters_gate_rules_only():
    det = detection(rule=lambda e: True)
    det.filters = lambda e: e.get("user") == "bob"
    result = run(det)
    assert result.filter_output is False and result.detection_output is False and not result.trigger_alert
    det.filters = lambda e: e.get("user") == "alice"
    assert run(det).trigger_alert
    det.filters = lambda e: 1 / 0
    broken = run(det)
    assert isinstance(broken.filter_exception, ZeroDivisionError) and not broken.trigger_alert
    scheduled = detection(DetectionKind.SCHEDULED_RULE, rule=lambda e: True)
    scheduled.filters = lambda e: False
    assert run(scheduled).trigger_alert  # inline filters apply to streaming rules only


def test_runner_records_system_exit_as_error():
    def leave(event):
        raise SystemExit(3)

    result = run(detection(rule=leave))
    assert isinstance(result.detection_exception, SystemExit)
