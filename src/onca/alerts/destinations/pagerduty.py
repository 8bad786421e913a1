"""PagerDuty: a `trigger` event on the Events API v2 (`POST /v2/enqueue` with the service's integration key).

The alert ID is the event's `dedup_key`, so sending the same alert again updates the open PagerDuty alert
instead of paging twice. Severity follows Panther's mapping: INFO and LOW -> info, MEDIUM -> warning,
HIGH -> error, CRITICAL -> critical.
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
from onca.alerts.document import iso_utc
from onca.alerts.model import Alert

SEVERITIES = {"INFO": "info", "LOW": "info", "MEDIUM": "warning", "HIGH": "error", "CRITICAL": "critical"}
SUMMARY_LIMIT = 1024  # PagerDuty truncates longer summaries


class PagerDutyConfig(DestinationConfig):
    routing_key: SecretStr = Field(
        min_length=1,
        description="Integration key of an Events API v2 integration on the PagerDuty service "
                    "(Service > Integrations > Events API V2).",
        examples=["R0UT1NGK3Y0123456789ABCDEFGHIJKL"])
    api_url: AnyHttpUrl = Field(default=AnyHttpUrl("https://events.pagerduty.com"),
                                description="Events API base URL (`/v2/enqueue` is added).",
                                examples=["https://events.pagerduty.com", "https://events.eu.pagerduty.com"])
    source: str = Field(default="onca", min_length=1,
                        description="The event's `source`: where the problem was seen, shown on incidents.",
                        examples=["onca", "onca-prod"])




def custom_details(alert: Alert) -> dict[str, Any]:
    """The alert's facts, shown as a table on the PagerDuty incident."""
    return {
        "title": alert.title,
        "severity": alert.severity,
        "detection_id": alert.detection_id,
        "detection_name": alert.detection_name,
        "alert_id": alert.id,
        "alert_type": alert.type,
        "description": alert.description,
        "runbook": alert.runbook,
        "reference": alert.reference,
        "event_count": alert.event_count,
        "first_event_time": iso_utc(alert.first_event_time),
        "last_event_time": iso_utc(alert.last_event_time),
        "log_types": list(alert.log_types),
        "tags": list(alert.tags),
        "alert_context": alert.alert_context,
        "link": alert.url,
    }


@register
class PagerDutyDestination(Destination):
    kind = "pagerduty"
    config_model = PagerDutyConfig
    config: PagerDutyConfig

    def endpoint(self) -> str:
        return f"{str(self.config.api_url).rstrip('/')}/v2/enqueue"

    def payload(self, alert: Alert) -> dict[str, Any]:
        event: dict[str, Any] = {
            "routing_key": self.config.routing_key.get_secret_value(),
            "event_action": "trigger",
            "dedup_key": alert.id,
            "payload": {
                "summary": alert.title[:SUMMARY_LIMIT],
                "source": self.config.source,
                "severity": SEVERITIES.get(alert.severity, "info"),
                "timestamp": iso_utc(alert.created_at),
                "component": ", ".join(alert.log_types),
                "group": alert.detection_id,
                "class": alert.type,
                "custom_details": custom_details(alert),
            },
            "client": "Onca",
        }
        links = []
        if alert.url:
            event["client_url"] = alert.url
            links.append({"href": alert.url, "text": "View alert in Onca"})
        if alert.reference.startswith(("https://", "http://")):
            links.append({"href": alert.reference, "text": "Reference"})
        if links:
            event["links"] = links
        return event

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> DeliveryResult:
        try:
            body = orjson.dumps(self.payload(alert), default=str)  # context values need not be JSON types
            response = await client.post(self.endpoint(), content=body,
                                         headers={"Content-Type": "application/json"},
                                         timeout=self.config.timeout_seconds)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a DeliveryResult
            return result_from_exception(exc)
        return result_from_response(response)
