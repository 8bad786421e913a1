"""The alert as destinations and the alert store see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SEVERITIES = ("INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL")
ALERT_TYPES = ("rule", "rule_error", "policy", "correlation", "scheduled_rule")
STATUSES = ("open", "triaged", "resolved", "invalid", "closed")
# Panther's priority scale for services that rank alerts P1..P5 (Opsgenie, and incident.io's metadata)
PRIORITY_SCALE = {"CRITICAL": "P1", "HIGH": "P2", "MEDIUM": "P3", "LOW": "P4", "INFO": "P5"}


@dataclass(frozen=True, slots=True)
class Alert:
    id: str
    type: str  # one of ALERT_TYPES
    detection_id: str
    title: str
    severity: str  # one of SEVERITIES
    created_at: datetime
    first_event_time: datetime
    last_event_time: datetime
    dedup: str = ""
    detection_name: str = ""
    detection_version: str = ""
    status: str = "open"
    assignee: str = ""
    event_count: int = 1
    log_types: tuple[str, ...] = ()
    description: str = ""
    runbook: str = ""
    reference: str = ""
    tags: tuple[str, ...] = ()
    reports: dict[str, list[str]] = field(default_factory=dict)
    alert_context: dict[str, Any] = field(default_factory=dict)
    sample_event: dict[str, Any] | None = None
    url: str = ""  # where a person opens the alert in the console

    def severity_rank(self) -> int:
        return SEVERITIES.index(self.severity) if self.severity in SEVERITIES else 0
