import pytest
from pydantic import ValidationError

from onca.alerts.destinations import build_destination
from onca.alerts.destinations.torq import TorqDestination
from onca.alerts.document import alert_document

PATH = "/v1/webhooks/2f1e0d9c-8b7a-4e5f-9d3c-2b1a0f9e8d7c"


def make(url: str, **extra) -> TorqDestination:
    return build_destination("torq", {"name": "Torq", "webhook_url": url, "secret": "f3a9c2e1b7d84e6a",
                                      **extra})


def test_torq_posts_alert_with_secret_header(receiver, sample_alert, deliver):
    receiver.respond(200, {"event_id": "5c1d"})

    result = deliver(make(receiver.url + PATH), sample_alert)

    assert result.ok and result.status_code == 200
    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == PATH
    assert request.headers["x-torq-token"] == "f3a9c2e1b7d84e6a"
    assert request.headers["content-type"] == "application/json"
    body = request.json()
    assert body == alert_document(sample_alert)
    assert (body["alertId"], body["id"], body["runbook"]) == (
        sample_alert.id, "AWS.Console.RootLogin", sample_alert.runbook)


def test_torq_secret_header_name_is_configurable(receiver, sample_alert, deliver):
    deliver(make(receiver.url + PATH, secret_header="X-Onca-Secret"), sample_alert)

    [request] = receiver.requests
    assert request.headers["x-onca-secret"] == "f3a9c2e1b7d84e6a"
    assert "x-torq-token" not in request.headers


def test_torq_server_error_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(502, "Bad Gateway")
    result = deliver(make(receiver.url + PATH), sample_alert)
    assert not result.ok and result.retryable and result.status_code == 502


def test_torq_unauthorized_is_not_retryable(receiver, sample_alert, deliver):
    receiver.respond(401, {"message": "unauthorized"})
    result = deliver(make(receiver.url + PATH), sample_alert)
    assert not result.ok and not result.retryable and result.status_code == 401


def test_torq_bad_request_is_not_retryable(receiver, sample_alert, deliver):
    receiver.respond(400, {"message": "bad request"})
    result = deliver(make(receiver.url + PATH), sample_alert)
    assert not result.ok and not result.retryable and result.status_code == 400


def test_torq_connection_refused_is_retryable(refused_url, sample_alert, deliver):
    result = deliver(make(refused_url + PATH), sample_alert)
    assert not result.ok and result.retryable


def test_torq_config_rejects_bad_header():
    with pytest.raises(ValidationError, match="secret_header"):
        make("https://hooks.torq.io/v1/webhooks/x", secret_header="X Torq Token")
    with pytest.raises(ValidationError, match="line break"):
        make("https://hooks.torq.io/v1/webhooks/x", secret="abc\r\nX-Evil: 1")
