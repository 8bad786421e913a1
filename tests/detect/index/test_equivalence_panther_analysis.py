"""The index never changes a verdict over a panther-analysis snapshot: for every log type its rules use,
every rule's test events (and a variation of each aimed at the guards) give the same findings, in the same
order, with and without the index. Set ONCA_PANTHER_ANALYSIS to the snapshot's directory."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from index_equivalence import findings_both_ways, guard_values, mutated

from onca.detect.engine import load_engine_content
from onca.detect.index import explain

SNAPSHOT = Path(os.environ.get("ONCA_PANTHER_ANALYSIS", "") or "/nonexistent")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("ONCA_PANTHER_ANALYSIS") or not SNAPSHOT.is_dir(),
        reason="set ONCA_PANTHER_ANALYSIS to a panther-analysis snapshot",
    ),
]


@pytest.fixture(scope="module")
def content():
    loaded = load_engine_content([SNAPSHOT])
    assert loaded.problems == []
    return loaded


def test_index_gives_the_same_findings_over_panther_analysis(content, tmp_path):
    rng = random.Random(7)
    compared = 0
    for log_type in content.log_types:
        rules = content.rules_for(log_type)
        logs = [
            test["Log"]
            for rule in rules
            for test in rule.spec.get("Tests") or ()
            if isinstance(test.get("Log"), dict) and test["Log"].get("p_log_type", log_type) == log_type
        ]
        if not logs:
            continue
        paths = guard_values(explain(rules, content.data_models.get(log_type)))
        events = [{**log, "p_log_type": log_type} for log in logs]
        events += [mutated(log, paths, rng, log_type) for log in logs]
        indexed, every_rule = findings_both_ways(content, log_type, events, tmp_path)
        assert indexed == every_rule, log_type
        compared += len(events)
    assert compared > 2000
