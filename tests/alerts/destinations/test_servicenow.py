import base64
import dataclasses

import pytest
from pydantic import ValidationError

from onca.alerts.destinations import build_destination
from onca.alerts.destinations.servicenow import ServiceNowDestination


def make(url: str, **extra) -> ServiceNowDestination:
    return build_destination("servicenow", {"name": "SNOW", "instance_url": url,
                                            "username": "onca.integration", "password": "pa:ss", **extra})


def test_servicenow_creates_incident_with_basic_auth(receiver, sample_alert, deliver):
    receiver.respond(201, {"result": {"number": "INC0010001", "sys_id": "a1b2"}})

    result = deliver(make(receiver.url), sample_alert)

    assert result.ok and result.status_code == 201
    assert "INC0010001" in result.response
    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == "/api/now/table/incident"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"onca.integration:pa:ss").decode()
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert request.json() == {
        "short_description": "[HIGH] AWS root login detected from [198.51.100.23]",
        "description": "\n".join([
            "Severity: HIGH",
            "Detection: AWS.Console.RootLogin (Root Console Login)",
            "Alert ID: 7c9e4b1f2a6d4e8f9b0c1d2e3f405162",
            "Alert type: rule",
            "Events: 3",
            "First event: 2024-05-14T09:28:41Z",
            "Last event: 2024-05-14T09:30:55Z",
            "Log types: AWS.CloudTrail",
            "Link: https://onca.example.com/alerts/7c9e4b1f2a6d4e8f9b0c1d2e3f405162",
            "",
            "Description:",
            sample_alert.description,
            "",
            "Runbook:",
            sample_alert.runbook,
            "",
            "Reference:",
            sample_alert.reference,
            "",
            "Alert context:",
            "{",
            '  "mfaUsed": "No",',
            '  "recipientAccountId": "123456789012",',
            '  "sourceIPAddress": "198.51.100.23",',
            '  "userAgent": "Mozilla/5.0"',
            "}",
        ]),
        "impact": "1",
        "urgency": "2",
        "correlation_id": "7c9e4b1f2a6d4e8f9b0c1d2e3f405162",
        "correlation_display": "Onca",
    }


@pytest.mark.parametrize(("severity", "impact", "urgency"), [
    ("CRITICAL", "1", "1"), ("HIGH", "1", "2"), ("MEDIUM", "2", "2"), ("LOW", "2", "3"), ("INFO", "3", "3"),
])
def test_servicenow_severity_sets_impact_and_urgency(receiver, sample_alert, deliver, severity, impact,
                                                     urgency):
    deliver(make(receiver.url), dataclasses.replace(sample_alert, severity=severity))

    body = receiver.requests[0].json()
    assert (body["impact"], body["urgency"]) == (impact, urgency)
    assert body["short_description"].startswith(f"[{severity}] ")


def test_servicenow_optional_columns_and_table(receiver, sample_alert, deliver):
    destination = make(receiver.url + "/", table="sn_si_incident", assignment_group="Security Operations",
                       category="security", caller_id="onca.integration",
                       extra_fields={"contact_type": "monitoring", "impact": "3"})

    deliver(destination, sample_alert)

    [request] = receiver.requests
    assert request.path == "/api/now/table/sn_si_incident"
    body = request.json()
    assert body["assignment_group"] == "Security Operations"
    assert body["category"] == "security"
    assert body["caller_id"] == "onca.integration"
    assert body["contact_type"] == "monitoring"
    assert body["impact"] == "1"  # severity mapping wins over a static column


def test_servicenow_short_description_fits_the_column(receiver, sample_alert, deliver):
    deliver(make(receiver.url), dataclasses.replace(sample_alert, title="x" * 300))
    assert len(receiver.requests[0].json()["short_description"]) == 160


def test_servicenow_server_error_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(500, {"error": {"message": "Transaction cancelled"}})
    result = deliver(make(receiver.url), sample_alert)
    assert not result.ok and result.retryable and result.status_code == 500


def test_servicenow_bad_request_is_not_retryable(receiver, sample_alert, deliver):
    receiver.respond(401, {"error": {"message": "User Not Authenticated"}})
    result = deliver(make(receiver.url), sample_alert)
    assert not result.ok and not result.retryable and result.status_code == 401
    assert "User Not Authenticated" in result.response

    receiver.respond(400, {"error": {"message": "Invalid table"}})
    result = deliver(make(receiver.url), sample_alert)
    assert not result.ok and not result.retryable and result.status_code == 400


def test_servicenow_connection_refused_is_retryable(refused_url, sample_alert, deliver):
    result = deliver(make(refused_url), sample_alert)
    assert not result.ok and result.retryable
    assert "ConnectError" in result.error


def test_servicenow_config_rejects_bad_table_name():
    with pytest.raises(ValidationError, match="table"):
        make("https://example.service-now.com", table="incident/../sys_user")
