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
# How a role reaches log types, as Panther names it: the listed ones only, all, all but the listed, none.
LOG_TYPE_ACCESS_KINDS = ("ALLOW", "ALLOW_ALL", "DENY", "DENY_ALL")
# Who created or changed an API token.
ACTOR_TYPES = ("user", "api-token", "system")


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


@dataclass(frozen=True, slots=True)
class RoleRecord:
    id: str
    name: str
    permissions: tuple[str, ...]
    log_type_access_kind: str  # one of LOG_TYPE_ACCESS_KINDS
    created_at: datetime
    updated_at: datetime
    log_type_access: tuple[str, ...] = ()  # the log types ALLOW or DENY lists
    builtin: bool = False


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user; the password hash is read separately (UserRepo.password_hash) so it never travels by accident."""

    id: str
    email: str
    given_name: str
    family_name: str
    role_id: str
    enabled: bool
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None = None
    has_password: bool = True  # False for users who only sign in through single sign-on


@dataclass(frozen=True, slots=True)
class ActorRef:
    type: str  # one of ACTOR_TYPES
    id: str


@dataclass(frozen=True, slots=True)
class ApiTokenRecord:
    """An API token's metadata; its secret is kept only as a hash."""

    id: str
    name: str
    permissions: tuple[str, ...]
    created_at: datetime
    created_by: ActorRef
    updated_at: datetime
    updated_by: ActorRef
    allowed_cidrs: tuple[str, ...] = ()
    log_type_access_kind: str = "ALLOW_ALL"
    log_type_access: tuple[str, ...] = ()
    expires_at: datetime | None = None
    rotated_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class UserSessionRecord:
    """A signed-in browser session; the store knows it only by the hash of its cookie value."""

    id_hash: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    client_ip: str = ""
    user_agent: str = ""


@dataclass(frozen=True, slots=True)
class LogSourceRecord:
    id: str
    kind: str
    label: str
    settings: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    created_by: str = ""


@dataclass(frozen=True, slots=True)
class SavedQueryRecord:
    id: str
    name: str
    sql: str
    created_at: datetime
    updated_at: datetime
    description: str = ""
    schedule: dict[str, Any] | None = None  # {cron | rateMinutes, timeoutMinutes, disabled}
    created_by: str = ""


@dataclass(frozen=True, slots=True)
class CustomSchemaRecord:
    name: str
    spec: str
    revision: int
    created_at: datetime
    updated_at: datetime
    description: str = ""
    created_by: str = ""
