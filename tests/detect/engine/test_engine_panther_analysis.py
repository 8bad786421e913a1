"""panther-analysis on the live engine: each AWS.CloudTrail rule test without mocks gives its verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from onca.detect.engine import Engine, EngineOptions, load_engine_content

PANTHER_ANALYSIS = Path("/work/panther-analysis")  # a snapshot, when this machine has one
LOG_TYPE = "AWS.CloudTrail"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not PANTHER_ANALYSIS.is_dir(), reason="no panther-analysis snapshot"),
]


@pytest.fixture(scope="module")
def content():
    return load_engine_content([PANTHER_ANALYSIS])


def _cases(content):
    """(rule id, test name, expected, event) for each CloudTrail test that needs no mocks."""
    cases = []
    for detection in content.rules_for(LOG_TYPE):
        for test in detection.spec.get("Tests") or ():
            log = test.get("Log")
            if test.get("Mocks") or not isinstance(log, dict) or log.get("p_log_type", LOG_TYPE) != LOG_TYPE:
                continue
            cases.append((detection.id, test["Name"], bool(test["ExpectedResult"]), log))
    return cases


def test_engine_loads_all_of_panther_analysis(content):
    assert content.problems == []
    assert len(content.detections) > 700
    assert len(content.rules_for(LOG_TYPE)) > 100
    assert LOG_TYPE in content.data_models


@pytest.mark.parametrize("workers", [0, 2])
def test_engine_cloudtrail_tests_give_their_expected_results(content, tmp_path, workers):
    cases = _cases(content)
    assert len(cases) > 300
    # Live events always carry their log type (which also lets the rule index, when present, take part).
    events = [{**log, "p_log_type": LOG_TYPE} for *_, log in cases]
    options = EngineOptions(
        workers=workers, timeout_seconds=30, kv_url=f"sqlite:///{tmp_path / 'kv.sqlite3'}"
    )
    with Engine(content, options) as engine:
        findings = engine.evaluate(LOG_TYPE, events)
    case_of = {id(log): index for index, log in enumerate(events)}
    alerted = {(case_of[id(f.event)], f.detection_id) for f in findings if f.kind in ("match", "signal")}
    wrong = [
        (rule, name, expected)
        for index, (rule, name, expected, _) in enumerate(cases)
        if ((index, rule) in alerted) != expected
    ]
    assert wrong == []
