"""Engine.reload: new content while the engine's process runs threads, workers forked from the template."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from onca.detect.engine import EngineError

LOG_TYPE = "AWS.CloudTrail"

MATCH_A = "def rule(event):\n    return event.get('eventName') == 'A'\n"
MATCH_B = "def rule(event):\n    return event.get('eventName') == 'B'\n"
EVENTS = [{"eventName": "A", "p_log_type": LOG_TYPE}, {"eventName": "B", "p_log_type": LOG_TYPE}]


def write_rule(root: Path, name: str, code: str) -> None:
    (root / "rules").mkdir(parents=True, exist_ok=True)
    spec = f"AnalysisType: rule\nRuleID: Test.{name}\nEnabled: true\nSeverity: Low\nLogTypes: [{LOG_TYPE}]\n"
    (root / "rules" / f"{name}.yml").write_text(spec + f"Filename: {name}.py\n")
    (root / "rules" / f"{name}.py").write_text(code)


def matched(engine, events=EVENTS) -> list[tuple[str, str]]:
    return [(f.detection_id, f.event["eventName"]) for f in engine.evaluate(LOG_TYPE, events) if f.kind == "match"]


@pytest.mark.parametrize("workers", [0, 2])
def test_reload_replaces_changes_and_removes_rules(tmp_path: Path, make_engine, workers: int) -> None:
    root = tmp_path / "content"
    write_rule(root, "first", MATCH_A)
    engine = make_engine(root, workers=workers, reloadable=True)
    assert matched(engine) == [("Test.first", "A")]

    write_rule(root, "first", MATCH_B)  # changed code, same id
    write_rule(root, "second", MATCH_A)  # a new rule
    # Threads running while workers are forked again is the point: the template keeps that safe.
    stop = threading.Event()
    spinner = threading.Thread(target=lambda: stop.wait(30), daemon=True)
    spinner.start()
    try:
        content = engine.reload([root])
    finally:
        stop.set()
    assert content.problems == []
    assert sorted(matched(engine)) == [("Test.first", "B"), ("Test.second", "A")]

    (root / "rules" / "second.yml").unlink()
    (root / "rules" / "second.py").unlink()
    engine.reload([root])
    assert matched(engine) == [("Test.first", "B")]
    assert engine.rules_for(LOG_TYPE) == ["Test.first"]


def test_metrics_of_rules_that_stay_are_kept(tmp_path: Path, make_engine) -> None:
    root = tmp_path / "content"
    write_rule(root, "first", MATCH_A)
    engine = make_engine(root, workers=1, reloadable=True, use_index=False)  # every rule sees every event
    matched(engine)
    write_rule(root, "second", MATCH_B)
    engine.reload([root])
    matched(engine)
    metrics = engine.metrics()
    assert metrics["Test.first"].events == 4 and metrics["Test.first"].matches == 2
    assert metrics["Test.second"].events == 2 and metrics["Test.second"].matches == 1


def test_broken_new_content_is_reported_and_the_rest_runs(tmp_path: Path, make_engine) -> None:
    root = tmp_path / "content"
    write_rule(root, "first", MATCH_A)
    engine = make_engine(root, workers=1, reloadable=True)
    write_rule(root, "broken", "def rule(event:\n")
    content = engine.reload([root])
    assert [problem.item_id for problem in content.problems] == ["Test.broken"]
    assert matched(engine) == [("Test.first", "A")]


def test_an_engine_started_without_reloadable_says_so(tmp_path: Path, make_engine) -> None:
    root = tmp_path / "content"
    write_rule(root, "first", MATCH_A)
    engine = make_engine(root, workers=1)
    with pytest.raises(EngineError, match="reloadable"):
        engine.reload([root])
    assert matched(engine) == [("Test.first", "A")]


def test_workers_keep_running_when_the_new_zygote_cannot_load(tmp_path: Path, make_engine) -> None:
    root = tmp_path / "content"
    write_rule(root, "first", MATCH_A)
    engine = make_engine(root, workers=1, reloadable=True)
    engine._resources.template.close()  # the template is gone: no new workers can be made
    with pytest.raises(EngineError, match="template"):
        engine.reload([root])
    assert matched(engine) == [("Test.first", "A")]
