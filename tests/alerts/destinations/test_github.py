import dataclasses
import json

import pydantic
import pytest

from onca.alerts.destinations import build_destination

TOKEN = "github_pat_11ABCDEFG0123456789_abcdefghij"


def make(api_url: str, **extra):
    return build_destination("github", {"name": "gh", "token": TOKEN, "owner": "acme",
                                        "repo": "security-alerts", "api_url": api_url, **extra})


def test_github_creates_an_issue(receiver, sample_alert, deliver):
    receiver.respond(201, {"id": 1, "number": 1347, "html_url": "https://github.com/acme/security-alerts/issues/1347"})
    result = deliver(make(receiver.url, labels=["onca", "security"], assignees=["octocat"]), sample_alert)

    assert result.ok and result.status_code == 201
    [request] = receiver.requests
    assert request.method == "POST" and request.path == "/repos/acme/security-alerts/issues"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.headers["x-github-api-version"] == "2022-11-28"
    assert request.headers["content-type"] == "application/json"
    context = json.dumps(sample_alert.alert_context, indent=2)
    assert request.json() == {
        "title": "AWS root login detected from [198.51.100.23]",
        "body": (f"{sample_alert.description}\n\n"
                 "- **Severity:** HIGH\n"
                 "- **Detection:** `AWS.Console.RootLogin`\n"
                 "- **Alert ID:** `7c9e4b1f2a6d4e8f9b0c1d2e3f405162`\n"
                 "- **Events:** 3 between 2024-05-14T09:28:41Z and 2024-05-14T09:30:55Z\n"
                 "- **Log types:** AWS.CloudTrail\n"
                 "- **Tags:** AWS, Identity & Access Management, Privilege Escalation\n"
                 f"- **Reference:** {sample_alert.reference}\n\n"
                 f"### Runbook\n\n{sample_alert.runbook}\n\n"
                 f"### Alert context\n\n```json\n{context}\n```\n\n"
                 f"[View alert in Onca]({sample_alert.url})"),
        "labels": ["onca", "security"],
        "assignees": ["octocat"],
    }


def test_github_sends_no_empty_labels_or_assignees(receiver, sample_alert, deliver):
    alert = dataclasses.replace(sample_alert, description="", runbook="", alert_context={}, url="", tags=())
    deliver(make(receiver.url), alert)

    body = receiver.requests[0].json()
    assert set(body) == {"title", "body"}
    assert body["body"].startswith("- **Severity:** HIGH\n")
    assert "Runbook" not in body["body"] and "View alert" not in body["body"]


def test_github_enterprise_base_url_is_kept(receiver, sample_alert, deliver):
    deliver(make(receiver.url + "/api/v3"), sample_alert)

    assert receiver.requests[0].path == "/api/v3/repos/acme/security-alerts/issues"


def test_github_rate_limit_403_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(403, {"message": "API rate limit exceeded"},
                     headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1715680000"})
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and result.retryable and result.status_code == 403


def test_github_secondary_rate_limit_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(403, {"message": "You have exceeded a secondary rate limit."},
                     headers={"retry-after": "60"})
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and result.retryable


def test_github_missing_permission_is_final(receiver, sample_alert, deliver):
    receiver.respond(403, {"message": "Resource not accessible by personal access token"},
                     headers={"x-ratelimit-remaining": "4999"})
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and not result.retryable


def test_github_validation_failure_is_final(receiver, sample_alert, deliver):
    receiver.respond(422, {"message": "Validation Failed", "errors": [{"resource": "Issue", "code": "invalid",
                                                                       "field": "assignees"}]})
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and not result.retryable and result.status_code == 422


def test_github_server_error_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(502)
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and result.retryable


def test_github_connection_refused_is_retryable(refused_url, sample_alert, deliver):
    result = deliver(make(refused_url), sample_alert)

    assert not result.ok and result.retryable


def test_github_rejects_bad_repository_names():
    with pytest.raises(pydantic.ValidationError, match="repo"):
        make("https://api.github.com", repo="../../etc")
    with pytest.raises(pydantic.ValidationError, match="repo"):
        make("https://api.github.com", repo="..")
    with pytest.raises(pydantic.ValidationError, match="owner"):
        make("https://api.github.com", owner="acme/x")
