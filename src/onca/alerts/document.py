"""The alert as one JSON document: what the custom webhook sends, and what the queue and automation destinations
(Splunk, SNS, SQS, Pub/Sub, Tines, Torq) carry as their message.

The keys follow Panther's custom webhook payload (`id` is the detection, `alertId` the alert, `name`, `version`,
`createdAt`, `link`, ...) so receivers written for Panther keep working; Onca adds reference, log types, event count
and times, dedup string and reports.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from onca.alerts.model import Alert


def iso_utc(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def alert_document(alert: Alert) -> dict[str, Any]:
    """The alert as the JSON document a custom webhook receives."""
    return {
        "id": alert.detection_id,
        "alertId": alert.id,
        "createdAt": iso_utc(alert.created_at),
        "severity": alert.severity,
        "type": alert.type.upper(),
        "link": alert.url,
        "title": alert.title,
        "name": alert.detection_name or alert.detection_id,
        "description": alert.description,
        "runbook": alert.runbook,
        "reference": alert.reference,
        "tags": list(alert.tags),
        "version": alert.detection_version,
        "alertContext": alert.alert_context,
        "logTypes": list(alert.log_types),
        "eventCount": alert.event_count,
        "firstEventTime": iso_utc(alert.first_event_time),
        "lastEventTime": iso_utc(alert.last_event_time),
        "dedup": alert.dedup,
        "reports": alert.reports,
    }


def alert_facts(alert: Alert) -> list[tuple[str, str]]:
    """The alert's facts as (label, value) pairs, in the order text destinations list them."""
    facts = [("Severity", alert.severity), ("Detection", alert.detection_id), ("Alert ID", alert.id),
             ("Events", f"{alert.event_count} between {iso_utc(alert.first_event_time)} and "
                        f"{iso_utc(alert.last_event_time)}")]
    optional = (("Log types", ", ".join(alert.log_types)), ("Tags", ", ".join(alert.tags)),
                ("Runbook", alert.runbook), ("Reference", alert.reference))
    return facts + [(label, value) for label, value in optional if value]
