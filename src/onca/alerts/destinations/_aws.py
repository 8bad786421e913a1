"""What the AWS destinations (SNS, SQS) share: connection settings, a lazily built boto3 client, error mapping,
and the message they carry. boto3 blocks, so calls run in a worker thread; botocore's own retries are off because
delivery retries above."""

from __future__ import annotations

import threading
from typing import Any

import boto3
import orjson
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from pydantic import AnyHttpUrl, Field, SecretStr, model_validator

from onca.alerts.destinations.base import DeliveryResult, DestinationConfig
from onca.alerts.document import alert_document
from onca.alerts.model import Alert

# error codes AWS answers with 4xx that still mean "slow down and try again"
THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
    "RequestThrottledException", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown",
    "KMSThrottlingException", "KMSThrottling",
})


class AwsConnection(DestinationConfig):
    """Where and as whom an AWS destination connects."""

    region: str = Field(default="", pattern=r"^([a-z]{2}(-[a-z]+)+-\d+)?$",
                        description="AWS region; empty takes it from the ARN or URL, else the SDK's default.",
                        examples=["us-east-1"])
    endpoint_url: AnyHttpUrl | None = Field(
        default=None,
        description="Service endpoint to use instead of AWS's (a VPC endpoint, or a local emulator).",
        examples=["https://vpce-0a1b2c3d.sns.us-east-1.vpce.amazonaws.com"])
    access_key_id: str = Field(default="", description="Access key ID; empty uses the SDK's credential chain "
                                                       "(environment, profile, instance or task role).",
                               examples=["AKIAIOSFODNN7EXAMPLE"])
    secret_access_key: SecretStr = Field(default=SecretStr(""), description="Secret key of `access_key_id`.",
                                         examples=["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"])
    session_token: SecretStr = Field(default=SecretStr(""), description="Session token for temporary keys.",
                                     examples=["IQoJb3JpZ2luX2VjEXAMPLE"])

    @model_validator(mode="after")
    def _keys_in_pairs(self) -> AwsConnection:
        if bool(self.access_key_id) != bool(self.secret_access_key.get_secret_value()):
            raise ValueError("access_key_id and secret_access_key must be set together")
        return self


class AwsClient:
    """A boto3 client built on first use and then shared; boto3 clients are safe across threads."""

    def __init__(self, service: str, config: AwsConnection, region: str):
        self._service, self._config, self._region = service, config, region
        self._client: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if self._client is None:
                cfg = self._config
                session = boto3.session.Session(
                    aws_access_key_id=cfg.access_key_id or None,
                    aws_secret_access_key=cfg.secret_access_key.get_secret_value() or None,
                    aws_session_token=cfg.session_token.get_secret_value() or None,
                    region_name=self._region or None)
                self._client = session.client(
                    self._service, endpoint_url=str(cfg.endpoint_url) if cfg.endpoint_url else None,
                    config=Config(connect_timeout=cfg.timeout_seconds, read_timeout=cfg.timeout_seconds,
                                  retries={"total_max_attempts": 1}))
            return self._client


def result_from_boto_error(exc: Exception) -> DeliveryResult:
    """5xx, throttling and network failures are transient; other AWS errors (bad ARN, access denied) are
    not."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        throttled = error.get("Code") in THROTTLING_CODES
        retryable = status is None or status >= 500 or status in (408, 429) or throttled
        return DeliveryResult(ok=False, retryable=retryable, status_code=status,
                              response=str(error.get("Message", ""))[:4096],
                              error=f"{error.get('Code', 'ClientError')}: {exc}")
    retryable = isinstance(exc, BotoConnectionError | HTTPClientError)
    return DeliveryResult(ok=False, retryable=retryable, error=f"{type(exc).__name__}: {exc}")


def message_attributes(alert: Alert) -> dict[str, dict[str, str]]:
    values = {"severity": alert.severity, "alert_id": alert.id, "detection_id": alert.detection_id,
              "alert_type": alert.type}
    return {name: {"DataType": "String", "StringValue": value} for name, value in values.items() if value}


def document(alert: Alert) -> str:
    return orjson.dumps(alert_document(alert), default=str).decode()  # context values need not be JSON types
