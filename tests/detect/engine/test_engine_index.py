"""The engine asks the rule index which rules an event can reach, and never loses a verdict to it."""

from __future__ import annotations

import pytest

from onca.detect.engine import engine as engine_module

LOG_TYPE = "AWS.CloudTrail"
TRUE_RULE = "def rule(event):\n    return True\n"


class OnlyGuarded:
    """Stands in for onca.detect.index.RuleIndex: only rules whose id ends in "Guarded" are candidates."""

    built: list[list[str]] = []

    def __init__(self, detections):
        self.detections = list(detections)
        OnlyGuarded.built.append([d.id for d in detections])

    def candidates(self, event):
        if event.get("explode"):
            raise RuntimeError("index bug")
        return [d for d in self.detections if d.id.endswith("Guarded") and event.get("eventName") == "hit"]


class Unbuildable:
    def __init__(self, detections):
        raise ValueError("cannot index")


@pytest.fixture
def two_rules(python_rule):
    python_rule("Guarded", TRUE_RULE, rule_id="Test.Guarded")
    return python_rule("Plain", TRUE_RULE, rule_id="Test.Plain")


@pytest.mark.parametrize("workers", [0, 1])
def test_engine_runs_only_the_index_candidates(two_rules, make_engine, monkeypatch, workers):
    OnlyGuarded.built = []
    monkeypatch.setattr(engine_module, "rule_index_class", lambda: OnlyGuarded)
    engine = make_engine(two_rules, workers=workers)
    assert OnlyGuarded.built == [["Test.Guarded", "Test.Plain"]]
    events = [{"p_log_type": LOG_TYPE, "eventName": "hit"}, {"p_log_type": LOG_TYPE, "eventName": "miss"}]
    assert [f.detection_id for f in engine.evaluate(LOG_TYPE, events)] == ["Test.Guarded"]
    metrics = engine.metrics()
    assert metrics["Test.Guarded"].events == 1 and metrics["Test.Plain"].events == 0


def test_engine_without_the_events_log_type_runs_every_rule(two_rules, make_engine, monkeypatch):
    monkeypatch.setattr(engine_module, "rule_index_class", lambda: OnlyGuarded)
    engine = make_engine(two_rules, workers=0)
    findings = engine.evaluate(
        LOG_TYPE, [{"eventName": "miss"}, {"p_log_type": "Other", "eventName": "miss"}]
    )
    assert len(findings) == 4


def test_engine_falls_back_to_every_rule_when_the_index_fails(two_rules, make_engine, monkeypatch):
    monkeypatch.setattr(engine_module, "rule_index_class", lambda: OnlyGuarded)
    engine = make_engine(two_rules, workers=0)
    findings = engine.evaluate(LOG_TYPE, [{"p_log_type": LOG_TYPE, "explode": True}])
    assert [f.detection_id for f in findings] == ["Test.Guarded", "Test.Plain"]


def test_engine_without_an_index_runs_every_rule(two_rules, make_engine, monkeypatch):
    monkeypatch.setattr(engine_module, "rule_index_class", lambda: Unbuildable)
    event = {"p_log_type": LOG_TYPE, "eventName": "miss"}
    assert len(make_engine(two_rules, workers=0).evaluate(LOG_TYPE, [event])) == 2
    monkeypatch.setattr(engine_module, "rule_index_class", lambda: OnlyGuarded)
    assert len(make_engine(two_rules, workers=0, use_index=False).evaluate(LOG_TYPE, [event])) == 2
