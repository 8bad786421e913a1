"""Google Cloud Pub/Sub: each alert is published to a topic through the REST API
(`POST /v1/projects/{project}/topics/{topic}:publish`), the custom webhook document as base64 message data.

Authentication is a service-account key: a JWT signed with the key's RSA private key is exchanged at the key's
token URI for an OAuth access token (the JWT-bearer grant), which is cached until shortly before it expires.
The message carries `severity`, `alert_id`, `detection_id` and `alert_type` attributes for subscription
filters.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from typing import Any

import httpx
import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from pydantic import AnyHttpUrl, Field, SecretStr, field_validator, model_validator

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

SCOPE = "https://www.googleapis.com/auth/pubsub"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
ASSERTION_LIFETIME = 3600  # the longest Google accepts
TOKEN_EARLY_REFRESH = 60  # seconds before expiry a cached token is replaced
_NAME = r"[A-Za-z][A-Za-z0-9._~%+-]{2,254}"


def parse_service_account_key(text: str) -> dict[str, Any]:
    """The key file's fields, checked; ValueError says what is missing or wrong."""
    try:
        key = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"service_account_key is not JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(key, dict) or key.get("type") != "service_account":
        raise ValueError('service_account_key is not a service-account key (needs "type": "service_account")')
    missing = [name for name in ("client_email", "private_key") if not key.get(name)]
    if missing:
        raise ValueError(f"service_account_key lacks {', '.join(missing)}")
    try:
        private_key = load_pem_private_key(key["private_key"].encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"service_account_key private_key cannot be read: {exc}") from None
    if not isinstance(private_key, RSAPrivateKey):
        raise ValueError("service_account_key private_key is not an RSA key")
    return key


class PubSubConfig(DestinationConfig):
    service_account_key: SecretStr = Field(
        description="Contents of the service account's JSON key file; the account needs "
                    "`roles/pubsub.publisher` on the topic.",
        examples=['{"type": "service_account", "project_id": "acme-sec", "private_key_id": "3f2a...", '
                  '"private_key": "-----BEGIN PRIVATE KEY-----\\n...", '
                  '"client_email": "onca@acme-sec.iam.gserviceaccount.com", '
                  '"token_uri": "https://oauth2.googleapis.com/token"}'])
    topic: str = Field(pattern=rf"^({_NAME}|projects/[a-z][a-z0-9.:-]{{4,61}}[a-z0-9]/topics/{_NAME})$",
                       description="Topic ID, or its full name `projects/<project>/topics/<topic>`.",
                       examples=["onca-alerts", "projects/acme-sec/topics/onca-alerts"])
    project_id: str = Field(default="", description="Project of the topic; empty uses the key's project.",
                            examples=["acme-sec"])
    api_url: AnyHttpUrl = Field(default=AnyHttpUrl("https://pubsub.googleapis.com"),
                                description="Pub/Sub API base URL (a regional or private endpoint, or an "
                                            "emulator).",
                                examples=["https://pubsub.googleapis.com", "https://europe-west1-pubsub.googleapis.com"])
    token_uri: AnyHttpUrl | None = Field(default=None,
                                         description="OAuth token endpoint; empty uses the key's token_uri.",
                                         examples=["https://oauth2.googleapis.com/token"])

    @field_validator("service_account_key")
    @classmethod
    def _key_readable(cls, value: SecretStr) -> SecretStr:
        parse_service_account_key(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _project_known(self) -> PubSubConfig:
        full_name = self.topic.startswith("projects/")
        if not full_name and not self.project_id and not self.key().get("project_id"):
            raise ValueError("no project: set project_id, use a full topic name, or use a key that has "
                             "a project_id")
        return self

    def key(self) -> dict[str, Any]:
        return parse_service_account_key(self.service_account_key.get_secret_value())


@dataclasses.dataclass
class _Token:
    value: str
    refresh_at: float  # time.monotonic() after which it is fetched anew


@register
class PubSubDestination(Destination):
    kind = "pubsub"
    config_model = PubSubConfig
    config: PubSubConfig

    def __init__(self, config: PubSubConfig):
        super().__init__(config)
        key = config.key()
        self._client_email: str = key["client_email"]
        self._key_id: str = key.get("private_key_id", "")
        self._private_key = load_pem_private_key(key["private_key"].encode(), password=None)
        self.token_uri = str(config.token_uri or key.get("token_uri") or DEFAULT_TOKEN_URI)
        project = config.project_id or key.get("project_id", "")
        self.topic_name = config.topic if config.topic.startswith("projects/") else \
            f"projects/{project}/topics/{config.topic}"
        # Concurrent first sends may each fetch a token; that is harmless, so no lock (which would tie the
        # destination to one event loop).
        self._token: _Token | None = None

    def endpoint(self) -> str:
        return f"{str(self.config.api_url).rstrip('/')}/v1/{self.topic_name}:publish"

    def assertion(self, now: int) -> str:
        """The signed JWT that the token endpoint exchanges for an access token."""
        claims = {"iss": self._client_email, "scope": SCOPE, "aud": self.token_uri, "iat": now,
                  "exp": now + ASSERTION_LIFETIME}
        headers = {"kid": self._key_id} if self._key_id else None
        return jwt.encode(claims, self._private_key, algorithm="RS256", headers=headers)

    async def _fetch_token(self, client: httpx.AsyncClient) -> _Token | DeliveryResult:
        response = await client.post(
            self.token_uri, data={"grant_type": JWT_BEARER, "assertion": self.assertion(int(time.time()))},
            timeout=self.config.timeout_seconds)
        if not response.is_success:
            failed = result_from_response(response)
            return dataclasses.replace(failed, error=f"token request failed: {failed.error}")
        try:
            answer = response.json()
            token = _Token(answer["access_token"],
                           time.monotonic() + int(answer.get("expires_in", 3600)) - TOKEN_EARLY_REFRESH)
        except (ValueError, KeyError, TypeError):
            return DeliveryResult(ok=False, retryable=True, status_code=response.status_code,
                                  response=response.text[:4096], error="token response has no access_token")
        self._token = token
        return token

    def payload(self, alert: Alert) -> dict[str, Any]:
        data = orjson.dumps(alert_document(alert), default=str)  # context values need not be JSON types
        attributes = {"severity": alert.severity, "alert_id": alert.id, "detection_id": alert.detection_id,
                      "alert_type": alert.type}
        return {"messages": [{"data": base64.b64encode(data).decode(),
                              "attributes": {k: v for k, v in attributes.items() if v}}]}

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> DeliveryResult:
        try:
            token = self._token if self._token and time.monotonic() < self._token.refresh_at else None
            cached = token is not None
            if token is None:
                fetched = await self._fetch_token(client)
                if isinstance(fetched, DeliveryResult):
                    return fetched
                token = fetched
            response = await client.post(self.endpoint(), json=self.payload(alert),
                                         headers={"Authorization": f"Bearer {token.value}"},
                                         timeout=self.config.timeout_seconds)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a DeliveryResult
            return result_from_exception(exc)
        result = result_from_response(response)
        if response.status_code == 401:
            self._token = None
            # a cached token may have been revoked early: the next attempt fetches a new one
            result = dataclasses.replace(result, retryable=cached)
        return result
