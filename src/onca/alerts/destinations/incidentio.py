"""incident.io: alerts arrive as alert events on an HTTP alert source
(`POST /v2/alert_events/http/{alert_source_config_id}` with the source's bearer token).

The alert ID is the deduplication key, so a re-sent alert updates the same incident.io alert instead of
opening another. incident.io alert events carry no priority of their own; `metadata.priority` holds P1
(CRITICAL) to P5 (INFO), the scale Panther uses for Opsgenie, for the alert source's attribute mapping to
pick up.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from pydantic import AnyHttpUrl, Field, SecretStr

from onca.alerts.destinations.base import (
    DeliveryResult,
    Destination,
    DestinationConfig,
    register,
    result_from_exception,
    result_from_response,
)
from onca.alerts.document import alert_facts, iso_utc
from onca.alerts.model import PRIORITY_SCALE, Alert

PRIORITIES = PRIORITY_SCALE


class IncidentIoConfig(DestinationConfig):
    alert_source_config_id: str = Field(
        pattern=r"^[A-Za-z0-9]+$",
        description="ID of the HTTP alert source: the last part of its URL "
                    "https://api.incident.io/v2/alert_events/http/<ID>.",
        examples=["01GW2G3V0S59R238FAHPDS1R66"])
    token: SecretStr = Field(description="The alert source's token, sent as `Authorization: Bearer <token>`.",
                             examples=["inc_src_0123456789abcdef"])
    api_url: AnyHttpUrl = Field(default=AnyHttpUrl("https://api.incident.io"),
                                description="incident.io API base URL.", examples=["https://api.incident.io"])
    metadata: dict[str, str] = Field(
        default_factory=dict,
        description="Static metadata added to every event (the alert's own fields win on a clash).",
        examples=[{"team": "security", "environment": "production"}])




def event_description(alert: Alert) -> str:
    """Markdown shown on the incident.io alert."""
    parts = [alert.description] if alert.description else []
    facts = [f"**{label}:** {value}" for label, value in alert_facts(alert)]
    if alert.url:
        facts.append(f"**Alert:** {alert.url}")
    parts.append("\n".join(facts))
    return "\n\n".join(parts)


@register
class IncidentIoDestination(Destination):
    kind = "incidentio"
    config_model = IncidentIoConfig
    config: IncidentIoConfig

    def endpoint(self) -> str:
        base = str(self.config.api_url).rstrip("/")
        return f"{base}/v2/alert_events/http/{self.config.alert_source_config_id}"

    def payload(self, alert: Alert) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            **self.config.metadata,
            "alert_id": alert.id,
            "alert_type": alert.type,
            "detection_id": alert.detection_id,
            "detection_name": alert.detection_name,
            "severity": alert.severity,
            "priority": PRIORITIES.get(alert.severity, "P5"),
            "event_count": alert.event_count,
            "first_event_time": iso_utc(alert.first_event_time),
            "last_event_time": iso_utc(alert.last_event_time),
            "log_types": list(alert.log_types),
            "tags": list(alert.tags),
            "runbook": alert.runbook,
            "reference": alert.reference,
            "alert_context": alert.alert_context,
        }
        body: dict[str, Any] = {
            "title": alert.title,
            "description": event_description(alert),
            "deduplication_key": alert.id,
            "status": "firing",
            "metadata": metadata,
        }
        if alert.url:
            body["source_url"] = alert.url
        return body

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> DeliveryResult:
        headers = {"Authorization": f"Bearer {self.config.token.get_secret_value()}",
                   "Content-Type": "application/json"}
        try:
            body = orjson.dumps(self.payload(alert), default=str)  # context values need not be JSON types
            response = await client.post(self.endpoint(), content=body, headers=headers,
                                         timeout=self.config.timeout_seconds)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a DeliveryResult
            return result_from_exception(exc)
        return result_from_response(response)
