import pytest
from pydantic import ValidationError

from onca.alerts.destinations import build_destination
from onca.alerts.destinations.tines import TinesDestination
from onca.alerts.document import alert_document

PATH = "/webhook/4b6e3a1f0d9c8b7a6e5f4d3c2b1a0f9e"


def make(url: str, **extra) -> TinesDestination:
    return build_destination("tines", {"name": "Tines", "webhook_url": url, **extra})


def test_tines_secret_is_the_last_path_segment(receiver, sample_alert, deliver):
    receiver.respond(201, "Ok")

    result = deliver(make(receiver.url + PATH, secret="d41d8cd98f00b204e9800998ecf8427e"), sample_alert)

    assert result.ok and result.status_code == 201
    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == PATH + "/d41d8cd98f00b204e9800998ecf8427e"
    assert request.headers["content-type"] == "application/json"
    assert "authorization" not in request.headers
    body = request.json()
    assert body == alert_document(sample_alert)
    assert (body["alertId"], body["title"], body["severity"], body["eventCount"]) == (
        sample_alert.id, sample_alert.title, "HIGH", 3)
    assert body["link"] == sample_alert.url


def test_tines_secret_as_bearer_header(receiver, sample_alert, deliver):
    deliver(make(receiver.url + PATH + "/", secret="d41d8cd98f00b204e9800998ecf8427e", secret_in="header"),
            sample_alert)

    [request] = receiver.requests
    assert request.path == PATH + "/"
    assert request.headers["authorization"] == "Bearer d41d8cd98f00b204e9800998ecf8427e"


def test_tines_secret_is_escaped_in_the_path(receiver, sample_alert, deliver):
    deliver(make(receiver.url + PATH, secret="a/b c"), sample_alert)
    assert receiver.requests[0].path == PATH + "/a%2Fb%20c"


def test_tines_without_secret_posts_to_the_url_as_given(receiver, sample_alert, deliver):
    deliver(make(receiver.url + PATH + "/already-in-url"), sample_alert)
    assert receiver.requests[0].path == PATH + "/already-in-url"


def test_tines_server_error_is_retryable(receiver, sample_alert, deliver):
    receiver.respond(500, "Internal Server Error")
    result = deliver(make(receiver.url + PATH, secret="s"), sample_alert)
    assert not result.ok and result.retryable and result.status_code == 500


def test_tines_wrong_secret_is_not_retryable(receiver, sample_alert, deliver):
    receiver.respond(404, {"error": "Not found"})
    result = deliver(make(receiver.url + PATH, secret="wrong"), sample_alert)
    assert not result.ok and not result.retryable and result.status_code == 404


def test_tines_bad_request_is_not_retryable(receiver, sample_alert, deliver):
    receiver.respond(400, "Bad Request")
    result = deliver(make(receiver.url + PATH, secret="s"), sample_alert)
    assert not result.ok and not result.retryable and result.status_code == 400


def test_tines_connection_refused_is_retryable(refused_url, sample_alert, deliver):
    result = deliver(make(refused_url + PATH, secret="s"), sample_alert)
    assert not result.ok and result.retryable


def test_tines_config_rejects_unknown_secret_placement():
    with pytest.raises(ValidationError, match="secret_in"):
        make("https://example-tenant.tines.com/webhook/x", secret="s", secret_in="query")
