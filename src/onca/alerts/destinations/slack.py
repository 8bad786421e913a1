"""Slack: a Block Kit message, posted either to an incoming webhook or by a bot through `chat.postMessage`.

An incoming webhook posts to the one channel it was created for and answers `ok` (HTTP 200) or an HTTP error.
A bot token (`xoxb-...`, scope `chat:write`) posts to any channel the bot is a member of; the Web API answers
HTTP 200 with `{"ok": false, "error": ...}` for most failures, so its body decides the outcome.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import orjson
from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    model_validator,
)

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

SEVERITY_EMOJI = {"CRITICAL": ":red_circle:", "HIGH": ":large_orange_circle:",
                  "MEDIUM": ":large_yellow_circle:", "LOW": ":large_blue_circle:", "INFO": ":white_circle:"}
# Block Kit limits: header text 150, section text 3000, section field 2000 characters.
HEADER_LIMIT, SECTION_LIMIT, FIELD_LIMIT = 150, 3000, 2000
# Web API errors that say "try again later" rather than "this request is wrong".
TRANSIENT_ERRORS = {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable",
                    "request_timeout", "team_added_to_org"}


class SlackConfig(DestinationConfig):
    webhook_url: SecretHttpUrl | None = Field(
        default=None,
        description="Incoming webhook URL of a Slack app; messages go to the channel it was created for. "
                    "Set this, or `bot_token` and `channel`. Kept secret: the URL is the credential.",
        examples=["https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"])
    bot_token: SecretStr | None = Field(
        default=None, description="Bot token with the `chat:write` scope, used with `channel`.",
        examples=["xoxb-1111111111-2222222222222-AbCdEfGhIjKlMnOpQrStUvWx"])
    channel: str | None = Field(default=None, min_length=1,
                                description="Channel ID (or name) the bot posts to; the bot must be in it.",
                                examples=["C0123456789", "#security-alerts"])
    api_url: AnyHttpUrl = Field(default=AnyHttpUrl("https://slack.com/api"),
                                description="Slack Web API base URL, used in bot token mode.",
                                examples=["https://slack.com/api"])


    @model_validator(mode="after")
    def _one_mode(self) -> SlackConfig:
        bot = self.bot_token is not None or self.channel is not None
        if self.webhook_url is not None and bot:
            raise ValueError("set either webhook_url, or bot_token and channel, not both")
        if self.webhook_url is None and (self.bot_token is None or self.channel is None):
            raise ValueError("set webhook_url, or both bot_token and channel")
        return self




def _escape(text: str) -> str:
    """Slack's three control characters in mrkdwn text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _link(url: str, label: str) -> str:
    if url.startswith(("https://", "http://")):
        return f"<{url.replace('|', '%7C').replace('>', '%3E')}|{_escape(label)}>"
    return _escape(url)


def blocks(alert: Alert) -> list[dict[str, Any]]:
    """The Block Kit layout: header, description, facts, runbook, context, a button to the alert."""
    result: list[dict[str, Any]] = [
        {"type": "header",
         "text": {"type": "plain_text", "text": _cut(alert.title, HEADER_LIMIT), "emoji": True}},
    ]
    if alert.description:
        result.append({"type": "section", "text": _mrkdwn(_cut(_escape(alert.description), SECTION_LIMIT))})
    emoji = SEVERITY_EMOJI.get(alert.severity)
    facts = [
        f"*Severity*\n{emoji} {alert.severity}" if emoji else f"*Severity*\n{alert.severity}",
        f"*Detection*\n`{_escape(alert.detection_id)}`",
        f"*Events*\n{alert.event_count}",
        f"*Log types*\n{_escape(', '.join(alert.log_types)) or '-'}",
        f"*First event*\n{iso_utc(alert.first_event_time)}",
        f"*Last event*\n{iso_utc(alert.last_event_time)}",
    ]
    result.append({"type": "section", "fields": [_mrkdwn(_cut(fact, FIELD_LIMIT)) for fact in facts]})
    if alert.runbook:
        result.append({"type": "section", "text": _mrkdwn(_cut(f"*Runbook*\n{_escape(alert.runbook)}",
                                                                SECTION_LIMIT))})
    if alert.reference:
        reference = _link(alert.reference, _cut(alert.reference, 200))
        result.append({"type": "section", "text": _mrkdwn(_cut(f"*Reference*\n{reference}", SECTION_LIMIT))})
    if alert.alert_context:
        context = _cut(_escape(json.dumps(alert.alert_context, indent=2, default=str)), SECTION_LIMIT - 40)
        result.append({"type": "section", "text": _mrkdwn(f"*Alert context*\n```{context}```")})
    if alert.url:
        result.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "View alert in Onca"}, "url": alert.url,
             "action_id": "onca_view_alert"}]})
    result.append({"type": "context", "elements": [_mrkdwn(f"Alert `{alert.id}` · {alert.type} · Onca")]})
    return result


def message(alert: Alert) -> dict[str, Any]:
    # `text` is the notification and screen-reader fallback for the blocks
    return {"text": f"[{alert.severity}] {alert.title}", "blocks": blocks(alert)}


def _web_api_result(response: httpx.Response) -> DeliveryResult:
    """chat.postMessage answers 200 for most failures; its JSON `ok` and `error` decide."""
    if response.status_code != 200:
        return result_from_response(response)
    try:
        answer = response.json()
    except ValueError:
        return DeliveryResult(ok=False, retryable=True, status_code=200, response=response.text[:4096],
                              error="Slack answered with something that is not JSON")
    if answer.get("ok") is True:
        return DeliveryResult(ok=True, status_code=200, response=response.text[:4096])
    error = str(answer.get("error", "unknown_error"))
    return DeliveryResult(ok=False, retryable=error in TRANSIENT_ERRORS, status_code=200,
                          response=response.text[:4096], error=f"Slack API error: {error}")


@register
class SlackDestination(Destination):
    kind = "slack"
    config_model = SlackConfig
    config: SlackConfig

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> DeliveryResult:
        # links in the alert (runbooks, references) would otherwise unfurl into large previews
        body = {**message(alert), "unfurl_links": False, "unfurl_media": False}
        headers = {"Content-Type": "application/json; charset=utf-8"}
        webhook_url, bot_token = self.config.webhook_url, self.config.bot_token
        if webhook_url is not None:
            url = webhook_url.get_secret_value()
        else:  # bot mode: the config guarantees a token and a channel
            url = f"{str(self.config.api_url).rstrip('/')}/chat.postMessage"
            headers["Authorization"] = f"Bearer {bot_token.get_secret_value() if bot_token else ''}"
            body = {"channel": self.config.channel, **body}
        try:
            response = await client.post(url, content=orjson.dumps(body), headers=headers,
                                         timeout=self.config.timeout_seconds)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a DeliveryResult
            return result_from_exception(exc)
        return result_from_response(response) if webhook_url is not None else _web_api_result(response)
