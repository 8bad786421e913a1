"""Amazon SNS: each alert is published to a topic, the custom webhook document as the message.

`severity`, `alert_id`, `detection_id` and `alert_type` also go out as message attributes, so subscription
filter policies can route on them. FIFO topics get the detection as message group and the alert ID as
deduplication ID.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
from pydantic import Field

from onca.alerts.destinations._aws import AwsClient, AwsConnection, document, message_attributes, result_from_boto_error
from onca.alerts.destinations.base import DeliveryResult, Destination, register
from onca.alerts.model import Alert

SUBJECT_LIMIT = 99  # SNS subjects must be shorter than 100 characters


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
