"""Torq: the alert is POSTed to a Torq webhook trigger integration, authenticated by the secret header the
integration was created with (`X-Torq-Token` unless chosen otherwise). The body is the custom webhook
document.
"""

from __future__ import annotations

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
from onca.alerts.document import alert_document
from onca.alerts.model import Alert


class TorqConfig(DestinationConfig):
    webhook_url: AnyHttpUrl = Field(description="URL of the Torq webhook trigger integration.",
                                    examples=["https://hooks.torq.io/v1/webhooks/2f1e0d9c-8b7a-4e5f-9d3c-2b1a0f9e8d7c"])
    secret: SecretStr = Field(description="Value of the integration's authentication header.",
                              examples=["f3a9c2e1b7d84e6a"])
    secret_header: str = Field(default="X-Torq-Token", pattern=r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
                               description="Name of the authentication header set on the Torq integration.",
                               examples=["X-Torq-Token"])

    @field_validator("secret")
    @classmethod
    def _one_line(cls, value: SecretStr) -> SecretStr:
        if any(ch in value.get_secret_value() for ch in "\r\n"):
            raise ValueError("secret has a line break; it cannot be sent in a header")
        return value


@register
class TorqDestination(Destination):
    kind = "torq"
    config_model = TorqConfig
    config: TorqConfig

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> DeliveryResult:
        headers = {"Content-Type": "application/json",
                   self.config.secret_header: self.config.secret.get_secret_value()}
        try:
            body = orjson.dumps(alert_document(alert), default=str)  # context values need not be JSON types
            response = await client.post(str(self.config.webhook_url), content=body, headers=headers,
                                         timeout=self.config.timeout_seconds)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a DeliveryResult
            return result_from_exception(exc)
        return result_from_response(response)
