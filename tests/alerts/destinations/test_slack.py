import dataclasses
import json

import pydantic
import pytest

from onca.alerts.destinations import build_destination

TOKEN = "xoxb-1111111111-2222222222222-AbCdEfGhIjKlMnOpQrStUvWx"


def webhook(url: str):
    return build_destination("slack", {"name": "slack", "webhook_url": url + "/services/T0/B0/XXXX"})


def bot(api_url: str, channel: str = "C0123456789"):
    return build_destination("slack", {"name": "slack", "bot_token": TOKEN, "channel": channel,
                                       "api_url": api_url + "/api"})


def expected_blocks(alert) -> list[dict]:
    context = json.dumps(alert.alert_context, indent=2)
    return [
        {"type": "header", "text": {"type": "plain_text", "text": alert.title, "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": alert.description}},
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": "*Severity*\n:large_orange_circle: HIGH"},
            {"type": "mrkdwn", "text": "*Detection*\n`AWS.Console.RootLogin`"},
            {"type": "mrkdwn", "text": "*Events*\n3"},
            {"type": "mrkdwn", "text": "*Log types*\nAWS.CloudTrail"},
            {"type": "mrkdwn", "text": "*First event*\n2024-05-14T09:28:41Z"},
            {"type": "mrkdwn", "text": "*Last event*\n2024-05-14T09:30:55Z"},
        ]},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Runbook*\n{alert.runbook}"}},
        {"type": "section",
         "text": {"type": "mrkdwn", "text": f"*Reference*\n<{alert.reference}|{alert.reference}>"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Alert context*\n```{context}```"}},
        {"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "View alert in Onca"}, "url": alert.url,
             "action_id": "onca_view_alert"}]},
        {"type": "context", "elements": [
            {"type": "mrkdwn", "text": "Alert `7c9e4b1f2a6d4e8f9b0c1d2e3f405162` · rule · Onca"}]},
    ]


def test_slack_webhook_posts_block_kit_message(receiver, sample_alert, deliver):
    receiver.respond(200, "ok")
    result = deliver(webhook(receiver.url), sample_alert)

    assert result.ok and result.response == "ok"
    [request] = receiver.requests
    assert request.method == "POST" and request.path == "/services/T0/B0/XXXX"
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert "authorization" not in request.headers
    assert request.json() == {
        "text": "[HIGH] AWS root login detected from [198.51.100.23]",
        "blocks": expected_blocks(sample_alert),
        "unfurl_links": False,
        "unfurl_media": False,
    }


def test_slack_bot_posts_to_chat_post_message(receiver, sample_alert, deliver):
    receiver.respond(200, {"ok": True, "channel": "C0123456789", "ts": "1503435956.000247"})
    result = deliver(bot(receiver.url), sample_alert)

    assert result.ok and result.status_code == 200
    [request] = receiver.requests
    assert request.method == "POST" and request.path == "/api/chat.postMessage"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.json() == {
        "channel": "C0123456789",
        "text": "[HIGH] AWS root login detected from [198.51.100.23]",
        "blocks": expected_blocks(sample_alert),
        "unfurl_links": False,
        "unfurl_media": False,
    }


def test_slack_escapes_control_characters_and_cuts_long_text(receiver, sample_alert, deliver):
    alert = dataclasses.replace(sample_alert, title="T" * 200, description="a < b && c > d <!channel>",
                                runbook="", reference="see wiki page", alert_context={}, url="")
    deliver(webhook(receiver.url), alert)

    blocks = receiver.requests[0].json()["blocks"]
    assert blocks[0]["text"]["text"] == "T" * 149 + "…"
    assert blocks[1]["text"]["text"] == "a &lt; b &amp;&amp; c &gt; d &lt;!channel&gt;"
    assert blocks[3]["text"]["text"] == "*Reference*\nsee wiki page"
    assert [block["type"] for block in blocks] == ["header", "section", "section", "section", "context"]


def test_slack_bot_api_error_in_a_200_answer_is_a_failure(receiver, sample_alert, deliver):
    receiver.respond(200, {"ok": False, "error": "channel_not_found"})
    result = deliver(bot(receiver.url), sample_alert)

    assert not result.ok and not result.retryable and result.error == "Slack API error: channel_not_found"


def test_slack_bot_transient_api_error_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(200, {"ok": False, "error": "internal_error"})
    result = deliver(bot(receiver.url), sample_alert)

    assert not result.ok and result.retryable


def test_slack_bot_rate_limit_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(429, {"ok": False, "error": "ratelimited"}, headers={"Retry-After": "30"})
    result = deliver(bot(receiver.url), sample_alert)

    assert not result.ok and result.retryable and result.status_code == 429


def test_slack_webhook_server_error_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(500, "rollup_error")
    result = deliver(webhook(receiver.url), sample_alert)

    assert not result.ok and result.retryable


def test_slack_webhook_invalid_payload_is_final(receiver, sample_alert, deliver):
    receiver.respond(400, "invalid_payload")
    result = deliver(webhook(receiver.url), sample_alert)

    assert not result.ok and not result.retryable and result.response == "invalid_payload"


@pytest.mark.parametrize("mode", ["webhook", "bot"])
def test_slack_connection_refused_is_retryable(refused_url, sample_alert, deliver, mode):
    destination = webhook(refused_url) if mode == "webhook" else bot(refused_url)
    result = deliver(destination, sample_alert)

    assert not result.ok and result.retryable


@pytest.mark.parametrize("config", [
    {},
    {"bot_token": TOKEN},
    {"channel": "C1"},
    {"webhook_url": "https://hooks.slack.com/services/T/B/X", "bot_token": TOKEN, "channel": "C1"},
])
def test_slack_config_needs_exactly_one_mode(config):
    with pytest.raises(pydantic.ValidationError, match="webhook_url"):
        build_destination("slack", {"name": "slack", **config})


def test_slack_webhook_url_is_kept_secret_and_must_be_a_url():
    destination = build_destination("slack", {"name": "s", "webhook_url": "https://hooks.slack.com/services/T/B/X1"})
    assert "X1" not in repr(destination.config)
    with pytest.raises(pydantic.ValidationError, match="not an http"):
        build_destination("slack", {"name": "s", "webhook_url": "hooks.slack.com/services/T/B/X1"})
