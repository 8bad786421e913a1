"""Tines: the alert is POSTed to a story's Webhook action.

A Webhook action checks a secret, which Tines takes as the last path segment
(`https://<tenant>.tines.com/webhook/<path>/<secret>`) or as `Authorization: Bearer <secret>`. The body is the
custom webhook document, so a story built for Onca's (or Panther's) webhook reads it unchanged.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

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


class TinesConfig(DestinationConfig):
    webhook_url: AnyHttpUrl = Field(
        description="URL of the Webhook action, without its secret.",
        examples=["https://example-tenant.tines.com/webhook/4b6e3a1f0d9c8b7a6e5f4d3c2b1a0f9e"])
    secret: SecretStr | None = Field(
        default=None,
        description="The Webhook action's secret; leave empty if it is already in `webhook_url`.",
        examples=["d41d8cd98f00b204e9800998ecf8427e"])
    secret_in: Literal["path", "header"] = Field(
        default="path",
        description="Send the secret as the last URL path segment (Tines' default) or as an "
                    "`Authorization: Bearer` header, which keeps it out of proxy logs.",
        examples=["path", "header"])


@register
class TinesDestination(Destination):
    kind = "tines"
    config_model = TinesConfig
    config: TinesConfig

    def endpoint(self) -> str:
        url = str(self.config.webhook_url)
        if self.config.secret is None or self.config.secret_in != "path":
            return url
        return f"{url.rstrip('/')}/{quote(self.config.secret.get_secret_value(), safe='')}"

    def request_headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.config.secret is not None and self.config.secret_in == "header":
            headers["Authorization"] = f"Bearer {self.config.secret.get_secret_value()}"
        return headers

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> DeliveryResult:
        try:
            body = orjson.dumps(alert_document(alert), default=str)  # context values need not be JSON types
            response = await client.post(self.endpoint(), content=body, headers=self.request_headers(),
                                         timeout=self.config.timeout_seconds)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a DeliveryResult
            return result_from_exception(exc)
        return result_from_response(response)
