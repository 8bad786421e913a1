"""SNS destination against moto's server on loopback: alerts are read back through a subscribed queue."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer
from pydantic import ValidationError

from onca.alerts.destinations import build_destination
from onca.alerts.destinations.sns import SnsDestination
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


def aws(service: str, url: str):
    return boto3.client(service, region_name="us-east-1", endpoint_url=url, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def subscribed_topic(url: str, fifo: bool = False) -> tuple[str, str]:
    """A new topic with a queue subscribed to it: (topic ARN, queue URL)."""
    sns, sqs = aws("sns", url), aws("sqs", url)
    suffix = ".fifo" if fifo else ""
    name = f"onca-{uuid.uuid4().hex[:12]}"
    topic_attributes = {"FifoTopic": "true"} if fifo else {}
    topic_arn = sns.create_topic(Name=name + suffix, Attributes=topic_attributes)["TopicArn"]
    queue_attributes = {"FifoQueue": "true"} if fifo else {}
    queue_url = sqs.create_queue(QueueName=name + suffix, Attributes=queue_attributes)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
    queue_arn = attributes["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return topic_arn, queue_url


def received(url: str, queue_url: str) -> list[dict]:
    answer = aws("sqs", url).receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                             AttributeNames=["All"], WaitTimeSeconds=0)
    return answer.get("Messages", [])


def make(topic_arn: str, endpoint_url: str, **extra) -> SnsDestination:
    return build_destination("sns", {"name": "SNS", "topic_arn": topic_arn, "endpoint_url": endpoint_url,
                                     **CREDENTIALS, **extra})


def test_sns_publishes_alert_document_with_attributes(moto_url, sample_alert, deliver):
    topic_arn, queue_url = subscribed_topic(moto_url)

    result = deliver(make(topic_arn, moto_url), sample_alert)

    assert result.ok, result.error
    assert result.status_code == 200
    [message] = received(moto_url, queue_url)
    notification = json.loads(message["Body"])
    assert notification["TopicArn"] == topic_arn
    assert notification["MessageId"] == result.response
    assert notification["Subject"] == "[HIGH] AWS root login detected from [198.51.100.23]"
    assert json.loads(notification["Message"]) == alert_document(sample_alert)
    assert json.loads(notification["Message"])["alertId"] == sample_alert.id
    assert notification["MessageAttributes"] == {
        "severity": {"Type": "String", "Value": "HIGH"},
        "alert_id": {"Type": "String", "Value": sample_alert.id},
        "detection_id": {"Type": "String", "Value": "AWS.Console.RootLogin"},
        "alert_type": {"Type": "String", "Value": "rule"},
    }


def test_sns_fifo_topic_groups_by_detection(moto_url, sample_alert, deliver):
    topic_arn, queue_url = subscribed_topic(moto_url, fifo=True)

    result = deliver(make(topic_arn, moto_url), sample_alert)

    assert result.ok, result.error
    [message] = received(moto_url, queue_url)
    assert message["Attributes"]["MessageGroupId"] == "AWS.Console.RootLogin"
    assert message["Attributes"]["MessageDeduplicationId"] == sample_alert.id


def test_sns_subject_is_ascii_single_line_and_short(moto_url, sample_alert, deliver):
    import dataclasses

    topic_arn, queue_url = subscribed_topic(moto_url)
    alert = dataclasses.replace(sample_alert, title="Zugriff über\nVPN " + "x" * 200)

    assert deliver(make(topic_arn, moto_url), alert).ok

    subject = json.loads(received(moto_url, queue_url)[0]["Body"])["Subject"]
    assert subject.startswith("[HIGH] Zugriff ?ber VPN xxx")
    assert len(subject) == 99


def test_sns_missing_topic_is_not_retryable(moto_url, sample_alert, deliver):
    result = deliver(make("arn:aws:sns:us-east-1:123456789012:onca-missing", moto_url), sample_alert)
    assert not result.ok and not result.retryable
    assert result.status_code == 404
    assert result.error.startswith("NotFound")


ERROR_XML = ("<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message>"
             "</Error><RequestId>6f1c2a9e</RequestId></ErrorResponse>")


def test_sns_server_error_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(500, ERROR_XML.format(kind="Receiver", code="InternalError", message="try later"),
                     {"Content-Type": "text/xml"})
    result = deliver(make("arn:aws:sns:us-east-1:123456789012:onca", receiver.url), sample_alert)
    assert not result.ok and result.retryable and result.status_code == 500
    assert len(receiver.requests) == 1  # botocore's own retries are off; delivery retries above
    request = receiver.requests[0]
    assert request.method == "POST"
    assert "Action=Publish" in request.text()
    assert request.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=testing/")


def test_sns_bad_request_is_not_retryable(receiver, sample_alert, deliver):
    receiver.respond(400, ERROR_XML.format(kind="Sender", code="InvalidParameter", message="bad subject"),
                     {"Content-Type": "text/xml"})
    result = deliver(make("arn:aws:sns:us-east-1:123456789012:onca", receiver.url), sample_alert)
    assert not result.ok and not result.retryable and result.status_code == 400
    assert result.response == "bad subject"


def test_sns_throttling_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(400, ERROR_XML.format(kind="Sender", code="Throttling", message="Rate exceeded"),
                     {"Content-Type": "text/xml"})
    result = deliver(make("arn:aws:sns:us-east-1:123456789012:onca", receiver.url), sample_alert)
    assert not result.ok and result.retryable


def test_sns_connection_refused_is_retryable(refused_url, sample_alert, deliver):
    result = deliver(make("arn:aws:sns:us-east-1:123456789012:onca", refused_url), sample_alert)
    assert not result.ok and result.retryable
    assert result.error.startswith("EndpointConnectionError")


def test_sns_region_comes_from_the_topic_arn(receiver, sample_alert, deliver):
    receiver.respond(500, "")
    deliver(make("arn:aws:sns:eu-west-3:123456789012:onca", receiver.url), sample_alert)
    assert "/eu-west-3/sns/aws4_request" in receiver.requests[0].headers["authorization"]


def test_sns_config_errors_name_the_field():
    with pytest.raises(ValidationError, match="topic_arn"):
        build_destination("sns", {"name": "SNS", "topic_arn": "onca-alerts"})
    with pytest.raises(ValidationError, match="access_key_id and secret_access_key must be set together"):
        build_destination("sns", {"name": "SNS", "topic_arn": "arn:aws:sns:us-east-1:123456789012:onca",
                                  "access_key_id": "AKIA"})
