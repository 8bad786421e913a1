"""The index never changes a verdict: pypanther's CloudTrail rules over a seeded random stream give the
same findings, in the same order, with and without it."""

from __future__ import annotations

import random

import pytest
from index_equivalence import findings_both_ways, guard_values, mutated

from onca.detect.engine import load_engine_content
from onca.detect.index import explain

LOG_TYPE = "AWS.CloudTrail"
EVENTS = 3000
SEED = 20240601


@pytest.fixture(scope="module")
def cloudtrail():
    from onca.detect.pypanther import import_pypanther, rule_tests

    pypanther = import_pypanther()
    rules = [rule for rule in pypanther.get_panther_rules() if LOG_TYPE in [str(t) for t in rule.log_types]]
    content = load_engine_content([], pypanther_rules=rules)
    assert content.problems == []
    logs = [test.log for rule in rules for test in rule_tests(rule) if isinstance(test.log, dict)]
    return content, logs


def test_index_guards_most_pypanther_cloudtrail_rules(cloudtrail):
    content, _ = cloudtrail
    reports = explain(content.rules_for(LOG_TYPE), content.data_models.get(LOG_TYPE))
    assert len(reports) > 80
    assert sum(report.guarded for report in reports) > len(reports) // 2


def test_index_gives_the_same_findings_as_every_rule(cloudtrail, tmp_path):
    content, logs = cloudtrail
    reports = explain(content.rules_for(LOG_TYPE), content.data_models.get(LOG_TYPE))
    paths = guard_values(reports)
    rng = random.Random(SEED)
    # Every rule's own test events as they are, then random variations of them aimed at the guards.
    events = [{**log, "p_log_type": LOG_TYPE} for log in logs]
    events += [mutated(rng.choice(logs), paths, rng, LOG_TYPE) for _ in range(EVENTS)]
    indexed, every_rule = findings_both_ways(content, LOG_TYPE, events, tmp_path)
    assert len({finding[1] for finding in every_rule}) > 30  # many rules alerted or failed somewhere
    assert indexed == every_rule
