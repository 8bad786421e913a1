import dataclasses
import json

import pydantic
import pytest

from onca.alerts.destinations import build_destination

TOKEN = "2/1201234567890123/1207654321098765:0123456789abcdef"


def make(api_url: str, **extra):
    return build_destination("asana", {"name": "asana", "token": TOKEN, "project_gid": "1201234567890123",
                                       "api_url": api_url + "/api/1.0", **extra})


def test_asana_creates_a_task_in_the_project(receiver, sample_alert, deliver):
    receiver.respond(201, {"data": {"gid": "1208000000000001", "resource_type": "task",
                                    "name": sample_alert.title}})
    result = deliver(make(receiver.url, assignee="analyst@example.com"), sample_alert)

    assert result.ok and result.status_code == 201
    [request] = receiver.requests
    assert request.method == "POST" and request.path == "/api/1.0/tasks"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    context = json.dumps(sample_alert.alert_context, indent=2)
    assert request.json() == {"data": {
        "name": "AWS root login detected from [198.51.100.23]",
        "notes": (f"{sample_alert.description}\n\n"
                  "Severity: HIGH\n"
                  "Detection: AWS.Console.RootLogin\n"
                  "Alert ID: 7c9e4b1f2a6d4e8f9b0c1d2e3f405162\n"
                  "Events: 3 between 2024-05-14T09:28:41Z and 2024-05-14T09:30:55Z\n"
                  "Log types: AWS.CloudTrail\n"
                  "Tags: AWS, Identity & Access Management, Privilege Escalation\n"
                  f"Runbook: {sample_alert.runbook}\n"
                  f"Reference: {sample_alert.reference}\n\n"
                  f"Alert context:\n{context}\n\n"
                  f"View alert in Onca: {sample_alert.url}"),
        "projects": ["1201234567890123"],
        "assignee": "analyst@example.com",
    }}


def test_asana_task_without_optional_parts(receiver, sample_alert, deliver):
    alert = dataclasses.replace(sample_alert, description="", runbook="", reference="", tags=(),
                                alert_context={}, url="", log_types=())
    deliver(make(receiver.url), alert)

    task = receiver.requests[0].json()["data"]
    assert "assignee" not in task
    assert task["notes"] == ("Severity: HIGH\nDetection: AWS.Console.RootLogin\n"
                             "Alert ID: 7c9e4b1f2a6d4e8f9b0c1d2e3f405162\n"
                             "Events: 3 between 2024-05-14T09:28:41Z and 2024-05-14T09:30:55Z")


def test_asana_rate_limit_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(429, {"errors": [{"message": "You have made too many requests recently."}]},
                     headers={"Retry-After": "30"})
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and result.retryable


def test_asana_server_error_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(500, {"errors": [{"message": "Server Error", "phrase": "6 sad squid snuggle softly"}]})
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and result.retryable


def test_asana_unknown_project_is_final(receiver, sample_alert, deliver):
    receiver.respond(400, {"errors": [{"message": "projects: [0]: Not a recognized ID: 1201234567890123"}]})
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and not result.retryable and "Not a recognized ID" in result.response


def test_asana_connection_refused_is_retryable(refused_url, sample_alert, deliver):
    result = deliver(make(refused_url), sample_alert)

    assert not result.ok and result.retryable


def test_asana_project_gid_must_be_numeric():
    with pytest.raises(pydantic.ValidationError, match="project_gid"):
        make("https://app.asana.com", project_gid="security")
