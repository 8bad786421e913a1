"""SQS destination against moto's server on loopback: sent alerts are read back from the queue."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer
from pydantic import ValidationError

from onca.alerts.destinations import build_destination
from onca.alerts.destinations.sqs import SqsDestination, region_of
from onca.alerts.document import alert_document

CREDENTIALS = {"access_key_id": "testing", "secret_access_key": "testing"}


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def sqs_client(url: str):
    return boto3.client("sqs", region_name="us-east-1", endpoint_url=url, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def new_queue(url: str, fifo: bool = False) -> str:
    name = f"onca-{uuid.uuid4().hex[:12]}" + (".fifo" if fifo else "")
    attributes = {"FifoQueue": "true"} if fifo else {}
    return sqs_client(url).create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]


def received(url: str, queue_url: str) -> list[dict]:
    answer = sqs_client(url).receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                             AttributeNames=["All"], MessageAttributeNames=["All"],
                                             WaitTimeSeconds=0)
    return answer.get("Messages", [])


def make(queue_url: str, endpoint_url: str, **extra) -> SqsDestination:
    return build_destination("sqs", {"name": "SQS", "queue_url": queue_url, "endpoint_url": endpoint_url,
                                     "region": "us-east-1", **CREDENTIALS, **extra})


def test_sqs_sends_alert_document_with_attributes(moto_url, sample_alert, deliver):
    queue_url = new_queue(moto_url)

    result = deliver(make(queue_url, moto_url), sample_alert)

    assert result.ok, result.error
    assert result.status_code == 200
    [message] = received(moto_url, queue_url)
    assert message["MessageId"] == result.response
    body = json.loads(message["Body"])
    assert body == alert_document(sample_alert)
    assert (body["alertId"], body["title"], body["eventCount"]) == (sample_alert.id, sample_alert.title, 3)
    assert message["MessageAttributes"] == {
        "severity": {"DataType": "String", "StringValue": "HIGH"},
        "alert_id": {"DataType": "String", "StringValue": sample_alert.id},
        "detection_id": {"DataType": "String", "StringValue": "AWS.Console.RootLogin"},
        "alert_type": {"DataType": "String", "StringValue": "rule"},
    }


def test_sqs_fifo_queue_groups_by_detection(moto_url, sample_alert, deliver):
    queue_url = new_queue(moto_url, fifo=True)

    assert deliver(make(queue_url, moto_url), sample_alert).ok
    assert deliver(make(queue_url, moto_url), sample_alert).ok  # the same alert again is deduplicated

    [message] = received(moto_url, queue_url)
    assert message["Attributes"]["MessageGroupId"] == "AWS.Console.RootLogin"
    assert message["Attributes"]["MessageDeduplicationId"] == sample_alert.id


def test_sqs_missing_queue_is_not_retryable(moto_url, sample_alert, deliver):
    result = deliver(make(f"{moto_url}/123456789012/onca-missing", moto_url), sample_alert)
    assert not result.ok and not result.retryable
    assert result.status_code == 400
    assert "NonExistentQueue" in result.error


def error_json(code: str, message: str) -> dict:
    return {"__type": f"com.amazonaws.sqs#{code}", "message": message}


QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/onca-alerts"


def test_sqs_server_error_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(500, error_json("InternalError", "try later"),
                     {"Content-Type": "application/x-amz-json-1.0",
                      "x-amzn-query-error": "InternalError;Receiver"})
    result = deliver(make(QUEUE, receiver.url), sample_alert)
    assert not result.ok and result.retryable and result.status_code == 500
    [request] = receiver.requests
    assert request.headers["x-amz-target"] == "AmazonSQS.SendMessage"
    assert request.json()["QueueUrl"] == QUEUE


def test_sqs_bad_request_is_not_retryable(receiver, sample_alert, deliver):
    receiver.respond(400, error_json("InvalidParameterValue", "message too long"),
                     {"Content-Type": "application/x-amz-json-1.0"})
    result = deliver(make(QUEUE, receiver.url), sample_alert)
    assert not result.ok and not result.retryable and result.status_code == 400
    assert result.response == "message too long"


def test_sqs_throttled_request_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(403, error_json("RequestThrottled", "slow down"),
                     {"Content-Type": "application/x-amz-json-1.0"})
    result = deliver(make(QUEUE, receiver.url), sample_alert)
    assert not result.ok and result.retryable


def test_sqs_connection_refused_is_retryable(refused_url, sample_alert, deliver):
    result = deliver(make(QUEUE, refused_url), sample_alert)
    assert not result.ok and result.retryable


def test_sqs_region_comes_from_the_queue_url():
    assert region_of("https://sqs.eu-central-1.amazonaws.com/123456789012/q") == "eu-central-1"
    assert region_of("https://ap-southeast-2.queue.amazonaws.com/123456789012/q") == "ap-southeast-2"
    assert region_of("http://127.0.0.1:4566/123456789012/q") == ""


def test_sqs_config_errors_name_the_field():
    with pytest.raises(ValidationError, match="queue_url"):
        build_destination("sqs", {"name": "SQS", "queue_url": "onca-alerts"})
    with pytest.raises(ValidationError, match="region"):
        build_destination("sqs", {"name": "SQS", "queue_url": QUEUE, "region": "US East"})
