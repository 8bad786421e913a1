import pytest
from pydantic import ValidationError

from onca.alerts.destinations import build_destination
from onca.alerts.destinations.splunk import SplunkDestination
from onca.alerts.document import alert_document


def make(url: str, **extra) -> SplunkDestination:
    return build_destination("splunk", {"name": "Splunk", "url": url,
                                        "token": "b0221cd8-c4b4-465a-9a3c-273e3a75aa29", **extra})


def test_splunk_posts_event_to_hec(receiver, sample_alert, deliver):
    receiver.respond(200, {"text": "Success", "code": 0})

    result = deliver(make(receiver.url, index="security_alerts"), sample_alert)

    assert result.ok and result.status_code == 200
    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == "/services/collector/event"
    assert request.headers["authorization"] == "Splunk b0221cd8-c4b4-465a-9a3c-273e3a75aa29"
    assert request.headers["content-type"] == "application/json"
    assert "x-splunk-request-channel" not in request.headers
    body = request.json()
    assert body == {
        "time": 1715679067.0,
        "index": "security_alerts",
        "sourcetype": "onca:alert",
        "source": "onca",
        "event": alert_document(sample_alert),
    }
    event = body["event"]
    assert (event["alertId"], event["id"], event["severity"]) == (
        sample_alert.id, "AWS.Console.RootLogin", "HIGH")
    assert (event["eventCount"], event["firstEventTime"], event["lastEventTime"]) == (
        3, "2024-05-14T09:28:41Z", "2024-05-14T09:30:55Z")
    assert event["link"] == sample_alert.url
    assert event["alertContext"]["sourceIPAddress"] == "198.51.100.23"


def test_splunk_metadata_and_channel_are_configurable(receiver, sample_alert, deliver):
    destination = make(receiver.url + "/", sourcetype="_json", source="onca-prod", host="onca.example.com",
                       channel="3c0e1a5e-7d6b-4b8f-9a2c-5e4d3c2b1a0f")
    deliver(destination, sample_alert)

    [request] = receiver.requests
    assert request.path == "/services/collector/event"
    assert request.headers["x-splunk-request-channel"] == "3c0e1a5e-7d6b-4b8f-9a2c-5e4d3c2b1a0f"
    body = request.json()
    assert {k: v for k, v in body.items() if k != "event"} == {
        "time": 1715679067.0, "sourcetype": "_json", "source": "onca-prod", "host": "onca.example.com"}


def test_splunk_busy_collector_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(503, {"text": "Server is busy", "code": 9})
    result = deliver(make(receiver.url), sample_alert)
    assert not result.ok and result.retryable and result.status_code == 503


def test_splunk_server_error_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(500, {"text": "Internal server error", "code": 8})
    result = deliver(make(receiver.url), sample_alert)
    assert not result.ok and result.retryable and result.status_code == 500


def test_splunk_bad_request_is_not_retryable(receiver, sample_alert, deliver):
    receiver.respond(400, {"text": "Incorrect index", "code": 7, "invalid-event-number": 0})
    result = deliver(make(receiver.url), sample_alert)
    assert not result.ok and not result.retryable and result.status_code == 400
    assert "Incorrect index" in result.response


def test_splunk_invalid_token_is_not_retryable(receiver, sample_alert, deliver):
    receiver.respond(403, {"text": "Invalid token", "code": 4})
    result = deliver(make(receiver.url), sample_alert)
    assert not result.ok and not result.retryable and result.status_code == 403


def test_splunk_connection_refused_is_retryable(refused_url, sample_alert, deliver):
    result = deliver(make(refused_url), sample_alert)
    assert not result.ok and result.retryable


def test_splunk_config_requires_token():
    with pytest.raises(ValidationError, match="token"):
        build_destination("splunk", {"name": "Splunk", "url": "https://splunk.example.com:8088"})
