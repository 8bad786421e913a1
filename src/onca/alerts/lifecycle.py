"""An alert's first state and its two shapes: the stored record and the Alert destinations receive.

New alerts start "open", except INFO ones, which start "resolved" (Panther's defaults). Analysts then move them
between open, triaged, resolved, invalid and closed; every change is kept in the alert's history.
"""

from __future__ import annotations

from datetime import datetime

from onca.alerts.dedup import AlertKey
from onca.alerts.model import SEVERITIES, Alert
from onca.detect.findings import Finding
from onca.store import AlertRecord, DedupWindow

FALLBACK_SEVERITY = "INFO"
ERROR_CONTEXT_KEY = "error"


def severity_of(finding: Finding) -> str:
    """The finding's severity in Onca's spelling; an unknown one is kept as INFO rather than dropping it."""
    severity = (finding.severity or "").strip().upper()
    return severity if severity in SEVERITIES else FALLBACK_SEVERITY


def initial_status(severity: str) -> str:
    return "resolved" if severity == "INFO" else "open"


def new_record(alert_id: str, finding: Finding, key: AlertKey, window: DedupWindow, now: datetime) -> AlertRecord:
    """The alert a finding raises, holding the matches its window has counted."""
    severity = severity_of(finding)
    context = dict(finding.alert_context)
    if finding.kind == "error" and finding.error:
        context.setdefault(ERROR_CONTEXT_KEY, finding.error)
    return AlertRecord(
        id=alert_id, detection_id=finding.detection_id, type=key.alert_type, title=key.title, severity=severity,
        status=initial_status(severity), created_at=now, updated_at=now, update_time=now,
        first_event_time=window.first_event_time, last_event_time=window.last_event_time, dedup=key.dedup,
        detection_version=finding.detection_version, detection_name=finding.detection_name,
        event_count=window.match_count, log_types=(finding.log_type,) if finding.log_type else (),
        alert_context=context, description=finding.description, runbook=finding.runbook,
        reference=finding.reference, tags=tuple(finding.tags),
        reports={name: list(values) for name, values in finding.reports.items()},
        sample_event=dict(finding.event) if finding.event else None,
    )


def to_alert(record: AlertRecord, *, console_url: str = "") -> Alert:
    """The stored alert as destinations see it."""
    return Alert(
        id=record.id, type=record.type, detection_id=record.detection_id, title=record.title,
        severity=record.severity, created_at=record.created_at, first_event_time=record.first_event_time,
        last_event_time=record.last_event_time, dedup=record.dedup, detection_name=record.detection_name,
        detection_version=record.detection_version, status=record.status, assignee=record.assignee,
        event_count=record.event_count, log_types=record.log_types, description=record.description,
        runbook=record.runbook, reference=record.reference, tags=record.tags, reports=dict(record.reports),
        alert_context=dict(record.alert_context), sample_event=record.sample_event,
        url=f"{console_url.rstrip('/')}/alerts/{record.id}" if console_url else "",
    )
