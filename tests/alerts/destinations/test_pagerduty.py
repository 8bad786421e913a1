import dataclasses

import pytest

from onca.alerts.destinations import build_destination

ROUTING_KEY = "R0UT1NGK3Y0123456789ABCDEFGHIJKL"


def make(api_url: str, **extra):
    return build_destination("pagerduty", {"name": "pd", "routing_key": ROUTING_KEY, "api_url": api_url,
                                           **extra})


def test_pagerduty_enqueues_a_trigger_event(receiver, sample_alert, deliver):
    receiver.respond(202, {"status": "success", "message": "Event processed", "dedup_key": sample_alert.id})
    result = deliver(make(receiver.url), sample_alert)

    assert result.ok and result.status_code == 202
    [request] = receiver.requests
    assert request.method == "POST" and request.path == "/v2/enqueue"
    assert request.headers["content-type"] == "application/json"
    assert "authorization" not in request.headers  # the routing key in the body is the credential
    assert request.json() == {
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": "7c9e4b1f2a6d4e8f9b0c1d2e3f405162",
        "payload": {
            "summary": "AWS root login detected from [198.51.100.23]",
            "source": "onca",
            "severity": "error",
            "timestamp": "2024-05-14T09:31:07Z",
            "component": "AWS.CloudTrail",
            "group": "AWS.Console.RootLogin",
            "class": "rule",
            "custom_details": {
                "title": "AWS root login detected from [198.51.100.23]",
                "severity": "HIGH",
                "detection_id": "AWS.Console.RootLogin",
                "detection_name": "Root Console Login",
                "alert_id": "7c9e4b1f2a6d4e8f9b0c1d2e3f405162",
                "alert_type": "rule",
                "description": sample_alert.description,
                "runbook": sample_alert.runbook,
                "reference": sample_alert.reference,
                "event_count": 3,
                "first_event_time": "2024-05-14T09:28:41Z",
                "last_event_time": "2024-05-14T09:30:55Z",
                "log_types": ["AWS.CloudTrail"],
                "tags": ["AWS", "Identity & Access Management", "Privilege Escalation"],
                "alert_context": sample_alert.alert_context,
                "link": sample_alert.url,
            },
        },
        "client": "Onca",
        "client_url": sample_alert.url,
        "links": [{"href": sample_alert.url, "text": "View alert in Onca"},
                  {"href": sample_alert.reference, "text": "Reference"}],
    }


@pytest.mark.parametrize(("severity", "expected"), [
    ("INFO", "info"), ("LOW", "info"), ("MEDIUM", "warning"), ("HIGH", "error"), ("CRITICAL", "critical")])
def test_pagerduty_maps_severity_like_panther(receiver, sample_alert, deliver, severity, expected):
    deliver(make(receiver.url), dataclasses.replace(sample_alert, severity=severity))

    assert receiver.requests[0].json()["payload"]["severity"] == expected


def test_pagerduty_omits_links_it_does_not_have(receiver, sample_alert, deliver):
    deliver(make(receiver.url, source="onca-prod"),
            dataclasses.replace(sample_alert, url="", reference="ask bob"))

    event = receiver.requests[0].json()
    assert "links" not in event and "client_url" not in event
    assert event["payload"]["source"] == "onca-prod"


def test_pagerduty_truncates_long_summaries(receiver, sample_alert, deliver):
    deliver(make(receiver.url), dataclasses.replace(sample_alert, title="x" * 2000))

    assert receiver.requests[0].json()["payload"]["summary"] == "x" * 1024


def test_pagerduty_rate_limit_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(429, {"status": "throttle event", "message": "Requests for this service are arriving "
                                                                  "too quickly. Please retry later."})
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and result.retryable and result.status_code == 429


def test_pagerduty_server_error_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(500)
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and result.retryable


def test_pagerduty_invalid_event_is_final(receiver, sample_alert, deliver):
    receiver.respond(400, {"status": "invalid event", "message": "Event object is invalid",
                           "errors": ["'routing_key' is invalid"]})
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and not result.retryable and "routing_key" in result.response


def test_pagerduty_connection_refused_is_retryable(refused_url, sample_alert, deliver):
    result = deliver(make(refused_url), sample_alert)

    assert not result.ok and result.retryable


def test_pagerduty_default_endpoint_is_the_events_api():
    destination = build_destination("pagerduty", {"name": "pd", "routing_key": ROUTING_KEY})

    assert destination.endpoint() == "https://events.pagerduty.com/v2/enqueue"
