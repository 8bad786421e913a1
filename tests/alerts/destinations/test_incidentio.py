import dataclasses

import pytest
from pydantic import ValidationError

from onca.alerts.destinations import build_destination
from onca.alerts.destinations.incidentio import IncidentIoDestination


def make(url: str, **extra) -> IncidentIoDestination:
    return build_destination("incidentio", {"name": "incident.io", "api_url": url,
                                            "alert_source_config_id": "01GW2G3V0S59R238FAHPDS1R66",
                                            "token": "inc_src_token", **extra})


def test_incidentio_sends_firing_alert_event(receiver, sample_alert, deliver):
    receiver.respond(202, {"deduplication_key": sample_alert.id, "message": "Event accepted",
                           "status": "success"})

    destination = make(receiver.url, metadata={"team": "security", "severity": "overridden"})
    result = deliver(destination, sample_alert)

    assert result.ok and result.status_code == 202
    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == "/v2/alert_events/http/01GW2G3V0S59R238FAHPDS1R66"
    assert request.headers["authorization"] == "Bearer inc_src_token"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "title": "AWS root login detected from [198.51.100.23]",
        "description": "\n".join([
            sample_alert.description,
            "",
            "**Severity:** HIGH",
            "**Detection:** AWS.Console.RootLogin",
            "**Alert ID:** 7c9e4b1f2a6d4e8f9b0c1d2e3f405162",
            "**Events:** 3 between 2024-05-14T09:28:41Z and 2024-05-14T09:30:55Z",
            "**Log types:** AWS.CloudTrail",
            f"**Tags:** {', '.join(sample_alert.tags)}",
            f"**Runbook:** {sample_alert.runbook}",
            f"**Reference:** {sample_alert.reference}",
            "**Alert:** https://onca.example.com/alerts/7c9e4b1f2a6d4e8f9b0c1d2e3f405162",
        ]),
        "deduplication_key": "7c9e4b1f2a6d4e8f9b0c1d2e3f405162",
        "status": "firing",
        "source_url": "https://onca.example.com/alerts/7c9e4b1f2a6d4e8f9b0c1d2e3f405162",
        "metadata": {
            "team": "security",
            "alert_id": "7c9e4b1f2a6d4e8f9b0c1d2e3f405162",
            "alert_type": "rule",
            "detection_id": "AWS.Console.RootLogin",
            "detection_name": "Root Console Login",
            "severity": "HIGH",
            "priority": "P2",
            "event_count": 3,
            "first_event_time": "2024-05-14T09:28:41Z",
            "last_event_time": "2024-05-14T09:30:55Z",
            "log_types": ["AWS.CloudTrail"],
            "tags": ["AWS", "Identity & Access Management", "Privilege Escalation"],
            "runbook": sample_alert.runbook,
            "reference": sample_alert.reference,
            "alert_context": {"sourceIPAddress": "198.51.100.23", "userAgent": "Mozilla/5.0",
                              "recipientAccountId": "123456789012", "mfaUsed": "No"},
        },
    }


@pytest.mark.parametrize(("severity", "priority"),
                         [("CRITICAL", "P1"), ("HIGH", "P2"), ("MEDIUM", "P3"), ("LOW", "P4"),
                          ("INFO", "P5")])
def test_incidentio_priority_follows_severity(receiver, sample_alert, deliver, severity, priority):
    deliver(make(receiver.url), dataclasses.replace(sample_alert, severity=severity))
    assert receiver.requests[0].json()["metadata"]["priority"] == priority


def test_incidentio_omits_empty_source_url(receiver, sample_alert, deliver):
    deliver(make(receiver.url), dataclasses.replace(sample_alert, url="", description="", runbook="",
                                                    reference=""))
    body = receiver.requests[0].json()
    assert "source_url" not in body
    assert body["description"] == "\n".join([
        "**Severity:** HIGH",
        "**Detection:** AWS.Console.RootLogin",
        "**Alert ID:** 7c9e4b1f2a6d4e8f9b0c1d2e3f405162",
        "**Events:** 3 between 2024-05-14T09:28:41Z and 2024-05-14T09:30:55Z",
        "**Log types:** AWS.CloudTrail",
        f"**Tags:** {', '.join(sample_alert.tags)}",
    ])


def test_incidentio_server_error_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(500, {"type": "internal_error"})
    result = deliver(make(receiver.url), sample_alert)
    assert not result.ok and result.retryable and result.status_code == 500


def test_incidentio_rate_limit_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(429, {"type": "too_many_requests"})
    result = deliver(make(receiver.url), sample_alert)
    assert not result.ok and result.retryable and result.status_code == 429


def test_incidentio_bad_request_is_not_retryable(receiver, sample_alert, deliver):
    receiver.respond(400, {"type": "validation_error", "errors": [{"message": "title is required"}]})
    result = deliver(make(receiver.url), sample_alert)
    assert not result.ok and not result.retryable and result.status_code == 400
    assert "title is required" in result.response


def test_incidentio_connection_refused_is_retryable(refused_url, sample_alert, deliver):
    result = deliver(make(refused_url), sample_alert)
    assert not result.ok and result.retryable


def test_incidentio_config_rejects_source_url_in_place_of_id():
    with pytest.raises(ValidationError, match="alert_source_config_id"):
        make("https://api.incident.io",
             alert_source_config_id="https://api.incident.io/v2/alert_events/http/01GW2G3V0S59R238FAHPDS1R66")
