"""Amazon SQS: each alert is one message on a queue, the custom webhook document as its body, with the
same message attributes as SNS (`severity`, `alert_id`, `detection_id`, `alert_type`). FIFO queues get the
detection as message group and the alert ID as deduplication ID.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
from pydantic import AnyHttpUrl, Field

from onca.alerts.destinations.base import DeliveryResult, Destination, register
from onca.alerts.destinations._aws import (
    AwsClient,
    AwsConnection,
    document,
    message_attributes,
    result_from_boto_error,
)
from onca.alerts.model import Alert

# https://sqs.<region>.amazonaws.com/<account>/<queue> and the legacy https://<region>.queue.amazonaws.com/...
_REGION_IN_HOST = re.compile(r"^(?:sqs\.([a-z0-9-]+)\.amazonaws\.com|([a-z0-9-]+)\.queue\.amazonaws\.com)")


class SqsConfig(AwsConnection):
    queue_url: AnyHttpUrl = Field(description="URL of the queue alerts are sent to.",
                                  examples=["https://sqs.us-east-1.amazonaws.com/123456789012/onca-alerts"])


def region_of(queue_url: str) -> str:
    match = _REGION_IN_HOST.match(httpx.URL(queue_url).host)
    return (match.group(1) or match.group(2)) if match else ""


@register
class SqsDestination(Destination):
    kind = "sqs"
    config_model = SqsConfig
    config: SqsConfig

    def __init__(self, config: SqsConfig):
        super().__init__(config)
        self._client = AwsClient("sqs", config, config.region or region_of(str(config.queue_url)))

    def send_request(self, alert: Alert) -> dict[str, Any]:
        queue_url = str(self.config.queue_url)
        request: dict[str, Any] = {"QueueUrl": queue_url, "MessageBody": document(alert),
                                   "MessageAttributes": message_attributes(alert)}
        if queue_url.rstrip("/").endswith(".fifo"):
            request["MessageGroupId"] = alert.detection_id
            request["MessageDeduplicationId"] = alert.id
        return request

    def _send(self, alert: Alert) -> DeliveryResult:
        answer = self._client.get().send_message(**self.send_request(alert))
        return DeliveryResult(ok=True, status_code=answer["ResponseMetadata"]["HTTPStatusCode"],
                              response=answer["MessageId"])

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> DeliveryResult:
        try:
            return await asyncio.to_thread(self._send, alert)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a DeliveryResult
            return result_from_boto_error(exc)
