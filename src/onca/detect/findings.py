"""What live detection produces: one Finding per rule match, signal or rule error.

A Finding carries everything the alert manager needs to deduplicate, title, route and store it, so the
stages after detection never call detection code again. It is plain data and crosses process boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

FindingKind = Literal["match", "signal", "error"]

DEFAULT_DEDUP_PERIOD_MINUTES = 60


@dataclass(frozen=True, slots=True)
class Finding:
    kind: FindingKind  # match: alerting rule matched; signal: CreateAlert false; error: the rule raised
    detection_id: str
    detection_type: str  # "rule", "policy", "correlation", "scheduled_rule"
    log_type: str
    event: dict[str, Any]  # the normalized event (a policy's resource, a correlation's matched signals)
    event_time: datetime
    severity: str  # INFO .. CRITICAL, dynamic severity applied
    title: str
    dedup: str
    detection_version: str = ""
    detection_name: str = ""
    dedup_period_minutes: int = DEFAULT_DEDUP_PERIOD_MINUTES
    threshold: int = 1
    alert_context: dict[str, Any] = field(default_factory=dict)
    destinations: tuple[str, ...] | None = None  # from the detection's destinations(); None: not decided there
    destination_overrides: tuple[str, ...] = ()  # the spec's OutputIds
    description: str = ""
    reference: str = ""
    runbook: str = ""
    tags: tuple[str, ...] = ()
    reports: dict[str, list[str]] = field(default_factory=dict)
    error: str = ""  # for kind "error": "<function>: <ExceptionType>: <message>"
