"""Opsgenie: each alert creates an Opsgenie alert through the Alert API (`POST /v2/alerts`, `GenieKey` auth).

The alert ID is the Opsgenie `alias`, so a re-sent alert is deduplicated by Opsgenie instead of paging again.
Priority follows Panther's mapping: CRITICAL -> P1, HIGH -> P2, MEDIUM -> P3, LOW -> P4, INFO -> P5.
Accounts in Opsgenie's EU region use api.eu.opsgenie.com.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import httpx
import orjson
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr

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
REGION_URLS = {"us": "https://api.opsgenie.com", "eu": "https://api.eu.opsgenie.com"}
# Opsgenie's documented field limits; longer values are cut by Opsgenie or rejected.
MESSAGE_LIMIT, ALIAS_LIMIT, DESCRIPTION_LIMIT, ENTITY_LIMIT = 130, 512, 15000, 512
TAG_LIMIT, TAG_COUNT_LIMIT = 50, 20


class OpsgenieResponder(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["team", "user", "escalation", "schedule"] = Field(
        description="What kind of responder this is.", examples=["team"])
    name: str = Field(min_length=1, description="Team, escalation or schedule name, or the user's username.",
                      examples=["SecOps", "oncall@example.com"])

    def as_opsgenie(self) -> dict[str, str]:
        return {"type": self.type, ("username" if self.type == "user" else "name"): self.name}


class OpsgenieConfig(DestinationConfig):
    api_key: SecretStr = Field(
        min_length=1,
        description="Key of an Opsgenie API integration with create and update access, sent as "
                    "`Authorization: GenieKey <key>`.",
        examples=["eb243592-faa2-4ba2-a551q-1afdf565c889"])
    region: Literal["us", "eu"] = Field(default="us", description="The Opsgenie region the account lives in.",
                                        examples=["us", "eu"])
    api_url: AnyHttpUrl | None = Field(default=None,
                                       description="Alert API base URL; overrides `region` when set.",
                                       examples=["https://api.opsgenie.com"])
    responders: tuple[OpsgenieResponder, ...] = Field(
        default=(), description="Who Opsgenie notifies; without responders the integration's team is used.",
        examples=[[{"type": "team", "name": "SecOps"}]])
    tags: tuple[str, ...] = Field(default=(), examples=[["onca", "security"]],
                                  description="Tags added to every alert after the detection's own.")




def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def description(alert: Alert) -> str:
    lines = [alert.description, ""] if alert.description else []
    lines += [f"{label}: {value}" for label, value in alert_facts(alert)]
    if alert.alert_context:
        lines += ["", "Alert context:", json.dumps(alert.alert_context, indent=2, default=str)]
    if alert.url:
        lines += ["", f"View alert in Onca: {alert.url}"]
    return "\n".join(lines)[:DESCRIPTION_LIMIT]


def details(alert: Alert) -> dict[str, str]:
    """Opsgenie's extra properties: a flat map of strings."""
    facts = {
        "Alert ID": alert.id,
        "Detection ID": alert.detection_id,
        "Severity": alert.severity,
        "Event count": str(alert.event_count),
        "First event time": iso_utc(alert.first_event_time),
        "Last event time": iso_utc(alert.last_event_time),
        "Log types": ", ".join(alert.log_types),
        "Runbook": alert.runbook,
        "Reference": alert.reference,
        "Link": alert.url,
    }
    facts.update({f"context.{key}": _text(value) for key, value in alert.alert_context.items()})
    return {key: value for key, value in facts.items() if value}


@register
class OpsgenieDestination(Destination):
    kind = "opsgenie"
    config_model = OpsgenieConfig
    config: OpsgenieConfig

    def endpoint(self) -> str:
        base = str(self.config.api_url) if self.config.api_url else REGION_URLS[self.config.region]
        return f"{base.rstrip('/')}/v2/alerts"

    def payload(self, alert: Alert) -> dict[str, Any]:
        tags = list(dict.fromkeys(tag[:TAG_LIMIT] for tag in (*alert.tags, *self.config.tags)))
        body: dict[str, Any] = {
            "message": alert.title[:MESSAGE_LIMIT],
            "alias": alert.id[:ALIAS_LIMIT],
            "description": description(alert),
            "tags": tags[:TAG_COUNT_LIMIT],
            "details": details(alert),
            "entity": alert.detection_id[:ENTITY_LIMIT],
            "source": "Onca",
            "priority": PRIORITIES.get(alert.severity, "P5"),
        }
        if self.config.responders:
            body["responders"] = [responder.as_opsgenie() for responder in self.config.responders]
        return body

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> DeliveryResult:
        headers = {"Authorization": f"GenieKey {self.config.api_key.get_secret_value()}",
                   "Content-Type": "application/json"}
        try:
            response = await client.post(self.endpoint(), content=orjson.dumps(self.payload(alert)),
                                         headers=headers, timeout=self.config.timeout_seconds)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a DeliveryResult
            return result_from_exception(exc)
        return result_from_response(response)
