"""Rule code in worker processes: time limits, workers that die, and the same findings as in-process."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from onca.detect.engine import Engine, EngineError, EngineOptions, load_engine_content

LOG_TYPE = "AWS.CloudTrail"

HITS = "def rule(event):\n    return event.get('eventName') == 'hit'\n"
HANGS = """
def rule(event):
    if event.get("eventName") == "hang":
        while True:
            pass
    return False
"""
# Swallows the engine's timeout and keeps looping: only stopping the worker ends it.
STUBBORN = """
def rule(event):
    if event.get("eventName") != "hang":
        return False
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
"""
EXITS = """
import os

def rule(event):
    if event.get("eventName") == "die":
        os._exit(1)
    return False
"""
SEGFAULTS = """
import os, signal

def rule(event):
    if event.get("eventName") == "die":
        os.kill(os.getpid(), signal.SIGSEGV)
    return False
"""
ALWAYS_EXITS = "import os\ndef rule(event):\n    os._exit(7)\n"


def event(name: str, **fields: Any) -> dict[str, Any]:
    return {"p_log_type": LOG_TYPE, "eventName": name, **fields}


def summary(findings):
    return [(f.event["eventName"], f.detection_id, f.kind, f.error) for f in findings]


@pytest.mark.parametrize("workers", [0, 1])
def test_engine_hanging_rule_is_stopped_by_the_time_limit(python_rule, make_engine, workers):
    python_rule("Hits", HITS)
    root = python_rule("Hangs", HANGS)
    # Every rule on every event (no index), so each rule's count covers the whole stream.
    engine = make_engine(root, workers=workers, timeout_seconds=1, use_index=False)
    findings = engine.evaluate(LOG_TYPE, [event("hit"), event("hang"), event("hit")])
    assert summary(findings) == [
        ("hit", "Test.Hits", "match", ""),
        ("hang", "Test.Hangs", "error", "timed out after 1s"),
        ("hit", "Test.Hits", "match", ""),
    ]
    assert "while True" in findings[1].alert_context["traceback"]  # where it was when stopped
    metrics = engine.metrics()
    assert metrics["Test.Hangs"].timeouts == 1 and metrics["Test.Hangs"].errors == 1
    assert metrics["Test.Hangs"].events == 3 and metrics["Test.Hits"].events == 3


def test_engine_rule_that_ignores_its_time_limit_has_its_worker_stopped(python_rule, make_engine):
    python_rule("Hits", HITS)
    root = python_rule("Stubborn", STUBBORN)
    engine = make_engine(root, workers=1, timeout_seconds=1)
    findings = engine.evaluate(LOG_TYPE, [event("hit"), event("hang"), event("hit")])
    assert [(name, rule, kind) for name, rule, kind, _ in summary(findings)] == [
        ("hit", "Test.Hits", "match"),
        ("hang", "Test.Stubborn", "error"),
        ("hit", "Test.Hits", "match"),
    ]
    assert findings[1].error == "timed out after 2s (its worker was stopped)"
    assert engine.worker_restarts == 1
    assert engine.metrics()["Test.Stubborn"].timeouts == 1


@pytest.mark.parametrize(("code", "reason"), [(EXITS, "exit code 1"), (SEGFAULTS, "killed by SIGSEGV")])
def test_engine_rule_that_kills_its_worker_is_reported_alone(python_rule, make_engine, code, reason):
    python_rule("a_before", HITS, rule_id="Test.A.Before")  # rules run in the order their files load
    python_rule("b_dies", code, rule_id="Test.B.Dies")
    root = python_rule("c_after", HITS, rule_id="Test.C.After")
    engine = make_engine(root, workers=1, use_index=False)  # every rule sees every event
    findings = engine.evaluate(
        LOG_TYPE, [event("hit"), event("die"), event("hit"), event("die"), event("hit")]
    )
    hits = [("hit", "Test.A.Before", "match", ""), ("hit", "Test.C.After", "match", "")]
    death = ("die", "Test.B.Dies", "error", f"the rule ended its worker process ({reason})")
    assert summary(findings) == hits + [death] + hits + [death] + hits
    assert engine.worker_restarts == 2
    metrics = engine.metrics()
    # Nothing ran twice, nothing was lost: every rule saw every event once.
    assert {rule: metrics[rule].events for rule in metrics} == {
        "Test.A.Before": 5,
        "Test.B.Dies": 5,
        "Test.C.After": 5,
    }
    assert metrics["Test.B.Dies"].errors == 2 and metrics["Test.A.Before"].matches == 3
    # The engine goes on with fresh workers.
    assert summary(engine.evaluate(LOG_TYPE, [event("hit")])) == hits


def test_engine_rule_crashing_again_and_again_is_skipped_for_the_rest_of_the_call(python_rule, make_engine):
    python_rule("Hits", HITS)
    root = python_rule("Exits", ALWAYS_EXITS)
    engine = make_engine(root, workers=1, max_crashes=2)
    findings = engine.evaluate(LOG_TYPE, [event("hit") for _ in range(4)])
    errors = [f for f in findings if f.kind == "error"]
    assert [f.detection_id for f in errors] == ["Test.Exits", "Test.Exits"]
    assert errors[1].error.endswith("after 2 such failures it is skipped for the rest of these events")
    assert [f.detection_id for f in findings if f.kind == "match"] == ["Test.Hits"] * 4
    assert engine.worker_restarts == 2
    # A later call gives it another chance.
    assert [f.kind for f in engine.evaluate(LOG_TYPE, [event("x")])] == ["error"]


def test_engine_workers_give_the_same_findings_as_in_process(python_rule, make_engine):
    python_rule("Hits", HITS + "def title(event):\n    return 'hit ' + str(event.get('n'))\n")
    python_rule("Errors", "def rule(event):\n    return event['n'] > 5 and event['nope']\n")
    root = python_rule(
        "Context",
        "def rule(event):\n    return event.get('n') % 3 == 0\n"
        "def alert_context(event):\n    return {'n': event.get('n')}\n",
    )
    events = [
        event("hit" if n % 2 else "miss", n=n, p_event_time=f"2024-01-01T00:00:{n:02d}Z") for n in range(40)
    ]
    in_process = make_engine(root, workers=0).evaluate(LOG_TYPE, events)
    two_workers = make_engine(root, workers=2, batch_size=7).evaluate(LOG_TYPE, events)
    assert len(in_process) > 40
    assert two_workers == in_process


def test_engine_workers_metrics_add_up_across_workers(python_rule, make_engine):
    root = python_rule("Hits", HITS)
    engine = make_engine(root, workers=2, batch_size=3, use_index=False)  # counts every event, not candidates
    engine.evaluate(LOG_TYPE, [event("hit"), event("miss")] * 10)
    engine.evaluate(LOG_TYPE, [event("hit")])
    metrics = engine.metrics()["Test.Hits"]
    assert (metrics.events, metrics.matches, metrics.errors) == (21, 11, 0)


def test_engine_rule_output_is_discarded_in_workers(python_rule, make_engine, capfd):
    root = python_rule("Prints", "def rule(event):\n    print('PRINTED BY RULE')\n    return True\n")
    findings = make_engine(root, workers=1).evaluate(LOG_TYPE, [event("x")])
    assert [f.kind for f in findings] == ["match"]
    assert "PRINTED BY RULE" not in capfd.readouterr().out


def test_engine_closed_refuses_work(python_rule, make_engine):
    root = python_rule("Hits", HITS)
    engine = make_engine(root, workers=1)
    engine.close()
    engine.close()  # twice is fine
    with pytest.raises(EngineError, match="closed"):
        engine.evaluate(LOG_TYPE, [event("hit")])


def test_engine_bad_kv_url_is_refused_up_front(python_rule, make_engine):
    root = python_rule("Hits", HITS)
    with pytest.raises(Exception, match="unsupported key-value store URL"):
        make_engine(root, workers=1, kv_url="memcached://nowhere")


def _children(pid: int | str = "self") -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(child) for child in (task / "children").read_text().split()}
    return found


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_engine_close_leaves_no_processes_behind(python_rule, make_engine):
    root = python_rule("Hits", HITS)
    before = _children()
    engine = make_engine(root, workers=2)
    (template,) = _children() - before
    workers = _children(template)
    assert len(workers) == 2
    engine.evaluate(LOG_TYPE, [event("hit")])
    engine.close()
    assert _children() == before
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers | {template})


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_engine_forgotten_without_close_still_stops_its_processes(python_rule, tmp_path):
    root = python_rule("Hits", HITS)
    before = _children()
    engine = Engine(load_engine_content([root]), EngineOptions(workers=1, kv_url=f"sqlite:///{tmp_path}/kv"))
    assert len(_children() - before) == 1
    del engine
    gc.collect()
    assert _children() == before
