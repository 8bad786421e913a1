"""Discord: a channel webhook message carrying one embed (`POST /api/webhooks/{id}/{token}?wait=true`).

`wait=true` makes Discord answer with the created message (200) instead of an empty 204, so the message is
kept with the delivery attempt. Mentions in alert text are disabled: an alert never pings @everyone.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import orjson
from pydantic import AnyHttpUrl, Field

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

SEVERITY_COLOR = {"CRITICAL": 0xB71C1C, "HIGH": 0xEF6C00, "MEDIUM": 0xF9A825, "LOW": 0x1565C0,
                  "INFO": 0x757575}
# Discord's embed limits.
TITLE_LIMIT, DESCRIPTION_LIMIT, FIELD_VALUE_LIMIT, EMBED_TOTAL_LIMIT = 256, 4096, 1024, 6000


class DiscordConfig(DestinationConfig):
    webhook_url: SecretHttpUrl = Field(description="The channel webhook's URL (Channel settings > Integrations); "
                                               "kept secret, since it holds the webhook's token.",
                                    examples=["https://discord.com/api/webhooks/1234567890/AbCdEfGhIjKlMnOp"])
    username: str = Field(default="Onca", min_length=1, max_length=80,
                          description="Name the message is posted under.", examples=["Onca", "SecOps alerts"])
    avatar_url: AnyHttpUrl | None = Field(default=None, description="Picture shown beside the message.",
                                          examples=["https://onca.example.com/static/logo.png"])
    thread_id: str | None = Field(default=None, pattern=r"^\d+$",
                                  description="Post into this thread of the webhook's channel.",
                                  examples=["1098765432109876543"])





def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1] + "…" if limit > 0 else ""


def _field(name: str, value: str, inline: bool) -> dict[str, Any]:
    return {"name": name, "value": _cut(value, FIELD_VALUE_LIMIT), "inline": inline}


def _embed_size(embed: dict[str, Any]) -> int:
    return (len(embed["title"]) + len(embed.get("description", "")) + len(embed["footer"]["text"])
            + sum(len(field["name"]) + len(field["value"]) for field in embed["fields"]))


def embed(alert: Alert) -> dict[str, Any]:
    fields = [
        _field("Severity", alert.severity, True),
        _field("Detection", f"`{alert.detection_id}`", True),
        _field("Events", str(alert.event_count), True),
        _field("First event", iso_utc(alert.first_event_time), True),
        _field("Last event", iso_utc(alert.last_event_time), True),
        _field("Log types", ", ".join(alert.log_types) or "-", True),
    ]
    if alert.runbook:
        fields.append(_field("Runbook", alert.runbook, False))
    if alert.reference:
        fields.append(_field("Reference", alert.reference, False))
    if alert.alert_context:
        context = json.dumps(alert.alert_context, indent=2, default=str)
        fence = "```json\n{}\n```"
        fields.append(_field("Alert context", fence.format(_cut(context, FIELD_VALUE_LIMIT - len(fence) + 2)),
                             False))
    result: dict[str, Any] = {
        "title": _cut(alert.title, TITLE_LIMIT),
        "color": SEVERITY_COLOR.get(alert.severity, SEVERITY_COLOR["INFO"]),
        "timestamp": iso_utc(alert.created_at),
        "fields": fields,
        "footer": {"text": f"Onca · alert {alert.id}"},
    }
    if alert.url:
        result["url"] = alert.url
    if alert.description:
        # the description gives way so that the whole embed stays within Discord's total
        description = _cut(alert.description, min(DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - _embed_size(result)))
        if description:
            result["description"] = description
    return result


@register
class DiscordDestination(Destination):
    kind = "discord"
    config_model = DiscordConfig
    config: DiscordConfig

    def payload(self, alert: Alert) -> dict[str, Any]:
        body: dict[str, Any] = {"username": self.config.username, "embeds": [embed(alert)],
                                "allowed_mentions": {"parse": []}}
        if self.config.avatar_url:
            body["avatar_url"] = str(self.config.avatar_url)
        return body

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> DeliveryResult:
        params = {"wait": "true"}
        if self.config.thread_id:
            params["thread_id"] = self.config.thread_id
        try:
            response = await client.post(self.config.webhook_url.get_secret_value(), params=params,
                                         content=orjson.dumps(self.payload(alert)),
                                         headers={"Content-Type": "application/json"},
                                         timeout=self.config.timeout_seconds)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a DeliveryResult
            return result_from_exception(exc)
        return result_from_response(response)
