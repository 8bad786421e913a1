"""The alert manager on a real store (a SQLite file and a fresh PostgreSQL database): dedup, thresholds, rule
errors, signals, the alert-storm limiter."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "store"))
from store_databases import fresh_database  # noqa: E402

from onca.alerts.delivery import AttemptRecord  # noqa: E402
from onca.alerts.destinations import DeliveryResult  # noqa: E402
from onca.alerts.manager import AlertManager  # noqa: E402
from onca.alerts.model import Alert  # noqa: E402
from onca.detect.findings import Finding  # noqa: E402
from onca.store import Store, open_store  # noqa: E402

T0 = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def manager(store: Store, clock: Clock) -> AlertManager:
    return AlertManager(store, clock=clock, storm_limit=5)


def match(dedup: str = "root@1.2.3.4", *, minute: float = 0, **changes) -> Finding:
    finding = Finding(
        kind="match", detection_id="AWS.Root.Login", detection_type="rule", log_type="AWS.CloudTrail",
        event={"eventName": "ConsoleLogin", "sourceIPAddress": "1.2.3.4"},
        event_time=T0 - timedelta(minutes=10) + timedelta(minutes=minute), severity="HIGH",
        title="Root login from 1.2.3.4", dedup=dedup, detection_version="v7", detection_name="Root Login",
        dedup_period_minutes=60, alert_context={"ip": "1.2.3.4"}, description="Root used.", runbook="Page owner.",
        reference="https://example.com/root", tags=("AWS",), reports={"MITRE ATT&CK": ["TA0004:T1078"]},
    )
    return replace(finding, **changes)


def error(message: str = "rule: KeyError: 'userIdentity'\nmore detail", **changes) -> Finding:
    return match(kind="error", error=message, dedup=message, title="Root Login: " + message,
                 alert_context={"traceback": "File rule.py, line 3"}, **changes)


def test_manager_first_match_raises_an_alert_from_the_finding(manager, store):
    outcome = manager.process([match()])

    [alert_id] = outcome.alert_ids
    [alert] = outcome.to_deliver
    assert isinstance(alert, Alert) and alert.id == alert_id and len(alert_id) == 32
    assert (alert.type, alert.title, alert.severity, alert.status) == ("rule", "Root login from 1.2.3.4", "HIGH",
                                                                       "open")
    assert (alert.detection_id, alert.detection_name, alert.detection_version) == ("AWS.Root.Login",
                                                                                  "Root Login", "v7")
    assert alert.dedup == "root@1.2.3.4" and alert.event_count == 1 and alert.created_at == T0
    assert alert.first_event_time == alert.last_event_time == T0 - timedelta(minutes=10)
    assert alert.log_types == ("AWS.CloudTrail",) and alert.alert_context == {"ip": "1.2.3.4"}
    assert alert.sample_event == {"eventName": "ConsoleLogin", "sourceIPAddress": "1.2.3.4"}
    assert alert.reports == {"MITRE ATT&CK": ["TA0004:T1078"]} and alert.tags == ("AWS",)
    stored = store.alerts.get(alert_id)
    assert stored.title == alert.title and stored.update_time == T0
    assert outcome.system_errors == []


def test_manager_matches_within_the_period_join_the_alert(manager, store, clock):
    [first_id] = manager.process([match()]).alert_ids
    clock.advance(minutes=20)

    outcome = manager.process([match(minute=15, title="A different title"),
                               match(minute=18, log_type="AWS.CloudTrailDigest")])

    assert outcome.alert_ids == [first_id, first_id] and outcome.to_deliver == []
    alert = store.alerts.get(first_id)
    assert alert.event_count == 3 and alert.title == "Root login from 1.2.3.4"  # the first title stays
    assert alert.last_event_time == T0 + timedelta(minutes=8) and alert.update_time == T0 + timedelta(minutes=20)
    assert alert.log_types == ("AWS.CloudTrail", "AWS.CloudTrailDigest")
    assert [(h.action, h.old, h.new) for h in store.alerts.history(first_id)] == [
        ("create", None, "open"), ("events", "1", "3")]


def test_manager_match_after_the_period_raises_a_new_alert(manager, clock):
    [first_id] = manager.process([match()]).alert_ids
    clock.advance(minutes=59)
    assert manager.process([match()]).alert_ids == [first_id]
    clock.advance(minutes=1)  # 60 minutes after the alert was raised

    outcome = manager.process([match()])

    assert outcome.alert_ids[0] not in (None, first_id) and len(outcome.to_deliver) == 1


def test_manager_dedup_strings_and_detections_keep_alerts_apart(manager):
    outcome = manager.process([match("a"), match("b"), match("a", detection_id="Other.Rule"), match("a")])

    a, b, other, a_again = outcome.alert_ids
    assert len({a, b, other}) == 3 and a_again == a
    assert sorted(alert.id for alert in outcome.to_deliver) == sorted([a, b, other])


def test_manager_resolved_alert_still_gathers_matches_in_its_window(manager, store, clock):
    [alert_id] = manager.process([match()]).alert_ids
    store.alerts.update(alert_id, status="resolved", actor="ana")
    clock.advance(minutes=5)

    assert manager.process([match()]).alert_ids == [alert_id]
    assert store.alerts.get(alert_id).event_count == 2


def test_manager_threshold_waits_for_enough_matches_in_the_period(manager, store, clock):
    three = dict(threshold=3)
    assert manager.process([match(**three), match(**three)]).alert_ids == [None, None]
    assert store.alerts.list()[0] == []
    clock.advance(minutes=10)

    outcome = manager.process([match(minute=30, **three), match(minute=31, **three)])

    alert_id = outcome.alert_ids[0]
    assert alert_id is not None and outcome.alert_ids == [alert_id, alert_id]
    [alert] = outcome.to_deliver
    assert alert.event_count == 3 and alert.created_at == T0 + timedelta(minutes=10)
    assert alert.first_event_time == T0 - timedelta(minutes=10)
    assert alert.last_event_time == T0 + timedelta(minutes=20)
    assert store.alerts.get(alert_id).event_count == 4


def test_manager_threshold_count_survives_a_restart(store_url, clock):
    with open_store(store_url) as first:
        assert AlertManager(first, clock=clock).process([match(threshold=2)]).alert_ids == [None]
    clock.advance(minutes=1)
    with open_store(store_url) as second:
        outcome = AlertManager(second, clock=clock).process([match(threshold=2)])
    assert outcome.alert_ids[0] is not None and outcome.to_deliver[0].event_count == 2


def test_manager_threshold_count_restarts_when_the_period_ends(manager, clock):
    assert manager.process([match(threshold=2, dedup_period_minutes=15)]).alert_ids == [None]
    clock.advance(minutes=15)
    assert manager.process([match(threshold=2, dedup_period_minutes=15)]).alert_ids == [None]
    clock.advance(minutes=1)
    assert manager.process([match(threshold=2, dedup_period_minutes=15)]).alert_ids[0] is not None


def test_manager_signals_never_alert(manager, store):
    outcome = manager.process([match(kind="signal"), match(kind="signal")])

    assert outcome.alert_ids == [None, None] and outcome.to_deliver == []
    assert store.alerts.list()[0] == []


def test_manager_rule_errors_become_deduplicated_rule_error_alerts(manager, store):
    outcome = manager.process([error(), error("rule: KeyError: 'userIdentity'\nother detail"),
                               error("title: TypeError: unsupported operand"), match()])

    first, same, other, matched = outcome.alert_ids
    assert same == first and len({first, other, matched}) == 3
    alert = store.alerts.get(first)
    assert alert.type == "rule_error" and alert.title == "Error in Root Login: KeyError"
    assert alert.dedup == "KeyError: 'userIdentity'" and alert.event_count == 2
    assert alert.alert_context == {"traceback": "File rule.py, line 3",
                                   "error": "rule: KeyError: 'userIdentity'\nmore detail"}
    assert store.alerts.get(other).title == "Error in Root Login: TypeError"
    assert store.alerts.get(matched).type == "rule"


def test_manager_error_without_an_exception_type_titles_with_its_message(manager, store):
    [alert_id] = manager.process([error("timed out after 2s", detection_name="")]).alert_ids
    alert = store.alerts.get(alert_id)
    assert alert.title == "Error in AWS.Root.Login: timed out after 2s" and alert.dedup == "timed out after 2s"


def test_manager_alert_types_follow_the_detection_type(manager, store):
    outcome = manager.process([match(detection_type="policy", detection_id="P"),
                               match(detection_type="correlation", detection_id="C", log_type=""),
                               match(detection_type="scheduled_rule", detection_id="S")])
    assert [store.alerts.get(i).type for i in outcome.alert_ids] == ["policy", "correlation", "scheduled_rule"]
    assert store.alerts.get(outcome.alert_ids[1]).log_types == ()


def test_manager_info_alerts_start_resolved_and_unknown_severity_is_info(manager, store):
    outcome = manager.process([match("a", severity="INFO"), match("b", severity="low"),
                               match("c", severity="SEVERE")])
    assert [(a.severity, a.status) for a in outcome.to_deliver] == [
        ("INFO", "resolved"), ("LOW", "open"), ("INFO", "resolved")]


def test_manager_default_dedup_is_the_title(manager):
    outcome = manager.process([match(dedup=""), match(dedup="")])
    assert outcome.alert_ids[0] == outcome.alert_ids[1]
    assert outcome.to_deliver[0].dedup == "Root login from 1.2.3.4"


def test_manager_storm_limiter_suspends_after_the_limit(manager, store, clock):
    outcome = manager.process([match(f"user-{n}") for n in range(7)])

    assert all(outcome.alert_ids[:5]) and outcome.alert_ids[5:] == [None, None]
    assert len(outcome.to_deliver) == 5
    [message] = outcome.system_errors
    assert "AWS.Root.Login" in message and "resume-detection" in message
    state = store.detections.get("AWS.Root.Login")
    assert state.alerting_suspended and state.suspended_at == T0
    [system_error] = store.system_errors.list()
    assert (system_error.kind, system_error.subject) == ("alert_storm", "AWS.Root.Login")

    # suspended: no new alerts and no joins, but rule errors still alert; other detections are not affected
    clock.advance(minutes=1)
    later = manager.process([match("user-0"), match("user-99"), error(), match(detection_id="Other")])
    assert later.alert_ids[:2] == [None, None] and later.alert_ids[2] and later.alert_ids[3]
    assert store.alerts.get(outcome.alert_ids[0]).event_count == 1


def test_manager_storm_limit_counts_alerts_within_the_window_only(manager, clock):
    for n in range(4):
        manager.process([match(f"early-{n}")])
    clock.advance(minutes=61)

    outcome = manager.process([match(f"late-{n}") for n in range(5)])

    assert all(outcome.alert_ids) and len(outcome.system_errors) == 1  # the fifth within the hour suspends


def test_manager_resume_lets_the_detection_alert_again(manager, store, clock):
    manager.process([match(f"user-{n}") for n in range(5)])
    assert store.detections.get("AWS.Root.Login").alerting_suspended
    clock.advance(minutes=2)

    state = manager.resume("AWS.Root.Login")

    assert not state.alerting_suspended and state.resumed_at == T0 + timedelta(minutes=2)
    assert store.system_errors.list(resolved=False) == []
    outcome = manager.process([match(f"new-{n}") for n in range(4)])
    assert all(outcome.alert_ids) and outcome.system_errors == []  # the count started again at resume


def test_manager_keeps_findings_aligned_across_detections(manager):
    findings = [match("x", detection_id="B"), match(kind="signal"), match("y", detection_id="A"),
                match("x", detection_id="B"), match("z", detection_id="A", threshold=2)]

    ids = manager.process(findings).alert_ids

    assert ids[0] == ids[3] and ids[1] is None and ids[2] is not None and ids[4] is None
    assert ids[0] != ids[2]


def test_manager_records_delivery_attempts(manager, store):
    [alert] = manager.process([match()]).to_deliver
    record = AttemptRecord(alert_id=alert.id, destination_name="SOAR", destination_id="soar-01",
                           destination_kind="webhook", attempt=1, started_at=T0, finished_at=T0,
                           result=DeliveryResult(ok=False, retryable=True, status_code=503, response="busy",
                                                 error="HTTP 503"),
                           will_retry=True)

    manager.record_attempts([record])

    [attempt] = store.alerts.attempts(alert.id)
    assert (attempt.destination_name, attempt.status_code, attempt.retryable, attempt.response) == (
        "SOAR", 503, True, "busy")
    assert store.alerts.get(alert.id).destinations == ("SOAR",)


def test_manager_console_url_links_alerts(store, clock):
    manager = AlertManager(store, clock=clock, console_url="https://onca.example.com/")
    [alert] = manager.process([match()]).to_deliver
    assert alert.url == f"https://onca.example.com/alerts/{alert.id}"


def test_manager_rejects_a_bad_storm_limit(store):
    with pytest.raises(ValueError, match="storm_limit must be at least 1"):
        AlertManager(store, storm_limit=0)


def test_manager_purges_long_closed_windows_without_changing_dedup(manager, store, clock):
    [first] = manager.process([match("old")]).alert_ids
    clock.advance(hours=2, minutes=1)  # the "old" window closed over an hour ago

    outcome = manager.process([match("new")])

    with store.transaction():
        assert store.windows.lock("AWS.Root.Login", "rule", "old") is None
        assert store.windows.lock("AWS.Root.Login", "rule", "new") is not None
    again = manager.process([match("old")]).alert_ids[0]
    assert again not in (None, first) and outcome.alert_ids[0] is not None
