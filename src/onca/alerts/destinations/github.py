"""GitHub: each alert opens an issue through the REST API (`POST /repos/{owner}/{repo}/issues`).

The token needs write access to issues (a fine-grained token with "Issues: Read and write", or a classic token
with `repo`). GitHub's rate limits answer 403 or 429 with `retry-after` or `x-ratelimit-remaining: 0`; those
are retried, any other 403 (missing permission) is not.
"""

from __future__ import annotations

import json
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
from onca.alerts.model import Alert

API_VERSION = "2022-11-28"
BODY_LIMIT = 65536  # GitHub rejects longer issue bodies
CONTEXT_LIMIT = 30000


class GitHubConfig(DestinationConfig):
    token: SecretStr = Field(min_length=1, description="Token allowed to create issues in the repository.",
                             examples=["github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"])
    owner: str = Field(pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$",
                       description="User or organization that owns the repository.", examples=["acme"])
    repo: str = Field(pattern=r"^[A-Za-z0-9._-]+$", description="Repository name.",
                      examples=["security-alerts"])
    labels: tuple[str, ...] = Field(default=(), description="Labels put on every issue (created if missing).",
                                    examples=[["onca", "security"]])
    assignees: tuple[str, ...] = Field(default=(), description="Logins the issue is assigned to.",
                                       examples=[["octocat"]])
    api_url: AnyHttpUrl = Field(default=AnyHttpUrl("https://api.github.com"),
                                description="REST API base URL (GitHub Enterprise Server: https://HOST/api/v3).",
                                examples=["https://api.github.com", "https://github.example.com/api/v3"])

    @field_validator("repo")
    @classmethod
    def _not_a_dot_path(cls, repo: str) -> str:
        if repo in (".", ".."):
            raise ValueError(f"{repo!r} is not a repository name")
        return repo




def issue_body(alert: Alert) -> str:
    """Markdown for the issue."""
    parts = [alert.description] if alert.description else []
    facts = [f"- **Severity:** {alert.severity}",
             f"- **Detection:** `{alert.detection_id}`",
             f"- **Alert ID:** `{alert.id}`",
             f"- **Events:** {alert.event_count} between {iso_utc(alert.first_event_time)} and "
             f"{iso_utc(alert.last_event_time)}"]
    if alert.log_types:
        facts.append(f"- **Log types:** {', '.join(alert.log_types)}")
    if alert.tags:
        facts.append(f"- **Tags:** {', '.join(alert.tags)}")
    if alert.reference:
        facts.append(f"- **Reference:** {alert.reference}")
    parts.append("\n".join(facts))
    if alert.runbook:
        parts.append(f"### Runbook\n\n{alert.runbook}")
    if alert.alert_context:
        context = json.dumps(alert.alert_context, indent=2, default=str)[:CONTEXT_LIMIT]
        parts.append(f"### Alert context\n\n```json\n{context}\n```")
    if alert.url:
        parts.append(f"[View alert in Onca]({alert.url})")
    return "\n\n".join(parts)[:BODY_LIMIT]


def _rate_limited(response: httpx.Response) -> bool:
    return response.status_code in (403, 429) and (
        "retry-after" in response.headers or response.headers.get("x-ratelimit-remaining") == "0")


@register
class GitHubDestination(Destination):
    kind = "github"
    config_model = GitHubConfig
    config: GitHubConfig

    def endpoint(self) -> str:
        return f"{str(self.config.api_url).rstrip('/')}/repos/{self.config.owner}/{self.config.repo}/issues"

    def payload(self, alert: Alert) -> dict[str, Any]:
        body: dict[str, Any] = {"title": alert.title, "body": issue_body(alert)}
        if self.config.labels:
            body["labels"] = list(self.config.labels)
        if self.config.assignees:
            body["assignees"] = list(self.config.assignees)
        return body

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> DeliveryResult:
        headers = {"Accept": "application/vnd.github+json",
                   "Authorization": f"Bearer {self.config.token.get_secret_value()}",
                   "X-GitHub-Api-Version": API_VERSION,
                   "Content-Type": "application/json"}
        try:
            response = await client.post(self.endpoint(), content=orjson.dumps(self.payload(alert)),
                                         headers=headers, timeout=self.config.timeout_seconds)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a DeliveryResult
            return result_from_exception(exc)
        result = result_from_response(response)
        if _rate_limited(response):
            return DeliveryResult(ok=False, retryable=True, status_code=result.status_code,
                                  response=result.response, error=f"{result.error} (rate limited)")
        return result
