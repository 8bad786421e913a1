"""pypanther rule classes run on the live engine beside panther-analysis content."""

from __future__ import annotations

import pytest

from onca.detect.engine import load_engine_content
from onca.detect.pypanther import import_pypanther

LOG_TYPE = "AWS.CloudTrail"

pypanther = pytest.importorskip("pypanther")
import_pypanther()  # Onca's platform modules in place before rule classes are defined


class HitRule(pypanther.Rule):
    id = "Test.PyPanther.Hit"
    log_types = [pypanther.LogType.AWS_CLOUDTRAIL]
    default_severity = pypanther.Severity.HIGH
    display_name = "Hit from pypanther"
    threshold = 4
    dedup_period_minutes = 30
    default_runbook = "look at it"
    create_alert = False

    def rule(self, event):
        return event.get("eventName") == "hit"

    def title(self, event):
        return f"hit by {event.get('user')}"


class DisabledRule(HitRule):
    id = "Test.PyPanther.Disabled"
    enabled = False


@pytest.mark.parametrize("workers", [0, 1])
def test_engine_runs_pypanther_rule_classes(python_rule, make_engine, workers):
    root = python_rule("Yaml", "def rule(event):\n    return event.get('eventName') == 'hit'\n")
    content = load_engine_content([root], pypanther_rules=[HitRule, DisabledRule])
    assert content.problems == []
    assert [d.id for d in content.rules_for(LOG_TYPE)] == ["Test.Yaml", "Test.PyPanther.Hit"]
    engine = make_engine(content, workers=workers)
    findings = engine.evaluate(LOG_TYPE, [{"eventName": "hit", "user": "ann"}, {"eventName": "miss"}])
    assert [(f.detection_id, f.kind) for f in findings] == [
        ("Test.Yaml", "match"),
        ("Test.PyPanther.Hit", "signal"),
    ]
    signal = findings[1]
    assert (signal.title, signal.severity, signal.detection_name) == (
        "hit by ann",
        "HIGH",
        "Hit from pypanther",
    )
    assert (signal.threshold, signal.dedup_period_minutes, signal.runbook) == (4, 30, "look at it")
