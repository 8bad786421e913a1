"""Compiling correlation rules: what is read, and errors that name the key path."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from onca.detect.correlation import (
    CorrelationError,
    compile_correlation,
    rule_output_matches,
    run_correlation_test,
)

GROUP: dict[str, Any] = {
    "Detection": [
        {
            "Group": [
                {"ID": "A", "RuleID": "Rule.A", "MinMatchCount": 2},
                {"ID": "B", "RuleID": "Rule.B", "Absence": True},
            ],
            "MatchCriteria": {
                "user": [{"GroupID": "A", "Match": "actor"}, {"GroupID": "B", "Match": "user.name"}]
            },
            "LookbackWindowMinutes": 90,
            "EventEvaluationOrder": "Chronological",
            "Schedule": {"RateMinutes": 60, "TimeoutMinutes": 5},
        }
    ]
}
SEQUENCE: dict[str, Any] = {
    "Detection": [
        {
            "Sequence": [{"ID": "A", "RuleID": "Rule.A"}, {"ID": "B", "RuleID": "Rule.B"}],
            "Transitions": [
                {"ID": "t", "From": "A", "To": "B", "WithinTimeFrameMinutes": 30, "Match": [{"On": "user"}]}
            ],
            "Schedule": {"CronExpression": "0 * * * *", "TimeoutMinutes": 5},
        }
    ]
}


def with_change(spec: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(spec)
    target = changed["Detection"][0]
    for step in path[:-1]:
        target = target[step]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return changed


def test_correlation_spec_group_is_read() -> None:
    rule = compile_correlation(GROUP)
    assert rule.kind == "Group"
    assert [(m.id, m.rule_id, m.min_count, m.absence) for m in rule.members] == [
        ("A", "Rule.A", 2, False),
        ("B", "Rule.B", 1, True),
    ]
    assert rule.criteria[0].name == "user" and dict(rule.criteria[0].fields) == {
        "A": "actor",
        "B": "user.name",
    }
    assert rule.lookback == timedelta(minutes=90)
    assert (rule.schedule.rate_minutes, rule.schedule.timeout_minutes) == (60, 5)


def test_correlation_spec_sequence_is_read() -> None:
    rule = compile_correlation(SEQUENCE)
    (transition,) = rule.transitions
    assert (transition.id, transition.from_, transition.to) == ("t", 0, 1)
    assert (transition.within, transition.from_field, transition.to_field) == (
        timedelta(minutes=30),
        "user",
        "user",
    )
    assert rule.schedule.cron_expression == "0 * * * *"
    assert rule.lookback is None


def test_correlation_spec_member_id_defaults_to_rule_id() -> None:
    spec = with_change(SEQUENCE, ["Sequence"], [{"RuleID": "Rule.A"}, {"RuleID": "Rule.B"}])
    spec["Detection"][0]["Transitions"] = [{"From": "Rule.A", "To": "Rule.B"}]
    rule = compile_correlation(spec)
    assert [m.id for m in rule.members] == ["Rule.A", "Rule.B"]


@pytest.mark.parametrize(
    ("base", "path", "value", "message"),
    [
        (GROUP, ["Group", 0, "RuleID"], KeyError, "Detection[0].Group[0].RuleID: must be a non-empty string"),
        (GROUP, ["Group", 1, "ID"], "A", "Detection[0].Group[1].ID: duplicate member ID 'A'"),
        (
            GROUP,
            ["Group", 0, "MinMatchCount"],
            0,
            "Detection[0].Group[0].MinMatchCount: must be an integer >= 1",
        ),
        (
            GROUP,
            ["Group", 0, "MinMatchCount"],
            True,
            "Detection[0].Group[0].MinMatchCount: must be an integer",
        ),
        (
            GROUP,
            ["Group", 0, "MaxMatchCount"],
            1,
            "Detection[0].Group[0].MaxMatchCount: must be an integer >= 2",
        ),
        (GROUP, ["Group", 1, "Absence"], "yes", "Detection[0].Group[1].Absence: must be true or false"),
        (GROUP, ["Group", 0, "Abscence"], True, "Detection[0].Group[0].Abscence: unknown member key"),
        (
            GROUP,
            ["Group", 0, "Absence"],
            True,
            "Detection[0].Group: needs at least one member that is not an Absence",
        ),
        (GROUP, ["Group"], [], "Detection[0].Group: must be a non-empty list"),
        (
            GROUP,
            ["MatchCriteria", "user", 0, "GroupID"],
            "C",
            "Detection[0].MatchCriteria.user[0].GroupID: unknown member 'C'",
        ),
        (
            GROUP,
            ["MatchCriteria", "user", 1, "Match"],
            "",
            "Detection[0].MatchCriteria.user[1].Match: must be a non-empty",
        ),
        (GROUP, ["MatchCriteria", "user"], [], "Detection[0].MatchCriteria.user: must be a non-empty list"),
        (GROUP, ["LookbackWindowMinutes"], -5, "Detection[0].LookbackWindowMinutes: must be an integer >= 1"),
        (
            GROUP,
            ["EventEvaluationOrder"],
            "Random",
            "Detection[0].EventEvaluationOrder: must be Chronological",
        ),
        (GROUP, ["Schedule"], KeyError, "Detection[0].Schedule: is required"),
        (
            GROUP,
            ["Schedule", "CronExpression"],
            "* * * * *",
            "Detection[0].Schedule: needs exactly one of RateMinutes",
        ),
        (
            GROUP,
            ["Schedule", "TimeoutMinutes"],
            90,
            "Detection[0].Schedule.RateMinutes: must be >= TimeoutMinutes",
        ),
        (GROUP, ["Transitions"], [], "Detection[0].Transitions: is not allowed in a Group rule"),
        (GROUP, ["MinMatchCount"], 2, "Detection[0].MinMatchCount: exceeds the 1 members"),
        (SEQUENCE, ["MatchCriteria"], {}, "Detection[0].MatchCriteria: is not allowed in a Sequence rule"),
        (SEQUENCE, ["Transitions", 0, "From"], "Z", "Detection[0].Transitions[0].From: unknown member 'Z'"),
        (
            SEQUENCE,
            ["Transitions", 0, "From"],
            "B",
            "Detection[0].Transitions[0]: From 'B' must come before To 'B'",
        ),
        (
            SEQUENCE,
            ["Transitions", 0, "WithinTimeFrameMinutes"],
            "1h",
            "Transitions[0].WithinTimeFrameMinutes: must be an integer",
        ),
        (
            SEQUENCE,
            ["Transitions", 0, "Match"],
            [{"On": "a"}, {"On": "b"}],
            "Transitions[0].Match: must be a list holding one",
        ),
        (
            SEQUENCE,
            ["Transitions", 0, "Match"],
            [{"From": "a"}],
            "Transitions[0].Match[0]: needs On, or both From and To",
        ),
        (
            SEQUENCE,
            ["Transitions", 0, "Match"],
            [{"On": "a", "To": "b"}],
            "Transitions[0].Match[0]: give either On",
        ),
        (
            SEQUENCE,
            ["Transitions", 0, "Match"],
            [{"Field": "a"}],
            "Transitions[0].Match[0].Field: unknown key",
        ),
        (
            SEQUENCE,
            ["Transitions", 0, "Within"],
            5,
            "Detection[0].Transitions[0].Within: unknown transition key",
        ),
    ],
)
def test_correlation_spec_errors_name_the_path(
    base: dict[str, Any], path: list[Any], value: Any, message: str
) -> None:
    with pytest.raises(CorrelationError) as raised:
        compile_correlation(with_change(base, path, value))
    assert message in str(raised.value)


def test_correlation_spec_needs_exactly_one_detection_item() -> None:
    with pytest.raises(CorrelationError, match=r"^Detection: must be a list holding exactly one"):
        compile_correlation({"Detection": GROUP["Detection"] * 2})
    with pytest.raises(
        CorrelationError, match=r"^Detection\[0\]: must hold exactly one of Group or Sequence"
    ):
        compile_correlation({"Detection": [{"Schedule": {"RateMinutes": 60, "TimeoutMinutes": 5}}]})
    with pytest.raises(CorrelationError, match=r"^Detection: is required"):
        compile_correlation({"RuleID": "x"})


def test_correlation_spec_accepts_bare_detection_item() -> None:
    assert compile_correlation(GROUP["Detection"][0]).kind == "Group"


@pytest.mark.parametrize(
    ("test", "message"),
    [
        (
            {"RuleOutputs": [{"ID": "Z", "Matches": {}}]},
            "RuleOutputs[0].ID: names no member of the rule: 'Z'",
        ),
        (
            {"RuleOutputs": [{"ID": "A", "Matches": {"f": ["x"]}}]},
            "RuleOutputs[0].Matches.f: must map values to lists",
        ),
        (
            {"RuleOutputs": [{"ID": "A", "Matches": {"f": {"v": 3}}}]},
            "RuleOutputs[0].Matches.f.v: must be a list",
        ),
        (
            {"RuleOutputs": [{"ID": "A", "Matches": {"f": {"v": ["soon"]}}}]},
            "RuleOutputs[0].Matches.f.v[0]: is not a timestamp",
        ),
        (
            {"RuleOutputs": [{"ID": "A", "Matches": {"f": {"v": [True]}}}]},
            "RuleOutputs[0].Matches.f.v[0]: must be minutes",
        ),
        ({}, "RuleOutputs: must be a list"),
    ],
)
def test_correlation_test_case_errors_name_the_path(test: dict[str, Any], message: str) -> None:
    with pytest.raises(CorrelationError) as raised:
        run_correlation_test(GROUP, test)
    assert message in str(raised.value)


def test_correlation_test_case_builds_one_match_per_time() -> None:
    rule = compile_correlation(GROUP)
    test = {
        "RuleOutputs": [{"ID": "A", "Matches": {"actor": {"ann": [0, 2], "bob": ["2024-01-01T00:05:00Z"]}}}]
    }
    matches = rule_output_matches(rule, test)
    assert [(m.member_id, m.rule_id, m.fields["actor"]) for m in matches] == [
        ("A", "Rule.A", "ann"),
        ("A", "Rule.A", "ann"),
        ("A", "Rule.A", "bob"),
    ]
    assert [m.time.minute for m in matches] == [0, 2, 5]
