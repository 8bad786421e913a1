"""System errors, detection suspension, compliance state and dedup windows."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from tests_store_helpers import T0

from onca.detect.policies import ComplianceRecord, ComplianceState
from onca.store import DedupWindow, InvalidValue, NotFound, window_key


def test_system_error_reports_gather_until_resolved(store):
    first = store.system_errors.report("alert_storm", "Det.A", "too many", at=T0)
    again = store.system_errors.report("alert_storm", "Det.A", "too many, again", at=T0 + timedelta(minutes=5))
    other = store.system_errors.report("alert_storm", "Det.B", "too many", at=T0)

    assert again.id == first.id and again.count == 2 and again.message == "too many, again"
    assert again.first_seen == T0 and again.last_seen == T0 + timedelta(minutes=5)
    assert other.id != first.id

    resolved = store.system_errors.resolve(first.id, at=T0 + timedelta(hours=1))
    reopened = store.system_errors.report("alert_storm", "Det.A", "back", at=T0 + timedelta(hours=2))

    assert resolved.resolved and resolved.resolved_at == T0 + timedelta(hours=1)
    assert reopened.id != first.id and reopened.count == 1 and not reopened.resolved
    assert [e.subject for e in store.system_errors.list(resolved=False)] == ["Det.A", "Det.B"]
    assert [e.id for e in store.system_errors.list(resolved=True)] == [first.id]
    assert [e.id for e in store.system_errors.list(subject="Det.B")] == [other.id]
    assert store.system_errors.get(first.id).count == 2


def test_system_error_resolve_errors(store):
    with pytest.raises(NotFound, match="no system error"):
        store.system_errors.resolve("0" * 32, at=T0)
    assert store.system_errors.resolve_open("alert_storm", "nobody", at=T0) is None
    with pytest.raises(InvalidValue, match="needs a kind"):
        store.system_errors.report("", "x", "y", at=T0)


def test_detection_suspend_and_resume(store):
    assert store.detections.get("Det.A") is None

    suspended = store.detections.suspend("Det.A", at=T0, reason="alert storm")
    assert suspended.alerting_suspended and suspended.suspended_at == T0 and suspended.reason == "alert storm"
    assert [s.detection_id for s in store.detections.suspended()] == ["Det.A"]

    resumed = store.detections.resume("Det.A", at=T0 + timedelta(hours=1))
    assert not resumed.alerting_suspended and resumed.resumed_at == T0 + timedelta(hours=1)
    assert store.detections.get("Det.A") == resumed
    assert store.detections.suspended() == []


def test_detection_lock_creates_the_state_row(store):
    with store.transaction():
        state = store.detections.lock("Det.New")
    assert not state.alerting_suspended
    assert store.detections.get("Det.New") == state


def _record(status, minutes=0, resource="arn:aws:s3:::logs", policy="AWS.S3.Encryption", error=""):
    return ComplianceRecord(policy, resource, "AWS.S3.Bucket", status, T0 + timedelta(minutes=minutes), error)


def test_compliance_put_returns_the_previous_status(store):
    assert store.compliance.put(_record("PASS")) is None
    assert store.compliance.put(_record("FAIL", 1)) == "PASS"
    assert store.compliance.put(_record("FAIL", 2)) == "FAIL"
    assert store.compliance.get("AWS.S3.Encryption", "arn:aws:s3:::logs") == "FAIL"
    assert store.compliance.get("AWS.S3.Encryption", "arn:aws:s3:::other") is None

    entry = store.compliance.record("AWS.S3.Encryption", "arn:aws:s3:::logs")
    assert entry.first_failed_at == T0 + timedelta(minutes=1) and entry.evaluated_at == T0 + timedelta(minutes=2)

    assert store.compliance.put(_record("ERROR", 3, error="policy: KeyError: 'x'")) == "FAIL"
    entry = store.compliance.record("AWS.S3.Encryption", "arn:aws:s3:::logs")
    assert entry.error == "policy: KeyError: 'x'" and entry.first_failed_at is None
    assert store.compliance.put(_record("FAIL", 4)) == "ERROR"
    assert store.compliance.record("AWS.S3.Encryption", "arn:aws:s3:::logs").first_failed_at == \
        T0 + timedelta(minutes=4)


def test_compliance_first_insert_of_a_failure_marks_when(store):
    store.compliance.put(_record("FAIL", 7, resource="arn:aws:s3:::new"))
    assert store.compliance.record("AWS.S3.Encryption", "arn:aws:s3:::new").first_failed_at == \
        T0 + timedelta(minutes=7)


def test_compliance_list_and_bad_status(store):
    store.compliance.put(_record("PASS", resource="a"))
    store.compliance.put(_record("FAIL", resource="b"))
    store.compliance.put(_record("FAIL", resource="c", policy="Other"))

    assert [(e.policy_id, e.resource_id) for e in store.compliance.list(status="FAIL")] == [
        ("AWS.S3.Encryption", "b"), ("Other", "c")]
    assert [e.resource_id for e in store.compliance.list(policy_id="AWS.S3.Encryption")] == ["a", "b"]
    with pytest.raises(InvalidValue, match="compliance status 'MAYBE'"):
        store.compliance.put(_record("MAYBE"))


def test_compliance_repo_is_a_policy_compliance_state(store):
    assert isinstance(store.compliance, ComplianceState)


def test_dedup_window_lock_save_and_purge(store):
    key = window_key("Det.A", "rule", "root")
    window = DedupWindow(key=key, detection_id="Det.A", alert_type="rule", dedup="root", opened_at=T0,
                         closes_at=T0 + timedelta(hours=1), match_count=1, alert_id=None, first_event_time=T0,
                         last_event_time=T0)
    with store.transaction():
        assert store.windows.lock("Det.A", "rule", "root") is None
        store.windows.save(window)
    with store.transaction():
        assert store.windows.lock("Det.A", "rule", "root") == window
        store.windows.save(replace(window, match_count=2, alert_id="c" * 32))
    with store.transaction():
        assert store.windows.lock("Det.A", "rule", "root").match_count == 2

    assert store.windows.purge(closed_before=T0 + timedelta(minutes=59)) == 0
    assert store.windows.purge(closed_before=T0 + timedelta(hours=2)) == 1
    with store.transaction():
        assert store.windows.lock("Det.A", "rule", "root") is None


def test_dedup_window_keys_separate_the_parts():
    assert window_key("a", "rule", "b") != window_key("a", "rule_error", "b")
    assert window_key("a:b", "rule", "c") != window_key("a", "rule", "b:c")
    assert len(window_key("x" * 300, "rule", "y" * 5000)) == 64
