"""Custom webhook: the alert as JSON in an HTTP POST to any URL.

The body keeps the keys of Panther's custom webhook payload (`id` is the detection, `alertId` the alert,
`name`, `version`, `createdAt`, `link`, ...) so receivers written for Panther keep working, and adds the
fields Panther leaves out (reference, log types, event count and times, dedup string, reports).

With a signing secret, the exact bytes sent are signed with HMAC-SHA256 and the hex digest goes in a header,
so the receiver can check that the alert came from Onca and was not altered:
`hmac.compare_digest(header, "sha256=" + hmac.new(secret, body, "sha256").hexdigest())`.
"""

from __future__ import annotations

import hashlib
import hmac
import re

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

# RFC 9110 token characters: what a header name may hold.
_HEADER_NAME = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"


class WebhookConfig(DestinationConfig):
    url: AnyHttpUrl = Field(description="The URL every alert is POSTed to.",
                            examples=["https://hooks.example.com/onca/alerts"])
    headers: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Extra HTTP headers sent with every request, such as credentials the receiver expects. "
                    "Values are kept secret.",
        examples=[{"Authorization": "Bearer 7f6c1e0a", "X-Team": "secops"}])
    signing_secret: SecretStr | None = Field(
        default=None,
        description="If set, the request body is signed with HMAC-SHA256 under this secret and the signature "
                    "is sent in `signature_header`.",
        examples=["whsec_3b1f0c9d8e7a6b5c"])
    signature_header: str = Field(default="X-Onca-Signature", pattern=_HEADER_NAME,
                                  description="Header that carries the body signature.",
                                  examples=["X-Onca-Signature", "X-Hub-Signature-256"])
    signature_prefix: str = Field(default="sha256=",
                                  description="Text put before the hex digest in the signature header.",
                                  examples=["sha256=", ""])

    @field_validator("headers")
    @classmethod
    def _header_names(cls, headers: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name, value in headers.items():
            if not re.match(_HEADER_NAME, name):
                raise ValueError(f"header name {name!r} is not a valid HTTP header name")
            if any(ch in value.get_secret_value() for ch in "\r\n"):
                raise ValueError(f"header {name!r} has a line break in its value")
        return headers


def sign(secret: str, body: bytes, prefix: str = "sha256=") -> str:
    """The signature header value for a body."""
    return prefix + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@register
class WebhookDestination(Destination):
    kind = "webhook"
    config_model = WebhookConfig
    config: WebhookConfig

    def request_headers(self, body: bytes) -> dict[str, str]:
        headers = {name: value.get_secret_value() for name, value in self.config.headers.items()}
        headers["Content-Type"] = "application/json"
        if self.config.signing_secret is not None:
            headers[self.config.signature_header] = sign(self.config.signing_secret.get_secret_value(), body,
                                                         self.config.signature_prefix)
        return headers

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> DeliveryResult:
        try:
            # serialized once: the signature covers exactly these bytes; context values need not be JSON types
            body = orjson.dumps(alert_document(alert), default=str)
            response = await client.post(str(self.config.url), content=body,
                                         headers=self.request_headers(body),
                                         timeout=self.config.timeout_seconds)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a DeliveryResult
            return result_from_exception(exc)
        return result_from_response(response)
