"""Alerts in the store: round trips, filters, cursor paging, triage with history, comments, deliveries."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from tests_store_helpers import T0, sample_alert

from onca.store import DeliveryAttempt, InvalidCursor, InvalidValue, NotFound


def test_alert_create_and_get_round_trip_every_field(store):
    alert = sample_alert(sample_event={"when": datetime(2025, 3, 1, 11, 58, tzinfo=timezone.utc), "tags": {"b"},
                                       "big": 2**70, "nested": {"x": None}})

    created = store.alerts.create(alert)
    loaded = store.alerts.get(alert.id)

    assert loaded == created
    assert loaded.alert_context == {"ip": "1.2.3.4", "nested": {"n": [1, 2]}}
    assert loaded.reports == {"MITRE ATT&CK": ["TA0004:T1078"]}
    assert loaded.tags == ("AWS", "Identity") and loaded.log_types == ("AWS.CloudTrail",)
    # values JSON lacks are kept as text, not refused; big integers stay exact
    assert loaded.sample_event == {"when": "2025-03-01T11:58:00Z", "tags": ["b"], "big": 2**70,
                                   "nested": {"x": None}}
    assert loaded.created_at == T0 and loaded.created_at.tzinfo is not None
    assert store.alerts.get("0" * 32) is None


def test_alert_times_in_other_zones_come_back_as_utc(store):
    east = timezone(timedelta(hours=5))
    alert = store.alerts.create(sample_alert(created_at=datetime(2025, 3, 1, 17, 0, tzinfo=east)))

    assert store.alerts.get(alert.id).created_at == datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("change, message", [
    ({"id": "not-hex"}, "32 lowercase hex"),
    ({"status": "done"}, "alert status 'done' is not one of open, triaged"),
    ({"type": "alarm"}, "alert type 'alarm'"),
    ({"severity": "SEVERE"}, "severity 'SEVERE'"),
    ({"detection_id": ""}, "needs a detection id"),
])
def test_alert_create_rejects_bad_values_by_name(store, change, message):
    with pytest.raises(InvalidValue, match=message):
        store.alerts.create(sample_alert(**change))
    assert store.alerts.list()[0] == []


def _seed(store):
    rows = [
        sample_alert(created_at=T0, severity="HIGH", status="open", detection_id="A", title="Root login"),
        sample_alert(created_at=T0 + timedelta(minutes=1), severity="LOW", status="resolved", detection_id="B",
                     title="S3 bucket made public", assignee="ana"),
        sample_alert(created_at=T0 + timedelta(minutes=2), severity="CRITICAL", status="triaged",
                     detection_id="A", type="rule_error", title="Error in A: KeyError"),
        sample_alert(created_at=T0 + timedelta(minutes=3), severity="HIGH", status="open", detection_id="C",
                     title="100% of logins_failed"),
    ]
    for row in rows:
        store.alerts.create(row)
    return rows


def _titles(result):
    rows, _ = result
    return [row.title for row in rows]


def test_alert_list_filters(store):
    _seed(store)

    assert _titles(store.alerts.list()) == ["100% of logins_failed", "Error in A: KeyError",
                                            "S3 bucket made public", "Root login"]
    assert _titles(store.alerts.list(status="open")) == ["100% of logins_failed", "Root login"]
    assert _titles(store.alerts.list(status=["open", "triaged"], severity="HIGH")) == [
        "100% of logins_failed", "Root login"]
    assert _titles(store.alerts.list(detection_id="A")) == ["Error in A: KeyError", "Root login"]
    assert _titles(store.alerts.list(type="rule_error")) == ["Error in A: KeyError"]
    assert _titles(store.alerts.list(assignee="ana")) == ["S3 bucket made public"]
    assert _titles(store.alerts.list(assignee="")) == ["100% of logins_failed", "Error in A: KeyError",
                                                       "Root login"]
    assert _titles(store.alerts.list(text="BUCKET")) == ["S3 bucket made public"]
    # LIKE wildcards in the text are taken literally
    assert _titles(store.alerts.list(text="100%")) == ["100% of logins_failed"]
    assert _titles(store.alerts.list(text="s_b")) == []
    assert _titles(store.alerts.list(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3))) == [
        "Error in A: KeyError", "S3 bucket made public"]


def test_alert_list_rejects_unknown_filter_values(store):
    with pytest.raises(InvalidValue, match="alert status 'opened'"):
        store.alerts.list(status="opened")
    with pytest.raises(InvalidValue, match="severity 'high'"):
        store.alerts.list(severity=["high"])
    with pytest.raises(InvalidValue, match="limit must be between 1 and 1000"):
        store.alerts.list(limit=0)


def test_alert_list_cursor_pages_through_every_alert_once_even_with_equal_times(store):
    created = []
    for minute in range(7):
        for _ in range(3):  # three alerts share each creation time
            created.append(store.alerts.create(sample_alert(created_at=T0 + timedelta(minutes=minute))).id)

    seen, cursor, pages = [], None, 0
    while True:
        rows, cursor = store.alerts.list(limit=4, cursor=cursor)
        seen += rows
        pages += 1
        if cursor is None:
            break
    assert pages == 6
    assert sorted(row.id for row in seen) == sorted(created)
    assert len({row.id for row in seen}) == len(created)
    keys = [(row.created_at, row.id) for row in seen]
    assert keys == sorted(keys, reverse=True)


def test_alert_list_exact_last_page_has_no_cursor(store):
    _seed(store)
    rows, cursor = store.alerts.list(limit=4)
    assert len(rows) == 4 and cursor is None


def test_alert_list_filters_apply_across_pages(store):
    _seed(store)
    first, cursor = store.alerts.list(detection_id="A", limit=1)
    second, end = store.alerts.list(detection_id="A", limit=1, cursor=cursor)
    assert [first[0].title, second[0].title] == ["Error in A: KeyError", "Root login"] and end is None


def test_alert_list_bad_cursor_is_named(store):
    with pytest.raises(InvalidCursor, match="'garbage!' is not one this store returned"):
        store.alerts.list(cursor="garbage!")


def test_alert_update_status_and_assignee_keep_history(store):
    alert = store.alerts.create(sample_alert())
    at = T0 + timedelta(minutes=5)

    updated = store.alerts.update(alert.id, status="triaged", assignee="ana", actor="bob", at=at)
    store.alerts.update(alert.id, status="triaged", actor="bob", at=at)  # no change, no history
    store.alerts.update(alert.id, assignee="", actor="ana", at=at + timedelta(minutes=1))

    assert updated.status == "triaged" and updated.assignee == "ana" and updated.updated_at == at
    history = [(h.actor, h.action, h.field, h.old, h.new) for h in store.alerts.history(alert.id)]
    assert history == [("onca", "create", "status", None, "open"),
                       ("bob", "update", "status", "open", "triaged"),
                       ("bob", "update", "assignee", "", "ana"),
                       ("ana", "update", "assignee", "ana", "")]


def test_alert_update_errors(store):
    alert = store.alerts.create(sample_alert())
    with pytest.raises(NotFound, match="no alert with id 'f+'"):
        store.alerts.update("f" * 32, status="resolved")
    with pytest.raises(InvalidValue, match="alert status 'fixed'"):
        store.alerts.update(alert.id, status="fixed")
    assert store.alerts.get(alert.id).status == "open"


def test_alert_comments(store):
    alert = store.alerts.create(sample_alert())

    store.alerts.add_comment(alert.id, author="ana", body="Looking into it", at=T0 + timedelta(minutes=1))
    store.alerts.add_comment(alert.id, author="bob", body="False positive: break-glass test",
                             at=T0 + timedelta(minutes=2))

    assert [(c.author, c.body) for c in store.alerts.comments(alert.id)] == [
        ("ana", "Looking into it"), ("bob", "False positive: break-glass test")]
    assert [h.action for h in store.alerts.history(alert.id)] == ["create", "comment", "comment"]
    with pytest.raises(InvalidValue, match="needs some text"):
        store.alerts.add_comment(alert.id, author="ana", body="  ")
    with pytest.raises(NotFound):
        store.alerts.add_comment("a" * 32, author="ana", body="hello")


def test_alert_delivery_attempts_are_kept_and_name_the_destination(store):
    alert = store.alerts.create(sample_alert())
    first = DeliveryAttempt(alert_id=alert.id, destination_name="SOAR", destination_kind="webhook", attempt=1,
                            at=T0, ok=False, retryable=True, status_code=503, response="maintenance",
                            error="HTTP 503", destination_id="soar-01")
    second = DeliveryAttempt(alert_id=alert.id, destination_name="SOAR", destination_kind="webhook", attempt=2,
                             at=T0 + timedelta(seconds=3), ok=True, status_code=200, response="ok",
                             destination_id="soar-01")

    store.alerts.record_attempt(first)
    store.alerts.record_attempt(second)
    store.alerts.set_destinations(alert.id, ["SOAR", "SecOps"])

    assert store.alerts.attempts(alert.id) == [first, second]
    assert store.alerts.get(alert.id).destinations == ("SOAR", "SecOps")
    with pytest.raises(NotFound):
        store.alerts.record_attempt(DeliveryAttempt(alert_id="b" * 32, destination_name="x",
                                                    destination_kind="webhook", attempt=1, at=T0, ok=True))


def test_alert_delivery_attempts_of_several_alerts_are_kept_together_or_not_at_all(store):
    one, two = store.alerts.create(sample_alert()), store.alerts.create(sample_alert())
    attempts = [DeliveryAttempt(alert_id=alert.id, destination_name=name, destination_kind="webhook", attempt=1,
                                at=T0, ok=True, status_code=200, response="ok")
                for alert in (one, two) for name in ("SOAR", "Slack")]

    store.alerts.record_attempts(attempts)

    assert store.alerts.attempts(one.id) == attempts[:2] and store.alerts.attempts(two.id) == attempts[2:]
    assert store.alerts.get(two.id).destinations == ("SOAR", "Slack")
    missing = DeliveryAttempt(alert_id="b" * 32, destination_name="x", destination_kind="webhook", attempt=2,
                              at=T0, ok=True)
    with pytest.raises(NotFound):
        store.alerts.record_attempts([attempts[0], missing])
    assert len(store.alerts.attempts(one.id)) == 2  # nothing of the failed call was kept


def test_alert_add_matches_widens_times_and_log_types(store):
    alert = store.alerts.create(sample_alert())
    at = T0 + timedelta(minutes=10)

    updated = store.alerts.add_matches(alert.id, count=3, first_event_time=T0 - timedelta(hours=1),
                                       last_event_time=T0 + timedelta(minutes=9),
                                       log_types=["AWS.CloudTrail", "Okta.SystemLog"], at=at)

    assert updated.event_count == 4
    assert updated.first_event_time == T0 - timedelta(hours=1)
    assert updated.last_event_time == T0 + timedelta(minutes=9)
    assert updated.log_types == ("AWS.CloudTrail", "Okta.SystemLog")
    assert updated.update_time == at and updated.created_at == T0
    assert store.alerts.history(alert.id)[-1].new == "4"


def test_alert_count_created_since(store):
    _seed(store)
    assert store.alerts.count_created("A", since=T0) == 2
    assert store.alerts.count_created("A", since=T0, types=["rule"]) == 1
    assert store.alerts.count_created("A", since=T0 + timedelta(seconds=1)) == 1


def test_store_transaction_is_all_or_nothing(store):
    alert = store.alerts.create(sample_alert())
    with pytest.raises(InvalidValue):
        with store.transaction():
            store.alerts.update(alert.id, status="resolved")
            store.alerts.add_comment(alert.id, author="ana", body=" ")
    assert store.alerts.get(alert.id).status == "open"
    assert [h.action for h in store.alerts.history(alert.id)] == ["create"]


def test_store_write_inside_a_read_transaction_is_refused(store):
    with store.transaction(write=False):
        with pytest.raises(RuntimeError, match="read-only"):
            store.alerts.create(sample_alert())
