"""Splunk: each alert is one event sent to the HTTP Event Collector (`POST /services/collector/event`,
`Authorization: Splunk <token>`).

The event body is the custom webhook document; the HEC envelope sets the event time to the alert's creation
time and, when configured, the index, sourcetype, source and host it is filed under.
"""

from __future__ import annotations

from datetime import UTC
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
from onca.alerts.document import alert_document
from onca.alerts.model import Alert


class SplunkConfig(DestinationConfig):
    url: AnyHttpUrl = Field(description="Base URL of the HTTP Event Collector (scheme, host and port).",
                            examples=["https://splunk.example.com:8088", "https://http-inputs-acme.splunkcloud.com"])
    token: SecretStr = Field(description="HEC token, sent as `Authorization: Splunk <token>`.",
                             examples=["b0221cd8-c4b4-465a-9a3c-273e3a75aa29"])
    index: str = Field(default="",
                       description="Index the events go to; empty uses the token's default index.",
                       examples=["security_alerts"])
    sourcetype: str = Field(default="onca:alert", description="Sourcetype of the events.",
                            examples=["onca:alert", "_json"])
    source: str = Field(default="onca", description="Source of the events.", examples=["onca"])
    host: str = Field(default="", description="Host field of the events; empty lets Splunk choose.",
                      examples=["onca.example.com"])
    channel: str = Field(default="", description="Channel GUID, required when the token has indexer "
                                                 "acknowledgement turned on.",
                         examples=["3c0e1a5e-7d6b-4b8f-9a2c-5e4d3c2b1a0f"])


@register
class SplunkDestination(Destination):
    kind = "splunk"
    config_model = SplunkConfig
    config: SplunkConfig

    def endpoint(self) -> str:
        return f"{str(self.config.url).rstrip('/')}/services/collector/event"

    def envelope(self, alert: Alert) -> dict[str, Any]:
        created = alert.created_at if alert.created_at.tzinfo else alert.created_at.replace(tzinfo=UTC)
        envelope: dict[str, Any] = {"time": created.timestamp()}
        for key in ("index", "sourcetype", "source", "host"):
            if value := getattr(self.config, key):
                envelope[key] = value
        envelope["event"] = alert_document(alert)
        return envelope

    def request_headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Splunk {self.config.token.get_secret_value()}",
                   "Content-Type": "application/json"}
        if self.config.channel:
            headers["X-Splunk-Request-Channel"] = self.config.channel
        return headers

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> DeliveryResult:
        try:
            body = orjson.dumps(self.envelope(alert), default=str)  # context values need not be JSON types
            response = await client.post(self.endpoint(), content=body, headers=self.request_headers(),
                                         timeout=self.config.timeout_seconds)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a DeliveryResult
            return result_from_exception(exc)
        return result_from_response(response)
