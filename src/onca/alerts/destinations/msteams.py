"""Microsoft Teams: an Adaptive Card posted to a channel webhook.

Works with both kinds of Teams webhook URL: a Workflows webhook ("Post to a channel when a webhook request is
received", answering 202) and a legacy incoming-webhook connector (answering 200 with `1`). Both take a
`message` whose attachment is the card. A legacy connector reports some failures, throttling among them, as
HTTP 200 with a text body beginning "Webhook message delivery failed"; that is treated as the failure it is.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import orjson
from pydantic import Field

from onca.alerts.destinations.base import (
    SecretHttpUrl,
    DeliveryResult,
    Destination,
    DestinationConfig,
    register,
    result_from_exception,
    result_from_response,
)
from onca.alerts.document import iso_utc
from onca.alerts.model import Alert

# Adaptive Card colours: "attention" is red, "warning" amber, "accent" blue.
SEVERITY_COLOR = {"CRITICAL": "attention", "HIGH": "attention", "MEDIUM": "warning", "LOW": "accent",
                  "INFO": "default"}
CONTEXT_LIMIT = 4000  # keeps the whole card well under Teams' 28 KB message limit
CARD_VERSION = "1.4"  # the newest version both Workflows and connectors render
_CONNECTOR_FAILURE = re.compile(r"^Webhook message delivery failed", re.IGNORECASE)
_EMBEDDED_STATUS = re.compile(r"HTTP error (\d{3})")


class MsTeamsConfig(DestinationConfig):
    webhook_url: SecretHttpUrl = Field(
        description="The channel's webhook URL: from a Workflows \"webhook request\" flow, or a legacy "
                    "incoming-webhook connector. Kept secret: its signature is the credential.",
        examples=["https://prod-00.westus.logic.azure.com:443/workflows/0123abcd/triggers/manual/paths/invoke"
                  "?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=XXXX"])





def _text(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **extra}


def card(alert: Alert) -> dict[str, Any]:
    """The Adaptive Card: title, severity, description, facts, runbook, context and a link to the alert."""
    body: list[dict[str, Any]] = [
        _text(alert.title, size="Large", weight="Bolder", style="heading"),
        _text(f"Severity: {alert.severity}", weight="Bolder",
              color=SEVERITY_COLOR.get(alert.severity, "default"), spacing="None"),
    ]
    if alert.description:
        body.append(_text(alert.description))
    facts = [
        {"title": "Detection", "value": alert.detection_id},
        {"title": "Events", "value": str(alert.event_count)},
        {"title": "First event", "value": iso_utc(alert.first_event_time)},
        {"title": "Last event", "value": iso_utc(alert.last_event_time)},
        {"title": "Log types", "value": ", ".join(alert.log_types) or "-"},
        {"title": "Alert ID", "value": alert.id},
    ]
    if alert.reference:
        facts.append({"title": "Reference", "value": alert.reference})
    body.append({"type": "FactSet", "facts": facts})
    if alert.runbook:
        body += [_text("Runbook", weight="Bolder"), _text(alert.runbook, spacing="None")]
    if alert.alert_context:
        context = json.dumps(alert.alert_context, indent=2, default=str)[:CONTEXT_LIMIT]
        body += [_text("Alert context", weight="Bolder"),
                 _text(context, fontType="Monospace", spacing="None")]
    content: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "msteams": {"width": "Full"},
        "body": body,
    }
    if alert.url:
        content["actions"] = [{"type": "Action.OpenUrl", "title": "View alert in Onca", "url": alert.url}]
    return content


def message(alert: Alert) -> dict[str, Any]:
    attachment = {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
                  "content": card(alert)}
    return {"type": "message", "attachments": [attachment]}


def _connector_result(response: httpx.Response) -> DeliveryResult:
    result = result_from_response(response)
    if result.ok and _CONNECTOR_FAILURE.match(response.text):
        embedded = _EMBEDDED_STATUS.search(response.text)
        code = int(embedded.group(1)) if embedded else None
        retryable = code is None or code in (408, 429) or code >= 500
        return DeliveryResult(ok=False, retryable=retryable, status_code=response.status_code,
                              response=result.response, error=f"Teams: {response.text[:200]}")
    return result


@register
class MsTeamsDestination(Destination):
    kind = "msteams"
    config_model = MsTeamsConfig
    config: MsTeamsConfig

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> DeliveryResult:
        try:
            response = await client.post(self.config.webhook_url.get_secret_value(),
                                         content=orjson.dumps(message(alert)),
                                         headers={"Content-Type": "application/json"},
                                         timeout=self.config.timeout_seconds)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a DeliveryResult
            return result_from_exception(exc)
        return _connector_result(response)
