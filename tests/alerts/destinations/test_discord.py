import dataclasses
import json

import pydantic
import pytest

from onca.alerts.destinations import build_destination
from onca.alerts.destinations.discord import embed

WEBHOOK_PATH = "/api/webhooks/1234567890/AbCdEfGhIjKlMnOp"


def make(url: str, **extra):
    return build_destination("discord", {"name": "discord", "webhook_url": url + WEBHOOK_PATH, **extra})


def test_discord_posts_an_embed(receiver, sample_alert, deliver):
    receiver.respond(200, {"id": "1100000000000000001", "channel_id": "1000000000000000001", "embeds": []})
    result = deliver(make(receiver.url), sample_alert)

    assert result.ok and result.status_code == 200
    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path_only == WEBHOOK_PATH and request.query == {"wait": ["true"]}
    assert request.headers["content-type"] == "application/json"
    context = json.dumps(sample_alert.alert_context, indent=2)
    assert request.json() == {
        "username": "Onca",
        "allowed_mentions": {"parse": []},
        "embeds": [{
            "title": "AWS root login detected from [198.51.100.23]",
            "url": sample_alert.url,
            "description": sample_alert.description,
            "color": 0xEF6C00,
            "timestamp": "2024-05-14T09:31:07Z",
            "fields": [
                {"name": "Severity", "value": "HIGH", "inline": True},
                {"name": "Detection", "value": "`AWS.Console.RootLogin`", "inline": True},
                {"name": "Events", "value": "3", "inline": True},
                {"name": "First event", "value": "2024-05-14T09:28:41Z", "inline": True},
                {"name": "Last event", "value": "2024-05-14T09:30:55Z", "inline": True},
                {"name": "Log types", "value": "AWS.CloudTrail", "inline": True},
                {"name": "Runbook", "value": sample_alert.runbook, "inline": False},
                {"name": "Reference", "value": sample_alert.reference, "inline": False},
                {"name": "Alert context", "value": f"```json\n{context}\n```", "inline": False},
            ],
            "footer": {"text": "Onca · alert 7c9e4b1f2a6d4e8f9b0c1d2e3f405162"},
        }],
    }


def test_discord_username_avatar_and_thread(receiver, sample_alert, deliver):
    deliver(make(receiver.url, username="SecOps", avatar_url="https://onca.example.com/logo.png",
                 thread_id="1098765432109876543"), sample_alert)

    [request] = receiver.requests
    assert request.query == {"wait": ["true"], "thread_id": ["1098765432109876543"]}
    body = request.json()
    assert body["username"] == "SecOps" and body["avatar_url"] == "https://onca.example.com/logo.png"


def test_discord_embed_stays_within_discord_limits(sample_alert):
    alert = dataclasses.replace(sample_alert, title="T" * 400, description="D" * 5000, runbook="R" * 3000,
                                reference="F" * 3000, alert_context={"blob": "C" * 3000})
    result = embed(alert)

    assert len(result["title"]) == 256 and result["title"].endswith("…")
    assert all(len(field["value"]) <= 1024 for field in result["fields"])
    context = result["fields"][-1]["value"]
    assert context.startswith("```json\n") and context.endswith("\n```") and len(context) == 1024
    total = (len(result["title"]) + len(result["description"]) + len(result["footer"]["text"])
             + sum(len(field["name"]) + len(field["value"]) for field in result["fields"]))
    assert total == 6000


def test_discord_embed_without_optional_parts(sample_alert):
    result = embed(dataclasses.replace(sample_alert, description="", runbook="", reference="",
                                       alert_context={}, url="", severity="INFO"))

    assert "url" not in result and "description" not in result
    assert [field["name"] for field in result["fields"]] == [
        "Severity", "Detection", "Events", "First event", "Last event", "Log types"]
    assert result["color"] == 0x757575


def test_discord_rate_limit_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(429, {"message": "You are being rate limited.", "retry_after": 0.5, "global": False})
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and result.retryable and result.status_code == 429


def test_discord_server_error_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(500)
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and result.retryable


def test_discord_invalid_form_body_is_final(receiver, sample_alert, deliver):
    receiver.respond(400, {"code": 50035, "message": "Invalid Form Body", "errors": {}})
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and not result.retryable and "50035" in result.response


def test_discord_unknown_webhook_is_final(receiver, sample_alert, deliver):
    receiver.respond(404, {"message": "Unknown Webhook", "code": 10015})
    result = deliver(make(receiver.url), sample_alert)

    assert not result.ok and not result.retryable


def test_discord_connection_refused_is_retryable(refused_url, sample_alert, deliver):
    result = deliver(make(refused_url), sample_alert)

    assert not result.ok and result.retryable


def test_discord_webhook_url_is_kept_secret_and_must_be_a_url():
    destination = make("https://discord.com")
    assert "AbCdEfGhIjKlMnOp" not in repr(destination.config)
    with pytest.raises(pydantic.ValidationError, match="not an http"):
        build_destination("discord", {"name": "d", "webhook_url": "not a url"})
