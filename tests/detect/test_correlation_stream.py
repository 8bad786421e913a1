"""Correlation rules on the live stream: findings in, correlation findings out, as time passes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from onca.detect.correlation import CorrelationStream, compile_correlation, rule_output_matches
from onca.detect.findings import Finding

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SCHEDULE = {"RateMinutes": 60, "TimeoutMinutes": 5}


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def finding(rule_id: str, minutes: float, *, kind: str = "match", context: dict[str, Any] | None = None,
            **event: Any) -> Finding:
    return Finding(kind=kind, detection_id=rule_id, detection_type="rule", log_type="Okta.SystemLog",
                   event=dict(event), event_time=at(minutes), severity="INFO", title=rule_id, dedup="d",
                   alert_context=context or {})


def stream_of(*specs: dict[str, Any], **options: Any) -> CorrelationStream:
    return CorrelationStream([(spec, compile_correlation(spec)) for spec in specs], **options)


def spec(rule_id: str, item: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"AnalysisType": "correlation_rule", "RuleID": rule_id, "Enabled": True, "Severity": "High",
            "Detection": [{"Schedule": SCHEDULE, **item}], **extra}


BRUTE_FORCE = spec(
    "Brute.Force.Success",
    {
        "Group": [
            {"ID": "Failed", "RuleID": "Login.Failed", "MinMatchCount": 5},
            {"ID": "Success", "RuleID": "Login.Success"},
        ],
        "MatchCriteria": {"ip": [{"GroupID": "Failed", "Match": "client.ip"},
                                 {"GroupID": "Success", "Match": "p_alert_context.ip"}]},
        "LookbackWindowMinutes": 60,
    },
    DisplayName="Brute force then success",
    Runbook="Reset the password.",
    Tags=["Okta"],
    Reports={"MITRE ATT&CK": ["TA0006:T1110"]},
    DedupPeriodMinutes=30,
)


def failures(ip: str, *minutes: float) -> list[Finding]:
    return [finding("Login.Failed", m, client={"ip": ip}) for m in minutes]


def success(ip: str, minutes: float) -> Finding:
    return finding("Login.Success", minutes, context={"ip": ip}, user="ann")


# --- Group ------------------------------------------------------------------------------------


def test_correlation_stream_group_match_criteria_and_min_count() -> None:
    stream = stream_of(BRUTE_FORCE)
    assert stream.feed(failures("1.1.1.1", 0, 1, 2, 3), now=at(4)) == []
    assert stream.feed([success("1.1.1.1", 5)], now=at(5)) == []  # only four failures
    (hit,) = stream.feed(failures("1.1.1.1", 6), now=at(6))
    assert hit.kind == "match"
    assert (hit.detection_id, hit.detection_type, hit.log_type) == ("Brute.Force.Success", "correlation", "")
    assert (hit.title, hit.severity, hit.dedup) == ("Brute force then success", "HIGH", "ip=1.1.1.1")
    assert (hit.runbook, hit.tags, hit.dedup_period_minutes) == ("Reset the password.", ("Okta",), 30)
    assert hit.reports == {"MITRE ATT&CK": ["TA0006:T1110"]}
    assert hit.alert_context == {"ip": "1.1.1.1"}
    assert hit.event_time == at(6)
    signals = hit.event["matches"]
    assert [s["p_rule_id"] for s in signals] == ["Login.Failed"] * 4 + ["Login.Success", "Login.Failed"]
    assert signals[4]["p_alert_context"] == {"ip": "1.1.1.1"} and signals[4]["user"] == "ann"


def test_correlation_stream_group_needs_the_shared_value_inside_the_window() -> None:
    stream = stream_of(BRUTE_FORCE)
    assert stream.feed([*failures("1.1.1.1", 0, 1, 2, 3, 4), success("2.2.2.2", 5)], now=at(5)) == []
    # Five failures, but the success comes after the first one left the 60-minute window.
    stream = stream_of(BRUTE_FORCE)
    assert stream.feed(failures("3.3.3.3", 0, 10, 20, 30, 40), now=at(40)) == []
    assert stream.feed([success("3.3.3.3", 65)], now=at(65)) == []


def test_correlation_stream_one_hit_per_key() -> None:
    stream = stream_of(BRUTE_FORCE)
    batch = [*failures("1.1.1.1", 0, 1, 2, 3, 4), *failures("9.9.9.9", 0, 1, 2, 3, 4),
             success("1.1.1.1", 5), success("9.9.9.9", 6)]
    hits = stream.feed(batch, now=at(6))
    assert sorted(h.dedup for h in hits) == ["ip=1.1.1.1", "ip=9.9.9.9"]


def test_correlation_stream_signals_of_create_alert_false_rules() -> None:
    quiet = {**BRUTE_FORCE, "CreateAlert": False}
    (hit,) = stream_of(quiet).feed([*failures("1.1.1.1", 0, 1, 2, 3, 4), success("1.1.1.1", 5)], now=at(5))
    assert hit.kind == "signal"


def test_correlation_stream_takes_signals_and_ignores_errors_and_other_rules() -> None:
    stream = stream_of(BRUTE_FORCE)
    noise = [finding("Other.Rule", 0, client={"ip": "1.1.1.1"}),
             finding("Login.Success", 0, kind="error", context={"ip": "1.1.1.1"})]
    assert stream.feed(noise, now=at(0)) == []
    assert stream.signals_held() == 0
    signals = [finding("Login.Failed", m, kind="signal", client={"ip": "1.1.1.1"}) for m in range(5)]
    assert len(stream.feed([*signals, success("1.1.1.1", 5)], now=at(5))) == 1
    assert stream.rule_ids == {"Login.Failed", "Login.Success"}


# --- Sequence ---------------------------------------------------------------------------------

KEY_THEN_EXFIL = spec(
    "Key.Then.Exfil",
    {
        "Sequence": [{"ID": "Key", "RuleID": "Key.Created"}, {"ID": "Exfil", "RuleID": "S3.Download"}],
        "Transitions": [{"ID": "Key->Exfil", "From": "Key", "To": "Exfil", "WithinTimeFrameMinutes": 30,
                         "Match": [{"On": "p_alert_context.user"}]}],
        "LookbackWindowMinutes": 120,
    },
)


def key(user: str, minutes: float) -> Finding:
    return finding("Key.Created", minutes, context={"user": user})


def exfil(user: str, minutes: float) -> Finding:
    return finding("S3.Download", minutes, context={"user": user})


def test_correlation_stream_sequence_transition_within_time_frame() -> None:
    stream = stream_of(KEY_THEN_EXFIL)
    assert stream.feed([key("ann", 0)], now=at(0)) == []
    (hit,) = stream.feed([exfil("ann", 20)], now=at(20))
    assert hit.dedup == "p_alert_context.user=ann"
    assert [s["p_rule_id"] for s in hit.event["matches"]] == ["Key.Created", "S3.Download"]


def test_correlation_stream_sequence_too_late_wrong_order_or_other_user() -> None:
    stream = stream_of(KEY_THEN_EXFIL)
    assert stream.feed([key("ann", 0), exfil("ann", 45)], now=at(45)) == []  # outside 30 minutes
    assert stream.feed([exfil("bob", 50), key("bob", 55)], now=at(55)) == []  # wrong order
    assert stream.feed([key("cat", 60), exfil("dan", 61)], now=at(61)) == []  # not the same user


def test_correlation_stream_signal_from_the_callers_future_counts_once_its_time_comes() -> None:
    stream = stream_of(KEY_THEN_EXFIL)
    assert stream.feed([key("ann", 0), exfil("ann", 10)], now=at(5)) == []  # the download is "ahead"
    assert len(stream.feed([], now=at(11))) == 1


# --- Absence ----------------------------------------------------------------------------------

LOGIN_WITHOUT_MFA = spec(
    "Login.Without.MFA",
    {
        "Group": [{"ID": "Login", "RuleID": "Okta.Login"}, {"ID": "MFA", "RuleID": "Okta.Push", "Absence": True}],
        "MatchCriteria": {"user": [{"GroupID": "Login", "Match": "actor"}, {"GroupID": "MFA", "Match": "actor"}]},
        "LookbackWindowMinutes": 60,
    },
)


def test_correlation_stream_group_absence_decided_by_a_later_tick() -> None:
    stream = stream_of(LOGIN_WITHOUT_MFA)
    assert stream.feed([finding("Okta.Login", 0, actor="ann"), finding("Okta.Login", 5, actor="bob")],
                       now=at(5)) == []
    assert stream.pending() == 2
    assert stream.feed([finding("Okta.Push", 20, actor="bob")], now=at(20)) == []
    assert stream.feed([], now=at(59)) == []  # the window after ann's login has not passed yet
    (hit,) = stream.feed([], now=at(61))
    assert hit.dedup == "user=ann"
    assert stream.feed([], now=at(200)) == []  # bob pushed: spoiled, and never reported later
    assert stream.pending() == 0


SECRET_NOT_QUARANTINED = spec(
    "Secret.Not.Quarantined",
    {
        "Sequence": [{"ID": "Found", "RuleID": "Secret.Found"},
                     {"ID": "Quarantined", "RuleID": "Secret.Quarantined", "Absence": True}],
        "Transitions": [{"ID": "Found->Quarantined", "From": "Found", "To": "Quarantined",
                         "WithinTimeFrameMinutes": 30, "Match": [{"On": "repo"}]}],
        "LookbackWindowMinutes": 120,
    },
)


def test_correlation_stream_sequence_absence_waits_for_the_transition_time_frame() -> None:
    stream = stream_of(SECRET_NOT_QUARANTINED)
    found = [finding("Secret.Found", 0, repo="a"), finding("Secret.Found", 0, repo="b")]
    assert stream.feed(found, now=at(0)) == []
    assert stream.feed([finding("Secret.Quarantined", 10, repo="b")], now=at(10)) == []
    assert stream.feed([], now=at(29)) == []
    (hit,) = stream.feed([], now=at(31))  # 30 minutes passed: decided long before the 120-minute window
    assert hit.dedup == "repo=a"
    # A quarantine that comes after the time frame does not undo an alert already made, nor make another.
    assert stream.feed([finding("Secret.Quarantined", 40, repo="a")], now=at(40)) == []


def test_correlation_stream_absence_decided_from_late_signals_in_one_call() -> None:
    stream = stream_of(SECRET_NOT_QUARANTINED)
    late = [finding("Secret.Found", 0, repo="a"), finding("Secret.Found", 0, repo="b"),
            finding("Secret.Quarantined", 5, repo="b")]
    (hit,) = stream.feed(late, now=at(90))  # the deadline already passed when the signals arrived
    assert hit.dedup == "repo=a"


# --- Repeats and memory -----------------------------------------------------------------------

PAIR = spec(
    "Login.Then.Change",
    {
        "Group": [{"ID": "Login", "RuleID": "Okta.Login"}, {"ID": "Change", "RuleID": "Okta.Change"}],
        "MatchCriteria": {"user": [{"GroupID": "Login", "Match": "actor"}, {"GroupID": "Change", "Match": "actor"}]},
        "LookbackWindowMinutes": 60,
    },
)


def test_correlation_stream_does_not_report_the_same_hit_twice() -> None:
    stream = stream_of(PAIR)
    assert len(stream.feed([finding("Okta.Login", 0, actor="ann"), finding("Okta.Change", 5, actor="ann")],
                           now=at(5))) == 1
    assert stream.feed([finding("Okta.Change", 10, actor="ann")], now=at(10)) == []  # joins the same one
    assert stream.feed([], now=at(30)) == []
    assert stream.feed([finding("Okta.Login", 50, actor="ann")], now=at(62)) == []  # window slid past 0
    # Once every earlier signal has left the window, a new pair is a new correlation.
    assert stream.feed([finding("Okta.Change", 115, actor="ann")], now=at(115)) == []  # Login 50 is gone
    assert len(stream.feed([finding("Okta.Login", 120, actor="ann")], now=at(120))) == 1


def test_correlation_stream_memory_is_bounded_by_window_and_cap() -> None:
    stream = stream_of(PAIR, max_signals=50)
    logins = [finding("Okta.Login", m / 10, actor=f"user{m}") for m in range(500)]
    assert stream.feed(logins, now=at(50)) == []
    assert stream.signals_held("Login.Then.Change") == 50
    # The cap keeps the newest signals: the last user can still correlate.
    assert len(stream.feed([finding("Okta.Change", 51, actor="user499")], now=at(51))) == 1
    assert stream.feed([], now=at(200)) == []
    assert stream.signals_held() == 0


def test_correlation_stream_window_without_lookback() -> None:
    chain = spec(
        "Chain",
        {"Sequence": [{"ID": "A", "RuleID": "Rule.A"}, {"ID": "B", "RuleID": "Rule.B"}],
         "Transitions": [{"ID": "A->B", "From": "A", "To": "B", "WithinTimeFrameMinutes": 15}]},
    )
    stream = stream_of(chain)
    stream.feed([finding("Rule.A", 0)], now=at(0))
    stream.feed([], now=at(16))
    assert stream.signals_held() == 0  # the transition's time frame bounds what is kept
    untimed = spec("Untimed", {"Group": [{"ID": "A", "RuleID": "Rule.A"}, {"ID": "B", "RuleID": "Rule.B"}]})
    stream = stream_of(untimed, window=timedelta(minutes=10))
    stream.feed([finding("Rule.A", 0)], now=at(0))
    assert stream.feed([finding("Rule.B", 11)], now=at(11)) == []
    assert stream.signals_held() == 1


def test_correlation_stream_correlation_of_correlations() -> None:
    outer = spec("Outer", {"Group": [{"ID": "Pair", "RuleID": "Login.Then.Change"},
                                     {"ID": "Key", "RuleID": "Key.Created"}], "LookbackWindowMinutes": 60})
    stream = stream_of(PAIR, outer)
    assert stream.feed([key("ann", 0)], now=at(0)) == []
    hits = stream.feed([finding("Okta.Login", 1, actor="ann"), finding("Okta.Change", 2, actor="ann")],
                       now=at(2))
    assert [h.detection_id for h in hits] == ["Login.Then.Change", "Outer"]


def test_correlation_stream_rejects_bad_rule_lists() -> None:
    rule = compile_correlation(PAIR)
    with pytest.raises(ValueError, match="no RuleID"):
        CorrelationStream([({"Detection": PAIR["Detection"]}, rule)])
    with pytest.raises(ValueError, match="given twice"):
        CorrelationStream([(PAIR, rule), (PAIR, rule)])
    with pytest.raises(ValueError, match="max_signals"):
        CorrelationStream([(PAIR, rule)], max_signals=0)


# --- panther-analysis -------------------------------------------------------------------------

SNAPSHOT = Path("/work/panther-analysis")


def _snapshot_rules() -> list[dict[str, Any]]:
    if not SNAPSHOT.is_dir():
        return []
    loader = YAML(typ="safe", pure=True)
    found = []
    for path in sorted(SNAPSHOT.rglob("*.yml")):
        text = path.read_text(encoding="utf-8")
        if "AnalysisType: correlation_rule" in text:
            loaded = loader.load(text)
            if isinstance(loaded, dict) and loaded.get("AnalysisType") == "correlation_rule":
                found.append(loaded)
    return found


def _nested(path: str, value: Any) -> dict[str, Any]:
    out: Any = value
    for part in reversed(path.split(".")):
        out = {part: out}
    return out


def _test_findings(rule_spec: dict[str, Any], case: dict[str, Any]) -> list[Finding]:
    """The test's RuleOutputs as the findings live detection would have made."""
    made = []
    for match in rule_output_matches(compile_correlation(rule_spec), case):
        ((path, value),) = match.fields.items()
        context = _nested(path.removeprefix("p_alert_context."), value) if path.startswith("p_alert_context.") \
            else {}
        event = {} if context else _nested(path, value)
        made.append(Finding(kind="signal", detection_id=match.rule_id, detection_type="rule", log_type="Test",
                            event=event, event_time=match.time, severity="INFO", title="t", dedup="d",
                            alert_context=context))
    return sorted(made, key=lambda f: f.event_time)


@pytest.mark.slow
@pytest.mark.parametrize("incremental", [False, True], ids=["one-batch", "one-by-one"])
def test_correlation_stream_replays_panther_analysis_tests(incremental: bool) -> None:
    rules = _snapshot_rules()
    if not rules:
        pytest.skip("panther-analysis snapshot not present")
    wrong, total = [], 0
    for rule_spec in rules:
        for case in rule_spec.get("Tests", []):
            total += 1
            made = _test_findings(rule_spec, case)
            stream = stream_of(rule_spec)
            if incremental:
                hits = [h for f in made for h in stream.feed([f], now=f.event_time)]
            else:
                hits = stream.feed(made, now=made[-1].event_time)
            hits += stream.feed([], now=made[-1].event_time + timedelta(days=3))  # absences decided
            if bool(hits) is not case["ExpectedResult"]:
                wrong.append(f"{rule_spec['RuleID']}: {case['Name']}")
    assert (total, wrong) == (91, [])


# --- Reloading content ------------------------------------------------------------------------


def test_a_reloaded_stream_keeps_the_state_of_rules_whose_spec_is_unchanged() -> None:
    old = stream_of(BRUTE_FORCE)
    assert old.feed(failures("1.1.1.1", 0, 1, 2, 3, 4), now=at(4)) == []
    same = stream_of(BRUTE_FORCE)
    assert same.keep_state_of(old) == 1
    (hit,) = same.feed([success("1.1.1.1", 5)], now=at(5))  # the five failures were remembered
    assert hit.detection_id == "Brute.Force.Success"

    changed = stream_of({**BRUTE_FORCE, "Severity": "Critical"})
    assert changed.keep_state_of(old) == 0
    assert changed.feed([success("1.1.1.1", 5)], now=at(5)) == []  # a changed rule starts again
