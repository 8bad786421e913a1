"""Asana: each alert becomes a task in a project (`POST /api/1.0/tasks`, with a personal access token as a
bearer token).

The task's name is the alert title and its notes hold the rest of the alert as plain text.
"""

from __future__ import annotations

import json
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
from onca.alerts.document import alert_facts
from onca.alerts.model import Alert

CONTEXT_LIMIT = 20000


class AsanaConfig(DestinationConfig):
    token: SecretStr = Field(min_length=1, description="Personal access token of the account creating tasks.",
                             examples=["2/1201234567890123/1207654321098765:0123456789abcdef0123456789abcdef"])
    project_gid: str = Field(pattern=r"^\d+$",
                             description="GID of the project tasks are added to (the number in its URL).",
                             examples=["1201234567890123"])
    assignee: str | None = Field(default=None, min_length=1,
                                 description="Who the task is assigned to: a user GID, an email, or `me`.",
                                 examples=["1200987654321098", "analyst@example.com"])
    api_url: AnyHttpUrl = Field(default=AnyHttpUrl("https://app.asana.com/api/1.0"),
                                description="Asana API base URL.", examples=["https://app.asana.com/api/1.0"])




def task_notes(alert: Alert) -> str:
    lines = [alert.description, ""] if alert.description else []
    lines += [f"{label}: {value}" for label, value in alert_facts(alert)]
    if alert.alert_context:
        context = json.dumps(alert.alert_context, indent=2, default=str)[:CONTEXT_LIMIT]
        lines += ["", "Alert context:", context]
    if alert.url:
        lines += ["", f"View alert in Onca: {alert.url}"]
    return "\n".join(lines)


@register
class AsanaDestination(Destination):
    kind = "asana"
    config_model = AsanaConfig
    config: AsanaConfig

    def endpoint(self) -> str:
        return f"{str(self.config.api_url).rstrip('/')}/tasks"

    def payload(self, alert: Alert) -> dict[str, Any]:
        task: dict[str, Any] = {"name": alert.title, "notes": task_notes(alert),
                                "projects": [self.config.project_gid]}
        if self.config.assignee:
            task["assignee"] = self.config.assignee
        return {"data": task}

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> DeliveryResult:
        headers = {"Authorization": f"Bearer {self.config.token.get_secret_value()}",
                   "Accept": "application/json", "Content-Type": "application/json"}
        try:
            response = await client.post(self.endpoint(), content=orjson.dumps(self.payload(alert)),
                                         headers=headers, timeout=self.config.timeout_seconds)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a DeliveryResult
            return result_from_exception(exc)
        return result_from_response(response)
