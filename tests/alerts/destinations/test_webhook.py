import dataclasses
import hashlib
import hmac
from datetime import UTC, datetime
from decimal import Decimal

import pydantic
import pytest

from onca.alerts.destinations import build_destination
from onca.alerts.destinations.webhook import WebhookDestination


def make(url: str, **extra) -> WebhookDestination:
    return build_destination("webhook", {"name": "hook", "url": url, **extra})


def test_webhook_posts_panther_shaped_payload(receiver, sample_alert, deliver):
    result = deliver(make(receiver.url + "/onca/alerts"), sample_alert)

    assert result.ok and result.status_code == 200
    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == "/onca/alerts"
    assert request.headers["content-type"] == "application/json"
    assert "x-onca-signature" not in request.headers
    assert request.json() == {
        "id": "AWS.Console.RootLogin",
        "alertId": "7c9e4b1f2a6d4e8f9b0c1d2e3f405162",
        "createdAt": "2024-05-14T09:31:07Z",
        "severity": "HIGH",
        "type": "RULE",
        "link": "https://onca.example.com/alerts/7c9e4b1f2a6d4e8f9b0c1d2e3f405162",
        "title": "AWS root login detected from [198.51.100.23]",
        "name": "Root Console Login",
        "description": sample_alert.description,
        "runbook": sample_alert.runbook,
        "reference": "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html",
        "tags": ["AWS", "Identity & Access Management", "Privilege Escalation"],
        "version": "3",
        "alertContext": {"sourceIPAddress": "198.51.100.23", "userAgent": "Mozilla/5.0",
                         "recipientAccountId": "123456789012", "mfaUsed": "No"},
        "logTypes": ["AWS.CloudTrail"],
        "eventCount": 3,
        "firstEventTime": "2024-05-14T09:28:41Z",
        "lastEventTime": "2024-05-14T09:30:55Z",
        "dedup": "198.51.100.23",
        "reports": {"MITRE ATT&CK": ["TA0004:T1078"]},
    }


def test_webhook_signature_is_hmac_sha256_of_the_exact_body(receiver, sample_alert, deliver):
    deliver(make(receiver.url + "/hook", signing_secret="s3cret"), sample_alert)

    [request] = receiver.requests
    expected = "sha256=" + hmac.new(b"s3cret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Onca-Signature"] == expected


def test_webhook_signature_header_name_and_prefix_are_configurable(receiver, sample_alert, deliver):
    destination = make(receiver.url, signing_secret="k", signature_header="X-Hub-Signature-256",
                       signature_prefix="")
    deliver(destination, sample_alert)

    [request] = receiver.requests
    assert "x-onca-signature" not in request.headers
    assert request.headers["x-hub-signature-256"] == hmac.new(b"k", request.body, hashlib.sha256).hexdigest()


def test_webhook_sends_extra_headers(receiver, sample_alert, deliver):
    deliver(make(receiver.url, headers={"Authorization": "Bearer abc123", "X-Team": "secops"}), sample_alert)

    [request] = receiver.requests
    assert request.headers["authorization"] == "Bearer abc123"
    assert request.headers["x-team"] == "secops"


def test_webhook_context_values_that_are_not_json_are_sent_as_text(receiver, sample_alert, deliver):
    alert = dataclasses.replace(sample_alert, alert_context={"seen": datetime(2024, 5, 1, tzinfo=UTC),
                                                             "bytes": Decimal("1.50")})
    deliver(make(receiver.url), alert)

    assert receiver.requests[0].json()["alertContext"] == {"seen": "2024-05-01T00:00:00+00:00",
                                                           "bytes": "1.50"}


def test_webhook_keeps_the_response_body(receiver, sample_alert, deliver):
    receiver.respond(202, {"queued": True})
    result = deliver(make(receiver.url), sample_alert)

    assert result.ok and result.status_code == 202 and result.response == '{"queued": true}'


def test_webhook_server_error_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(500, "boom")
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and result.retryable and result.status_code == 500 and result.response == "boom"


def test_webhook_client_error_is_final(receiver, sample_alert, deliver):
    receiver.respond(400, "bad payload")
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and not result.retryable and result.error == "HTTP 400"


def test_webhook_connection_refused_is_retryable(refused_url, sample_alert, deliver):
    result = deliver(make(refused_url + "/hook"), sample_alert)

    assert not result.ok and result.retryable and "ConnectError" in result.error


def test_webhook_rejects_invalid_header_names():
    with pytest.raises(pydantic.ValidationError, match="not a valid HTTP header name"):
        make("https://hooks.example.com", headers={"Bad Header": "x"})
    with pytest.raises(pydantic.ValidationError, match="signature_header"):
        make("https://hooks.example.com", signature_header="X Sig")


def test_webhook_rejects_header_values_with_line_breaks():
    with pytest.raises(pydantic.ValidationError, match="line break"):
        make("https://hooks.example.com", headers={"X-A": "1\r\nX-B: 2"})


def test_webhook_config_keeps_secrets_out_of_its_repr():
    destination = make("https://hooks.example.com", signing_secret="topsecret",
                       headers={"Authorization": "tok"})

    assert "topsecret" not in repr(destination.config)
    assert "tok'" not in repr(destination.config)
