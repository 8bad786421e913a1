"""Jira Cloud: each alert opens an issue through REST API v3 (`POST /rest/api/3/issue`, basic auth with an
Atlassian account email and API token).

The description is an Atlassian Document Format (ADF) document. Severity sets the issue priority by name,
using the names of Jira's default priority scheme (CRITICAL -> Highest ... INFO -> Lowest); projects whose
create screen has no priority field reject any priority, so `priorities: {}` leaves it out.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import orjson
from pydantic import AnyHttpUrl, Field, SecretStr, field_validator

from onca.alerts.destinations.base import (
    DeliveryResult,
    Destination,
    DestinationConfig,
    register,
    result_from_exception,
    result_from_response,
)
from onca.alerts.document import iso_utc
from onca.alerts.model import SEVERITIES, Alert

DEFAULT_PRIORITIES = {"CRITICAL": "Highest", "HIGH": "High", "MEDIUM": "Medium", "LOW": "Low",
                      "INFO": "Lowest"}
SUMMARY_LIMIT = 255  # Jira rejects longer summaries
CONTEXT_LIMIT = 20000


class JiraConfig(DestinationConfig):
    site_url: AnyHttpUrl = Field(description="The Jira Cloud site.", examples=["https://example.atlassian.net"])
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$",
                       description="Email of the Atlassian account that creates the issues.",
                       examples=["secops-bot@example.com"])
    api_token: SecretStr = Field(min_length=1, description="API token of that account (id.atlassian.com).",
                                 examples=["ATATT3xFfGF0abcdefghijklmnop"])
    project_key: str = Field(pattern=r"^[A-Z][A-Z0-9_]+$",
                             description="Key of the project issues are created in.", examples=["SEC"])
    issue_type: str = Field(default="Task", min_length=1,
                            description="Issue type name: Bug, Task, Story or a custom type of the project.",
                            examples=["Task", "Bug", "Security Incident"])
    labels: tuple[str, ...] = Field(default=(), description="Labels put on every issue (no spaces).",
                                    examples=[["onca", "security-alert"]])
    assignee_account_id: str | None = Field(default=None,
                                            description="Atlassian account ID the issue is assigned to.",
                                            examples=["5b10ac8d82e05b22cc7d4ef5"])
    priorities: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_PRIORITIES),
        description="Jira priority name for each alert severity; `{}` leaves the priority to the project.",
        examples=[DEFAULT_PRIORITIES, {}])

    @field_validator("labels")
    @classmethod
    def _no_spaces(cls, labels: tuple[str, ...]) -> tuple[str, ...]:
        for label in labels:
            if not label or re.search(r"\s", label):
                raise ValueError(f"Jira label {label!r} must be non-empty and have no spaces")
        return labels

    @field_validator("priorities")
    @classmethod
    def _known_severities(cls, priorities: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(priorities) - set(SEVERITIES))
        if unknown:
            raise ValueError(f"unknown severities {unknown}; use {', '.join(SEVERITIES)}")
        return priorities




# --- Atlassian Document Format -----------------------------------------------------------------------------

def _inline(text: str, marks: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Text nodes for one paragraph; ADF has no newline in text, so lines are joined by hard breaks."""
    nodes: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines() or [""]):
        if number:
            nodes.append({"type": "hardBreak"})
        if line:  # ADF forbids empty text nodes
            nodes.append({"type": "text", "text": line, **({"marks": marks} if marks else {})})
    return nodes


def _paragraph(*nodes: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(nodes)}


def _heading(text: str) -> dict[str, Any]:
    return {"type": "heading", "attrs": {"level": 3}, "content": _inline(text)}


def _link(text: str, url: str) -> dict[str, Any]:
    return {"type": "text", "text": text, "marks": [{"type": "link", "attrs": {"href": url}}]}


def _fact(label: str, value: str, code: bool = False) -> dict[str, Any]:
    label_node = {"type": "text", "text": f"{label}: ", "marks": [{"type": "strong"}]}
    marks = [{"type": "code"}] if code else None
    return {"type": "listItem", "content": [_paragraph(label_node, *_inline(value, marks))]}


def description_document(alert: Alert) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if alert.description:
        content.append(_paragraph(*_inline(alert.description)))
    facts = [
        _fact("Severity", alert.severity),
        _fact("Detection", alert.detection_id, code=True),
        _fact("Alert ID", alert.id, code=True),
        _fact("Events", f"{alert.event_count} between {iso_utc(alert.first_event_time)} and "
                        f"{iso_utc(alert.last_event_time)}"),
    ]
    if alert.log_types:
        facts.append(_fact("Log types", ", ".join(alert.log_types)))
    if alert.tags:
        facts.append(_fact("Tags", ", ".join(alert.tags)))
    content.append({"type": "bulletList", "content": facts})
    if alert.runbook:
        content += [_heading("Runbook"), _paragraph(*_inline(alert.runbook))]
    if alert.reference:
        is_url = alert.reference.startswith(("https://", "http://"))
        reference = [_link(alert.reference, alert.reference)] if is_url else _inline(alert.reference)
        content += [_heading("Reference"), _paragraph(*reference)]
    if alert.alert_context:
        context = json.dumps(alert.alert_context, indent=2, default=str)[:CONTEXT_LIMIT]
        content += [_heading("Alert context"),
                    {"type": "codeBlock", "attrs": {"language": "json"},
                     "content": [{"type": "text", "text": context}]}]
    if alert.url:
        content.append(_paragraph(_link("View alert in Onca", alert.url)))
    return {"type": "doc", "version": 1, "content": content}


@register
class JiraDestination(Destination):
    kind = "jira"
    config_model = JiraConfig
    config: JiraConfig

    def endpoint(self) -> str:
        return f"{str(self.config.site_url).rstrip('/')}/rest/api/3/issue"

    def payload(self, alert: Alert) -> dict[str, Any]:
        summary = " ".join(alert.title.split())  # a summary is one line
        fields: dict[str, Any] = {
            "project": {"key": self.config.project_key},
            "issuetype": {"name": self.config.issue_type},
            "summary": summary[:SUMMARY_LIMIT],
            "description": description_document(alert),
            "labels": list(self.config.labels),
        }
        priority = self.config.priorities.get(alert.severity)
        if priority:
            fields["priority"] = {"name": priority}
        if self.config.assignee_account_id:
            fields["assignee"] = {"accountId": self.config.assignee_account_id}
        return {"fields": fields}

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> DeliveryResult:
        auth = httpx.BasicAuth(self.config.email, self.config.api_token.get_secret_value())
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        try:
            response = await client.post(self.endpoint(), content=orjson.dumps(self.payload(alert)),
                                         headers=headers, auth=auth, timeout=self.config.timeout_seconds)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a DeliveryResult
            return result_from_exception(exc)
        return result_from_response(response)
