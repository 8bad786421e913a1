import dataclasses
import json

import pydantic
import pytest

from onca.alerts.destinations import build_destination

API_KEY = "eb243592-faa2-4ba2-a551-1afdf565c889"


def make(api_url: str | None, **extra):
    config = {"name": "og", "api_key": API_KEY, **extra}
    if api_url:
        config["api_url"] = api_url
    return build_destination("opsgenie", config)


def test_opsgenie_creates_an_alert(receiver, sample_alert, deliver):
    receiver.respond(202, {"result": "Request will be processed", "took": 0.302,
                           "requestId": "43a29c5c-3dbf-4fa4-9c26-f4f71023e120"})
    result = deliver(make(receiver.url, responders=[{"type": "team", "name": "SecOps"},
                                                    {"type": "user", "name": "ann@example.com"}],
                          tags=["onca", "AWS"]), sample_alert)

    assert result.ok and result.status_code == 202
    [request] = receiver.requests
    assert request.method == "POST" and request.path == "/v2/alerts"
    assert request.headers["authorization"] == f"GenieKey {API_KEY}"
    assert request.headers["content-type"] == "application/json"
    body = request.json()
    assert body == {
        "message": "AWS root login detected from [198.51.100.23]",
        "alias": "7c9e4b1f2a6d4e8f9b0c1d2e3f405162",
        "description": body["description"],
        "tags": ["AWS", "Identity & Access Management", "Privilege Escalation", "onca"],
        "details": {
            "Alert ID": "7c9e4b1f2a6d4e8f9b0c1d2e3f405162",
            "Detection ID": "AWS.Console.RootLogin",
            "Severity": "HIGH",
            "Event count": "3",
            "First event time": "2024-05-14T09:28:41Z",
            "Last event time": "2024-05-14T09:30:55Z",
            "Log types": "AWS.CloudTrail",
            "Runbook": sample_alert.runbook,
            "Reference": sample_alert.reference,
            "Link": sample_alert.url,
            "context.sourceIPAddress": "198.51.100.23",
            "context.userAgent": "Mozilla/5.0",
            "context.recipientAccountId": "123456789012",
            "context.mfaUsed": "No",
        },
        "entity": "AWS.Console.RootLogin",
        "source": "Onca",
        "priority": "P2",
        "responders": [{"type": "team", "name": "SecOps"}, {"type": "user", "username": "ann@example.com"}],
    }
    assert body["description"] == (
        f"{sample_alert.description}\n\n"
        "Severity: HIGH\n"
        "Detection: AWS.Console.RootLogin\n"
        f"Alert ID: {sample_alert.id}\n"
        "Events: 3 between 2024-05-14T09:28:41Z and 2024-05-14T09:30:55Z\n"
        "Log types: AWS.CloudTrail\n"
        f"Tags: {', '.join(sample_alert.tags)}\n"
        f"Runbook: {sample_alert.runbook}\n"
        f"Reference: {sample_alert.reference}\n\n"
        f"Alert context:\n{json.dumps(sample_alert.alert_context, indent=2)}\n\n"
        f"View alert in Onca: {sample_alert.url}")


@pytest.mark.parametrize(("severity", "priority"), [
    ("CRITICAL", "P1"), ("HIGH", "P2"), ("MEDIUM", "P3"), ("LOW", "P4"), ("INFO", "P5")])
def test_opsgenie_maps_severity_to_priority_like_panther(receiver, sample_alert, deliver, severity, priority):
    deliver(make(receiver.url), dataclasses.replace(sample_alert, severity=severity))

    assert receiver.requests[0].json()["priority"] == priority


def test_opsgenie_keeps_fields_within_opsgenie_limits(receiver, sample_alert, deliver):
    long_tags = tuple(f"tag{i}" + "x" * 60 for i in range(30))
    alert = dataclasses.replace(sample_alert, title="t" * 300, tags=long_tags,
                                alert_context={"nested": {"a": [1, 2]}})
    deliver(make(receiver.url), alert)

    body = receiver.requests[0].json()
    assert body["message"] == "t" * 130
    assert len(body["tags"]) == 20 and all(len(tag) == 50 for tag in body["tags"])
    assert body["details"]["context.nested"] == '{"a": [1, 2]}'
    assert "responders" not in body


def test_opsgenie_region_picks_the_base_url():
    assert make(None).endpoint() == "https://api.opsgenie.com/v2/alerts"
    assert make(None, region="eu").endpoint() == "https://api.eu.opsgenie.com/v2/alerts"
    assert make("https://og.internal:8443", region="eu").endpoint() == "https://og.internal:8443/v2/alerts"
    with pytest.raises(pydantic.ValidationError, match="region"):
        make(None, region="apac")


def test_opsgenie_server_error_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(503, {"message": "Service Unavailable"})
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and result.retryable


def test_opsgenie_validation_error_is_final(receiver, sample_alert, deliver):
    receiver.respond(422, {"message": "Request body is not processable. Please check the errors.",
                           "errors": {"message": "Message can not be empty."}, "took": 0.01})
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and not result.retryable and result.status_code == 422


def test_opsgenie_bad_key_is_final(receiver, sample_alert, deliver):
    receiver.respond(400, {"message": "Could not authenticate"})
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and not result.retryable


def test_opsgenie_connection_refused_is_retryable(refused_url, sample_alert, deliver):
    result = deliver(make(refused_url), sample_alert)

    assert not result.ok and result.retryable
