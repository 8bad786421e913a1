import dataclasses
import json

import pydantic
import pytest

from onca.alerts.destinations import build_destination

WORKFLOW_PATH = ("/workflows/0123abcd/triggers/manual/paths/invoke?api-version=2016-06-01"
                 "&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=XXXX")


def make(url: str):
    return build_destination("msteams", {"name": "teams", "webhook_url": url + WORKFLOW_PATH})


def test_msteams_posts_an_adaptive_card(receiver, sample_alert, deliver):
    receiver.respond(202)
    result = deliver(make(receiver.url), sample_alert)

    assert result.ok and result.status_code == 202
    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == WORKFLOW_PATH  # the signed query string is kept as given
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": None,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "msteams": {"width": "Full"},
                "body": [
                    {"type": "TextBlock", "text": sample_alert.title, "wrap": True, "size": "Large",
                     "weight": "Bolder", "style": "heading"},
                    {"type": "TextBlock", "text": "Severity: HIGH", "wrap": True, "weight": "Bolder",
                     "color": "attention", "spacing": "None"},
                    {"type": "TextBlock", "text": sample_alert.description, "wrap": True},
                    {"type": "FactSet", "facts": [
                        {"title": "Detection", "value": "AWS.Console.RootLogin"},
                        {"title": "Events", "value": "3"},
                        {"title": "First event", "value": "2024-05-14T09:28:41Z"},
                        {"title": "Last event", "value": "2024-05-14T09:30:55Z"},
                        {"title": "Log types", "value": "AWS.CloudTrail"},
                        {"title": "Alert ID", "value": "7c9e4b1f2a6d4e8f9b0c1d2e3f405162"},
                        {"title": "Reference", "value": sample_alert.reference},
                    ]},
                    {"type": "TextBlock", "text": "Runbook", "wrap": True, "weight": "Bolder"},
                    {"type": "TextBlock", "text": sample_alert.runbook, "wrap": True, "spacing": "None"},
                    {"type": "TextBlock", "text": "Alert context", "wrap": True, "weight": "Bolder"},
                    {"type": "TextBlock", "text": json.dumps(sample_alert.alert_context, indent=2),
                     "wrap": True, "fontType": "Monospace", "spacing": "None"},
                ],
                "actions": [{"type": "Action.OpenUrl", "title": "View alert in Onca",
                             "url": sample_alert.url}],
            },
        }],
    }


def test_msteams_leaves_out_what_the_alert_lacks(receiver, sample_alert, deliver):
    alert = dataclasses.replace(sample_alert, description="", runbook="", reference="", alert_context={},
                                url="", severity="MEDIUM")
    deliver(make(receiver.url), alert)

    content = receiver.requests[0].json()["attachments"][0]["content"]
    assert "actions" not in content
    assert [block["type"] for block in content["body"]] == ["TextBlock", "TextBlock", "FactSet"]
    assert content["body"][1]["color"] == "warning"
    assert [fact["title"] for fact in content["body"][2]["facts"]] == [
        "Detection", "Events", "First event", "Last event", "Log types", "Alert ID"]


def test_msteams_legacy_connector_success(receiver, sample_alert, deliver):
    receiver.respond(200, "1")
    result = deliver(make(receiver.url), sample_alert)

    assert result.ok and result.response == "1"


def test_msteams_legacy_connector_throttling_in_a_200_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(200, "Webhook message delivery failed with error: Microsoft Teams endpoint returned "
                          "HTTP error 429 with ContextId tcid=0,server=msgapi-production-eus,cv=abc.0")
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and result.retryable
    assert result.error.startswith("Teams: Webhook message delivery failed")


def test_msteams_legacy_connector_rejection_in_a_200_is_final(receiver, sample_alert, deliver):
    receiver.respond(200, "Webhook message delivery failed with error: Microsoft Teams endpoint returned "
                          "HTTP error 413 with ContextId tcid=0")
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and not result.retryable


def test_msteams_server_error_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(502)
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and result.retryable


def test_msteams_bad_request_is_final(receiver, sample_alert, deliver):
    receiver.respond(400, {"error": {"code": "InvalidRequestContent",
                                     "message": "The input body for trigger 'manual' of type 'Request' must "
                                                "match its schema definition."}})
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and not result.retryable and "InvalidRequestContent" in result.response


def test_msteams_connection_refused_is_retryable(refused_url, sample_alert, deliver):
    result = deliver(make(refused_url), sample_alert)

    assert not result.ok and result.retryable


def test_msteams_webhook_url_is_kept_secret_and_must_be_a_url():
    destination = make("https://prod-00.westus.logic.azure.com:443")
    assert "sig=XXXX" not in repr(destination.config)
    with pytest.raises(pydantic.ValidationError, match="not an http"):
        build_destination("msteams", {"name": "teams", "webhook_url": "ftp://example.com/hook"})
