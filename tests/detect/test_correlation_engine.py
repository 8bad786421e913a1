"""The correlation engine on inline rules: groups, absences, counts, match criteria, sequences,
transitions and the lookback window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from onca.detect.correlation import (
    CorrelationRule,
    RuleMatch,
    compile_correlation,
    flatten_fields,
    run_correlation_test,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SCHEDULE = {"RateMinutes": 60, "TimeoutMinutes": 5}


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def sig(member: str, minutes: float, **fields: Any) -> RuleMatch:
    return RuleMatch(rule_id=f"Rule.{member}", member_id=member, time=at(minutes), fields=fields)


def group(*members: dict[str, Any], criteria: dict[str, Any] | None = None, **extra: Any) -> CorrelationRule:
    item: dict[str, Any] = {
        "Group": list(members),
        "Schedule": SCHEDULE,
        "LookbackWindowMinutes": 120,
        **extra,
    }
    if criteria is not None:
        item["MatchCriteria"] = criteria
    return compile_correlation({"Detection": [item]})


def member(member_id: str, **extra: Any) -> dict[str, Any]:
    return {"ID": member_id, "RuleID": f"Rule.{member_id}", **extra}


def on(field: str, *member_ids: str) -> dict[str, Any]:
    return {"user": [{"GroupID": m, "Match": field} for m in member_ids]}


def sequence(
    *members: dict[str, Any], transitions: list[dict[str, Any]] | None = None, lookback: int = 120
) -> CorrelationRule:
    item: dict[str, Any] = {
        "Sequence": list(members),
        "Schedule": SCHEDULE,
        "LookbackWindowMinutes": lookback,
    }
    if transitions is not None:
        item["Transitions"] = transitions
    return compile_correlation({"Detection": [item]})


# --- Group ---------------------------------------------------------------------------------


def test_correlation_group_needs_every_member_on_a_shared_value() -> None:
    rule = group(member("Login"), member("Change"), criteria=on("actor", "Login", "Change"))
    now = at(10)
    assert rule.evaluate([sig("Login", 0, actor="ann"), sig("Change", 5, actor="ann")], now=now)
    assert not rule.evaluate([sig("Login", 0, actor="ann"), sig("Change", 5, actor="bob")], now=now)
    assert not rule.evaluate([sig("Login", 0, actor="ann")], now=now)
    # Order does not matter in a group.
    assert rule.evaluate([sig("Change", 0, actor="ann"), sig("Login", 5, actor="ann")], now=now)


def test_correlation_group_hit_carries_key_and_signals() -> None:
    rule = group(member("Login"), member("Change"), criteria=on("actor", "Login", "Change"))
    signals = [sig("Login", 0, actor="ann"), sig("Change", 5, actor="ann"), sig("Change", 7, actor="bob")]
    (hit,) = rule.evaluate(signals, now=at(10))
    assert hit.key == (("user", "ann"),)
    assert hit.dedup == "user=ann"
    assert hit.by_member == {"Login": (signals[0],), "Change": (signals[1],)}
    assert hit.matches == (signals[0], signals[1])
    assert (hit.first_time, hit.last_time) == (at(0), at(5))


def test_correlation_group_one_hit_per_correlated_value() -> None:
    rule = group(member("Login"), member("Change"), criteria=on("actor", "Login", "Change"))
    signals = [sig("Login", 0, actor=a) for a in ("ann", "bob", "cy")] + [
        sig("Change", 3, actor=a) for a in ("bob", "ann")
    ]
    assert sorted(hit.key for hit in rule.evaluate(signals, now=at(10))) == [
        (("user", "ann"),),
        (("user", "bob"),),
    ]


def test_correlation_group_match_criteria_with_different_field_per_member() -> None:
    criteria = {
        "run": [
            {"GroupID": "Run", "Match": "workflow_run.id"},
            {"GroupID": "Job", "Match": "workflow_job.run_id"},
        ]
    }
    rule = group(member("Run"), member("Job"), criteria=criteria)
    run = sig("Run", 0, **{"workflow_run.id": 12345678})
    job = sig("Job", 1, **{"workflow_job.run_id": "12345678"})  # same id, written as a string
    assert rule.evaluate([run, job], now=at(5))
    other = sig("Job", 1, **{"workflow_job.run_id": "87654321"})
    assert not rule.evaluate([run, other], now=at(5))


def test_correlation_group_several_criteria_must_all_hold() -> None:
    criteria = {
        "user": [{"GroupID": "A", "Match": "user"}, {"GroupID": "B", "Match": "user"}],
        "ip": [{"GroupID": "A", "Match": "ip"}, {"GroupID": "B", "Match": "source.ip"}],
    }
    rule = group(member("A"), member("B"), criteria=criteria)
    a = sig("A", 0, user="ann", ip="1.1.1.1")
    assert rule.evaluate([a, sig("B", 1, user="ann", **{"source.ip": "1.1.1.1"})], now=at(5))
    assert not rule.evaluate([a, sig("B", 1, user="ann", **{"source.ip": "2.2.2.2"})], now=at(5))
    assert not rule.evaluate([a, sig("B", 1, user="bob", **{"source.ip": "1.1.1.1"})], now=at(5))


def test_correlation_group_list_values_correlate_on_any_element_but_empty_never() -> None:
    rule = group(member("A"), member("B"), criteria=on("p_any_emails", "A", "B"))
    a = sig("A", 0, p_any_emails=["x@corp.com", "ann@corp.com"])
    assert rule.evaluate([a, sig("B", 1, p_any_emails="ann@corp.com")], now=at(5))
    assert not rule.evaluate([sig("A", 0, p_any_emails=""), sig("B", 1, p_any_emails="")], now=at(5))
    assert not rule.evaluate([sig("A", 0), sig("B", 1)], now=at(5))


def test_correlation_group_nested_fields_are_looked_up_by_path() -> None:
    rule = group(member("A"), member("B"), criteria=on("p_alert_context.actor.email", "A", "B"))
    nested = {"p_alert_context": {"actor": {"email": "ann@corp.com"}}}
    a = RuleMatch("Rule.A", "A", at(0), nested)
    b = RuleMatch("Rule.B", "B", at(1), flatten_fields(nested))
    assert "p_alert_context.actor.email" in b.fields
    assert rule.evaluate([a, b], now=at(5))


def test_correlation_group_absence_spoils_only_on_the_same_value() -> None:
    rule = group(member("Push", Absence=True), member("Okta"), criteria=on("email", "Push", "Okta"))
    okta = sig("Okta", 3, email="frodo@shire")
    assert rule.evaluate([okta], now=at(5))
    assert not rule.evaluate([okta, sig("Push", 0, email="frodo@shire")], now=at(5))
    # Absence holds in either order inside the window.
    assert not rule.evaluate([okta, sig("Push", 4, email="frodo@shire")], now=at(5))
    assert rule.evaluate([okta, sig("Push", 0, email="sam@shire")], now=at(5))


def test_correlation_group_absence_without_criteria_spoils_on_anything() -> None:
    rule = group(member("Quarantined", Absence=True), member("SecretFound"))
    assert rule.evaluate([sig("SecretFound", 0)], now=at(5))
    assert not rule.evaluate([sig("SecretFound", 0), sig("Quarantined", 1)], now=at(5))


def test_correlation_group_absence_min_count_tolerates_fewer() -> None:
    rule = group(member("Push", Absence=True, MinMatchCount=2), member("Okta"))
    assert rule.evaluate([sig("Okta", 0), sig("Push", 1)], now=at(5))
    assert not rule.evaluate([sig("Okta", 0), sig("Push", 1), sig("Push", 2)], now=at(5))


def test_correlation_group_min_and_max_match_count() -> None:
    rule = group(
        member("Fail", MinMatchCount=5, MaxMatchCount=7),
        member("Success"),
        criteria=on("ip", "Fail", "Success"),
    )
    success = sig("Success", 30, ip="1.1.1.1")
    fails = [sig("Fail", m, ip="1.1.1.1") for m in range(8)]
    assert not rule.evaluate([*fails[:4], success], now=at(30))
    assert rule.evaluate([*fails[:5], success], now=at(30))
    assert rule.evaluate([*fails[:7], success], now=at(30))
    assert not rule.evaluate([*fails, success], now=at(30))
    # Failures from another address do not count toward this one.
    mixed = [*fails[:4], sig("Fail", 9, ip="2.2.2.2"), success]
    assert not rule.evaluate(mixed, now=at(30))


def test_correlation_group_level_min_match_count() -> None:
    rule = group(member("A"), member("B"), member("C"), MinMatchCount=2)
    assert rule.evaluate([sig("A", 0), sig("C", 1)], now=at(5))
    assert not rule.evaluate([sig("C", 1)], now=at(5))
    (hit,) = rule.evaluate([sig("A", 0), sig("C", 1)], now=at(5))
    assert set(hit.by_member) == {"A", "C"}


def test_correlation_lookback_window_bounds_everything() -> None:
    rule = group(member("Fail"), member("Success"), criteria=on("user", "Fail", "Success"))
    fail, success = sig("Fail", 0, user="u"), sig("Success", 121, user="u")
    assert not rule.evaluate([fail, success], now=at(121))
    assert rule.evaluate([fail, sig("Success", 120, user="u")], now=at(120))
    # Signals after "now" belong to a later window.
    assert not rule.evaluate([fail, sig("Success", 60, user="u")], now=at(30))


def test_correlation_matches_routed_by_rule_id_when_member_unknown() -> None:
    rule = group(member("Login"), member("Change"), criteria=on("actor", "Login", "Change"))
    login = RuleMatch("Rule.Login", "", at(0), {"actor": "ann"})
    change = RuleMatch("Rule.Change", "", at(1), {"actor": "ann"})
    stranger = RuleMatch("Rule.Other", "", at(1), {"actor": "ann"})
    assert rule.evaluate([login, change], now=at(5))
    assert not rule.evaluate([login, stranger], now=at(5))
    assert rule.rule_ids == {"Rule.Login", "Rule.Change"}


def test_correlation_naive_times_are_utc() -> None:
    rule = group(member("A"), member("B"))
    naive = RuleMatch("Rule.A", "A", datetime(2025, 3, 1, 12, 0), {})
    assert rule.evaluate([naive, sig("B", 1)], now=at(5))


def test_correlation_reverse_chronological_orders_hit_signals() -> None:
    rule = group(member("A"), member("B"), EventEvaluationOrder="ReverseChronological")
    a, b = sig("A", 0), sig("B", 1)
    (hit,) = rule.evaluate([a, b], now=at(5))
    assert hit.matches == (b, a)


# --- Sequence ------------------------------------------------------------------------------


def test_correlation_sequence_respects_order() -> None:
    rule = sequence(member("Created"), member("Deleted"))
    assert rule.evaluate([sig("Created", 0), sig("Deleted", 5)], now=at(10))
    assert not rule.evaluate([sig("Deleted", 0), sig("Created", 5)], now=at(10))
    assert not rule.evaluate([sig("Created", 0)], now=at(10))


def test_correlation_sequence_transition_time_frame() -> None:
    transition = {"ID": "t", "From": "Created", "To": "Deleted", "WithinTimeFrameMinutes": 45}
    rule = sequence(member("Created"), member("Deleted"), transitions=[transition])
    assert rule.evaluate([sig("Created", 0), sig("Deleted", 45)], now=at(60))
    assert not rule.evaluate([sig("Created", 0), sig("Deleted", 46)], now=at(60))
    # A later start that is close enough still makes the chain.
    assert rule.evaluate([sig("Created", 0), sig("Created", 10), sig("Deleted", 50)], now=at(60))


def test_correlation_sequence_transition_match_on_same_field() -> None:
    transition = {
        "From": "Created",
        "To": "Deleted",
        "WithinTimeFrameMinutes": 720,
        "Match": [{"On": "target"}],
    }
    rule = sequence(member("Created"), member("Deleted"), transitions=[transition], lookback=2160)
    assert rule.evaluate([sig("Created", 0, target="x"), sig("Deleted", 640, target="x")], now=at(700))
    assert not rule.evaluate([sig("Created", 0, target="x"), sig("Deleted", 640, target="y")], now=at(700))
    hits = rule.evaluate(
        [
            sig("Created", 0, target="x"),
            sig("Created", 1, target="y"),
            sig("Deleted", 5, target="y"),
            sig("Deleted", 6, target="x"),
        ],
        now=at(10),
    )
    assert sorted(hit.key for hit in hits) == [(("target", "x"),), (("target", "y"),)]


def test_correlation_sequence_transition_match_from_to_fields() -> None:
    transition = {
        "From": "Stop",
        "To": "Modify",
        "Match": [{"From": "instance_id", "To": "request.instanceId"}],
    }
    rule = sequence(member("Stop"), member("Modify"), transitions=[transition])
    stop = sig("Stop", 0, instance_id="i-1")
    assert rule.evaluate([stop, sig("Modify", 1, **{"request.instanceId": "i-1"})], now=at(5))
    assert not rule.evaluate([stop, sig("Modify", 1, **{"request.instanceId": "i-2"})], now=at(5))
    assert not rule.evaluate([stop, sig("Modify", 1, instance_id="i-1")], now=at(5))


def test_correlation_sequence_yaml11_on_key_accepted() -> None:
    transition = {"From": "A", "To": "B", "Match": [{True: "user"}]}
    rule = sequence(member("A"), member("B"), transitions=[transition])
    assert rule.transitions[0].from_field == "user"


def test_correlation_sequence_min_match_count() -> None:
    rule = sequence(member("First", MinMatchCount=7), member("Second"), lookback=15)
    firsts = [sig("First", m) for m in (1, 2, 3, 4, 4, 4, 5)]
    assert rule.evaluate([*firsts, sig("Second", 6)], now=at(6))
    assert not rule.evaluate([*firsts[:6], sig("Second", 6)], now=at(6))
    # The second stage must come after the first one completed.
    assert not rule.evaluate([*firsts[:6], sig("Second", 4), sig("First", 5)], now=at(6))


def test_correlation_sequence_three_stages_with_key_chain() -> None:
    transitions = [
        {"From": "Recon", "To": "Tag", "WithinTimeFrameMinutes": 10, "Match": [{"On": "principal"}]},
        {"From": "Tag", "To": "Escalate", "WithinTimeFrameMinutes": 10, "Match": [{"On": "principal"}]},
    ]
    rule = sequence(member("Recon"), member("Tag"), member("Escalate"), transitions=transitions)
    chain = [sig("Recon", 0, principal="p"), sig("Tag", 5, principal="p"), sig("Escalate", 12, principal="p")]
    assert rule.evaluate(chain, now=at(20))
    assert not rule.evaluate([chain[0], chain[1], sig("Escalate", 16, principal="p")], now=at(20))
    assert not rule.evaluate([chain[0], sig("Tag", 5, principal="q"), chain[2]], now=at(20))
    (hit,) = rule.evaluate(chain, now=at(20))
    assert [m for _, found in hit.members for m in found] == chain


def test_correlation_sequence_absence_between_stages() -> None:
    rule = sequence(member("Disable"), member("Archive", Absence=True), member("Reenable"))
    assert rule.evaluate([sig("Disable", 0), sig("Reenable", 10)], now=at(20))
    assert not rule.evaluate([sig("Disable", 0), sig("Archive", 5), sig("Reenable", 10)], now=at(20))
    # Outside the gap it does not matter.
    assert rule.evaluate(
        [sig("Archive", 0), sig("Disable", 1), sig("Reenable", 10), sig("Archive", 15)], now=at(20)
    )


def test_correlation_sequence_absence_after_last_stage_within_time_frame() -> None:
    transition = {"From": "Change", "To": "Archived", "WithinTimeFrameMinutes": 30, "Match": [{"On": "repo"}]}
    rule = sequence(member("Change"), member("Archived", Absence=True), transitions=[transition])
    change = sig("Change", 0, repo="r1")
    assert rule.evaluate([change], now=at(60))
    assert not rule.evaluate([change, sig("Archived", 20, repo="r1")], now=at(60))
    assert rule.evaluate([change, sig("Archived", 20, repo="r2")], now=at(60))
    assert rule.evaluate([change, sig("Archived", 45, repo="r1")], now=at(60))


# --- test mode -----------------------------------------------------------------------------


def test_correlation_test_mode_minutes_and_timestamps() -> None:
    spec = {
        "Detection": [
            {
                "Group": [member("A"), member("B")],
                "MatchCriteria": on("user", "A", "B"),
                "LookbackWindowMinutes": 60,
                "Schedule": SCHEDULE,
            }
        ]
    }
    near = {
        "RuleOutputs": [
            {"ID": "A", "Matches": {"user": {"u": [0]}}},
            {"ID": "B", "Matches": {"user": {"u": [59]}}},
        ]
    }
    far = {
        "RuleOutputs": [
            {"ID": "A", "Matches": {"user": {"u": [0]}}},
            {"ID": "B", "Matches": {"user": {"u": [61]}}},
        ]
    }
    stamps = {
        "RuleOutputs": [
            {"ID": "A", "Matches": {"user": {"u": ["2024-06-01T10:00:01Z"]}}},
            {"ID": "B", "Matches": {"user": {"u": ["2024-06-01T10:30:01Z"]}}},
        ]
    }
    assert run_correlation_test(spec, near) is True
    assert run_correlation_test(spec, far) is False
    assert run_correlation_test(spec, stamps) is True
    assert run_correlation_test(spec, {"RuleOutputs": []}) is False
