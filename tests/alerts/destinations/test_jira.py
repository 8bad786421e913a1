import base64
import dataclasses
import json

import pydantic
import pytest

from onca.alerts.destinations import build_destination


def make(site_url: str, **extra):
    return build_destination("jira", {"name": "jira", "site_url": site_url, "email": "bot@example.com",
                                      "api_token": "ATATT3xFfGF0token", "project_key": "SEC", **extra})


def strong(text):
    return {"type": "text", "text": text, "marks": [{"type": "strong"}]}


def test_jira_creates_an_issue_with_an_adf_description(receiver, sample_alert, deliver):
    receiver.respond(201, {"id": "10000", "key": "SEC-24", "self": "https://example.atlassian.net/rest/api/3/issue/10000"})
    result = deliver(make(receiver.url, issue_type="Bug", labels=["onca", "security-alert"],
                          assignee_account_id="5b10ac8d82e05b22cc7d4ef5"), sample_alert)

    assert result.ok and result.status_code == 201 and "SEC-24" in result.response
    [request] = receiver.requests
    assert request.method == "POST" and request.path == "/rest/api/3/issue"
    credentials = base64.b64encode(b"bot@example.com:ATATT3xFfGF0token").decode()
    assert request.headers["authorization"] == f"Basic {credentials}"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert request.json() == {"fields": {
        "project": {"key": "SEC"},
        "issuetype": {"name": "Bug"},
        "summary": "AWS root login detected from [198.51.100.23]",
        "labels": ["onca", "security-alert"],
        "priority": {"name": "High"},
        "assignee": {"accountId": "5b10ac8d82e05b22cc7d4ef5"},
        "description": {"type": "doc", "version": 1, "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": sample_alert.description}]},
            {"type": "bulletList", "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": [
                    strong("Severity: "), {"type": "text", "text": "HIGH"}]}]},
                {"type": "listItem", "content": [{"type": "paragraph", "content": [
                    strong("Detection: "),
                    {"type": "text", "text": "AWS.Console.RootLogin", "marks": [{"type": "code"}]}]}]},
                {"type": "listItem", "content": [{"type": "paragraph", "content": [
                    strong("Alert ID: "),
                    {"type": "text", "text": "7c9e4b1f2a6d4e8f9b0c1d2e3f405162",
                     "marks": [{"type": "code"}]}]}]},
                {"type": "listItem", "content": [{"type": "paragraph", "content": [
                    strong("Events: "),
                    {"type": "text", "text": "3 between 2024-05-14T09:28:41Z and 2024-05-14T09:30:55Z"}]}]},
                {"type": "listItem", "content": [{"type": "paragraph", "content": [
                    strong("Log types: "), {"type": "text", "text": "AWS.CloudTrail"}]}]},
                {"type": "listItem", "content": [{"type": "paragraph", "content": [
                    strong("Tags: "),
                    {"type": "text", "text": "AWS, Identity & Access Management, Privilege Escalation"}]}]},
            ]},
            {"type": "heading", "attrs": {"level": 3}, "content": [{"type": "text", "text": "Runbook"}]},
            {"type": "paragraph", "content": [{"type": "text", "text": sample_alert.runbook}]},
            {"type": "heading", "attrs": {"level": 3}, "content": [{"type": "text", "text": "Reference"}]},
            {"type": "paragraph", "content": [
                {"type": "text", "text": sample_alert.reference,
                 "marks": [{"type": "link", "attrs": {"href": sample_alert.reference}}]}]},
            {"type": "heading", "attrs": {"level": 3},
             "content": [{"type": "text", "text": "Alert context"}]},
            {"type": "codeBlock", "attrs": {"language": "json"},
             "content": [{"type": "text", "text": json.dumps(sample_alert.alert_context, indent=2)}]},
            {"type": "paragraph", "content": [
                {"type": "text", "text": "View alert in Onca",
                 "marks": [{"type": "link", "attrs": {"href": sample_alert.url}}]}]},
        ]},
    }}


@pytest.mark.parametrize(("severity", "priority"), [
    ("CRITICAL", "Highest"), ("HIGH", "High"), ("MEDIUM", "Medium"), ("LOW", "Low"), ("INFO", "Lowest")])
def test_jira_maps_severity_to_priority(receiver, sample_alert, deliver, severity, priority):
    deliver(make(receiver.url), dataclasses.replace(sample_alert, severity=severity))

    assert receiver.requests[0].json()["fields"]["priority"] == {"name": priority}


def test_jira_priority_can_be_left_to_the_project(receiver, sample_alert, deliver):
    deliver(make(receiver.url, priorities={}), sample_alert)

    fields = receiver.requests[0].json()["fields"]
    assert "priority" not in fields and "assignee" not in fields and fields["issuetype"] == {"name": "Task"}


def test_jira_summary_is_one_line_and_multiline_text_uses_hard_breaks(receiver, sample_alert, deliver):
    alert = dataclasses.replace(sample_alert, title="line one\nline two " + "x" * 300,
                                description="first\n\nthird", reference="internal wiki: SEC/root")
    deliver(make(receiver.url), alert)

    fields = receiver.requests[0].json()["fields"]
    assert fields["summary"] == ("line one line two " + "x" * 300)[:255]
    content = fields["description"]["content"]
    assert content[0] == {"type": "paragraph", "content": [
        {"type": "text", "text": "first"}, {"type": "hardBreak"}, {"type": "hardBreak"},
        {"type": "text", "text": "third"}]}
    assert {"type": "paragraph", "content": [{"type": "text", "text": "internal wiki: SEC/root"}]} in content


def test_jira_config_rejects_bad_values():
    with pytest.raises(pydantic.ValidationError, match="no spaces"):
        make("https://example.atlassian.net", labels=["two words"])
    with pytest.raises(pydantic.ValidationError, match="unknown severities"):
        make("https://example.atlassian.net", priorities={"SEVERE": "Highest"})
    with pytest.raises(pydantic.ValidationError, match="project_key"):
        make("https://example.atlassian.net", project_key="sec")


def test_jira_server_error_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(503)
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and result.retryable


def test_jira_field_error_is_final(receiver, sample_alert, deliver):
    receiver.respond(400, {"errorMessages": [], "errors": {
        "priority": "Field 'priority' cannot be set. It is not on the appropriate screen, or unknown."}})
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and not result.retryable and "cannot be set" in result.response


def test_jira_connection_refused_is_retryable(refused_url, sample_alert, deliver):
    result = deliver(make(refused_url), sample_alert)

    assert not result.ok and result.retryable
