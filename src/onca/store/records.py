"""What the store returns: plain frozen dataclasses, independent of the database session that read them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# The values the store accepts. They mirror onca.alerts.model (the store may not import it); a test keeps the
# two in step.
ALERT_STATUSES = ("open", "triaged", "resolved", "invalid", "closed")
ALERT_TYPES = ("rule", "rule_error", "policy", "correlation", "scheduled_rule")
ALERT_SEVERITIES = ("INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL")
COMPLIANCE_STATUSES = ("PASS", "FAIL", "ERROR")


@dataclass(frozen=True, slots=True)
class AlertRecord:
    id: str  # 32 hex digits
    detection_id: str
    type: str
    title: str
    severity: str
    status: str
    created_at: datetime
    updated_at: datetime
    update_time: datetime  # when the last match joined
    first_event_time: datetime
    last_event_time: datetime
    dedup: str = ""
    detection_version: str = ""
    detection_name: str = ""
    assignee: str = ""
    event_count: int = 1
    log_types: tuple[str, ...] = ()
    destinations: tuple[str, ...] = ()  # the destinations the alert was routed to
    alert_context: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    runbook: str = ""
    reference: str = ""
    tags: tuple[str, ...] = ()
    reports: dict[str, list[str]] = field(default_factory=dict)
    sample_event: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    alert_id: str
    destination_name: str
    destination_kind: str
    attempt: int  # 1 for the first try
    at: datetime
    ok: bool
    retryable: bool = False
    status_code: int | None = None
    response: str = ""
    error: str = ""
    destination_id: str = ""


@dataclass(frozen=True, slots=True)
class Comment:
    alert_id: str
    author: str
    body: str
    at: datetime


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    alert_id: str
    at: datetime
    actor: str
    action: str  # create, update, comment, events
    field: str = ""
    old: str | None = None
    new: str | None = None


@dataclass(frozen=True, slots=True)
class SystemErrorRecord:
    id: str
    kind: str  # e.g. alert_storm, delivery_failure
    subject: str  # what it is about, e.g. a detection id
    message: str
    first_seen: datetime
    last_seen: datetime
    count: int
    resolved: bool
    resolved_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DetectionState:
    detection_id: str
    alerting_suspended: bool
    suspended_at: datetime | None = None
    reason: str = ""
    resumed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ComplianceEntry:
    policy_id: str
    resource_id: str
    resource_type: str
    status: str  # PASS, FAIL or ERROR
    evaluated_at: datetime
    error: str = ""
    first_failed_at: datetime | None = None  # when the current run of failures began


@dataclass(frozen=True, slots=True)
class DedupWindow:
    """The deduplication window of one key, as locked for update by the alert manager."""

    key: str
    detection_id: str
    alert_type: str
    dedup: str
    opened_at: datetime
    closes_at: datetime
    match_count: int
    alert_id: str | None
    first_event_time: datetime
    last_event_time: datetime
