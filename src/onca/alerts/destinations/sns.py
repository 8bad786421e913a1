"""Amazon SNS: each alert is published to a topic, the custom webhook document as the message.

`severity`, `alert_id`, `detection_id` and `alert_type` also go out as message attributes, so subscription
filter policies can route on them. FIFO topics get the detection as message group and the alert ID as
deduplication ID.

This module also holds what the AWS destinations share (connection settings, the client, error mapping).
boto3 blocks, so calls run in a worker thread; botocore's own retries are off because delivery retries above.
"""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Any

import boto3
import httpx
import orjson
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from pydantic import AnyHttpUrl, Field, SecretStr, model_validator

from onca.alerts.destinations.base import DeliveryResult, Destination, DestinationConfig, register
from onca.alerts.destinations.webhook import webhook_payload
from onca.alerts.model import Alert

# error codes AWS answers with 4xx that still mean "slow down and try again"
THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
    "RequestThrottledException", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown",
    "KMSThrottlingException", "KMSThrottling",
})
SUBJECT_LIMIT = 99  # SNS subjects must be shorter than 100 characters


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
    return orjson.dumps(webhook_payload(alert), default=str).decode()  # context values need not be JSON types


def sns_subject(alert: Alert) -> str:
    """SNS wants printable ASCII without line breaks, under 100 characters."""
    text = f"[{alert.severity}] {alert.title}".encode("ascii", "replace").decode()
    return re.sub(r"[\x00-\x1f\x7f]+", " ", text)[:SUBJECT_LIMIT]


_TOPIC_ARN = r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$"


class SnsConfig(AwsConnection):
    topic_arn: str = Field(pattern=_TOPIC_ARN, description="ARN of the topic alerts are published to.",
                           examples=["arn:aws:sns:us-east-1:123456789012:onca-alerts"])


@register
class SnsDestination(Destination):
    kind = "sns"
    config_model = SnsConfig
    config: SnsConfig

    def __init__(self, config: SnsConfig):
        super().__init__(config)
        self._client = AwsClient("sns", config, config.region or config.topic_arn.split(":")[3])

    def publish_request(self, alert: Alert) -> dict[str, Any]:
        request: dict[str, Any] = {"TopicArn": self.config.topic_arn, "Message": document(alert),
                                   "Subject": sns_subject(alert),
                                   "MessageAttributes": message_attributes(alert)}
        if self.config.topic_arn.endswith(".fifo"):
            request["MessageGroupId"] = alert.detection_id
            request["MessageDeduplicationId"] = alert.id
        return request

    def _publish(self, alert: Alert) -> DeliveryResult:
        answer = self._client.get().publish(**self.publish_request(alert))
        return DeliveryResult(ok=True, status_code=answer["ResponseMetadata"]["HTTPStatusCode"],
                              response=answer["MessageId"])

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> DeliveryResult:
        try:
            return await asyncio.to_thread(self._publish, alert)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a DeliveryResult
            return result_from_boto_error(exc)
