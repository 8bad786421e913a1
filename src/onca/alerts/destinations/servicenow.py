"""ServiceNow: each alert opens an incident through the Table API (`POST /api/now/table/incident`, basic
auth).

Severity becomes ServiceNow's impact and urgency, chosen so that ServiceNow's own priority matrix yields one
distinct priority per severity (CRITICAL -> 1 Critical ... INFO -> 5 Planning).
"""

from __future__ import annotations

import json

import httpx
from pydantic import AnyHttpUrl, Field, SecretStr

from onca.alerts.destinations.base import (
    DeliveryResult,
    Destination,
    DestinationConfig,
    register,
    result_from_exception,
    result_from_response,
)
from onca.alerts.document import iso_utc
from onca.alerts.model import Alert

# severity -> (impact, urgency); 1 is high, 3 is low in both.
IMPACT_URGENCY: dict[str, tuple[str, str]] = {
    "CRITICAL": ("1", "1"),  # priority 1 - Critical
    "HIGH": ("1", "2"),      # priority 2 - High
    "MEDIUM": ("2", "2"),    # priority 3 - Moderate
    "LOW": ("2", "3"),       # priority 4 - Low
    "INFO": ("3", "3"),      # priority 5 - Planning
}
SHORT_DESCRIPTION_LIMIT = 160  # the incident table's column length


class ServiceNowConfig(DestinationConfig):
    instance_url: AnyHttpUrl = Field(
        description="Base URL of the ServiceNow instance.",
        examples=["https://example.service-now.com"])
    username: str = Field(description="User the incidents are created as; it needs the `itil` role.",
                          examples=["onca.integration"])
    password: SecretStr = Field(description="That user's password.", examples=["s3cret"])
    table: str = Field(default="incident", pattern=r"^[A-Za-z0-9_]+$",
                       description="Table the records are created in.", examples=["incident"])
    assignment_group: str = Field(default="",
                                  description="Assignment group (name or sys_id) set on new incidents.",
                                  examples=["Security Operations"])
    category: str = Field(default="", description="Category set on new incidents.", examples=["security"])
    caller_id: str = Field(default="", description="Caller (user name or sys_id) set on new incidents.",
                           examples=["onca.integration"])
    extra_fields: dict[str, str] = Field(
        default_factory=dict, description="More columns to set on every new record, by column name.",
        examples=[{"subcategory": "intrusion", "contact_type": "monitoring"}])




def incident_description(alert: Alert) -> str:
    """The incident body: every fact a responder needs, one per line, then the alert context as JSON."""
    detection = alert.detection_id + (f" ({alert.detection_name})" if alert.detection_name else "")
    lines = [
        f"Severity: {alert.severity}",
        f"Detection: {detection}",
        f"Alert ID: {alert.id}",
        f"Alert type: {alert.type}",
        f"Events: {alert.event_count}",
        f"First event: {iso_utc(alert.first_event_time)}",
        f"Last event: {iso_utc(alert.last_event_time)}",
    ]
    if alert.log_types:
        lines.append(f"Log types: {', '.join(alert.log_types)}")
    if alert.url:
        lines.append(f"Link: {alert.url}")
    for label, text in (("Description", alert.description), ("Runbook", alert.runbook),
                        ("Reference", alert.reference)):
        if text:
            lines += ["", f"{label}:", text]
    if alert.alert_context:
        context = json.dumps(alert.alert_context, indent=2, sort_keys=True, default=str)
        lines += ["", "Alert context:", context]
    return "\n".join(lines)


@register
class ServiceNowDestination(Destination):
    kind = "servicenow"
    config_model = ServiceNowConfig
    config: ServiceNowConfig

    def endpoint(self) -> str:
        return f"{str(self.config.instance_url).rstrip('/')}/api/now/table/{self.config.table}"

    def payload(self, alert: Alert) -> dict[str, str]:
        impact, urgency = IMPACT_URGENCY.get(alert.severity, IMPACT_URGENCY["INFO"])
        record = {
            "short_description": f"[{alert.severity}] {alert.title}"[:SHORT_DESCRIPTION_LIMIT],
            "description": incident_description(alert),
            "impact": impact,
            "urgency": urgency,
            # lets ServiceNow users find (and scripts dedupe) the incidents an alert opened
            "correlation_id": alert.id,
            "correlation_display": "Onca",
        }
        for column in ("assignment_group", "category", "caller_id"):
            if value := getattr(self.config, column):
                record[column] = value
        return {**self.config.extra_fields, **record}

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> DeliveryResult:
        try:
            response = await client.post(
                self.endpoint(), json=self.payload(alert), headers={"Accept": "application/json"},
                auth=httpx.BasicAuth(self.config.username, self.config.password.get_secret_value()),
                timeout=self.config.timeout_seconds)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a DeliveryResult
            return result_from_exception(exc)
        return result_from_response(response)
