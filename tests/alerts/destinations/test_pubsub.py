"""Pub/Sub destination: token exchange and publish both go to the loopback receiver."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import ValidationError

from onca.alerts.destinations import build_destination
from onca.alerts.destinations.pubsub import PubSubDestination
from onca.alerts.document import alert_document

TOKEN = {"access_token": "ya29.c.onca-test-token", "expires_in": 3599, "token_type": "Bearer"}
PUBLISHED = {"messageIds": ["4711"]}


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def key_json(private_key, token_uri: str, **overrides) -> str:
    pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    return json.dumps({"type": "service_account", "project_id": "acme-sec", "private_key_id": "3f2a9c1e",
                       "private_key": pem, "client_email": "onca@acme-sec.iam.gserviceaccount.com",
                       "client_id": "1234567890", "token_uri": token_uri, **overrides})


def make(url: str, private_key, **extra) -> PubSubDestination:
    config = {"name": "Pub/Sub", "topic": "onca-alerts", "api_url": url,
              "service_account_key": key_json(private_key, url + "/token"), **extra}
    return build_destination("pubsub", config)


def test_pubsub_exchanges_signed_jwt_then_publishes(receiver, rsa_key, sample_alert, deliver):
    receiver.respond(200, PUBLISHED)
    receiver.respond(200, TOKEN, times=1)

    result = deliver(make(receiver.url, rsa_key), sample_alert)

    assert result.ok and result.status_code == 200
    assert "4711" in result.response
    token_request, publish_request = receiver.requests

    assert token_request.method == "POST" and token_request.path == "/token"
    assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = parse_qs(token_request.text())
    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    [assertion] = form["assertion"]
    assert jwt.get_unverified_header(assertion) == {"alg": "RS256", "typ": "JWT", "kid": "3f2a9c1e"}
    claims = jwt.decode(assertion, rsa_key.public_key(), algorithms=["RS256"],
                        audience=receiver.url + "/token")
    assert claims["iss"] == "onca@acme-sec.iam.gserviceaccount.com"
    assert claims["scope"] == "https://www.googleapis.com/auth/pubsub"
    assert claims["exp"] - claims["iat"] == 3600

    assert publish_request.method == "POST"
    assert publish_request.path == "/v1/projects/acme-sec/topics/onca-alerts:publish"
    assert publish_request.headers["authorization"] == "Bearer ya29.c.onca-test-token"
    assert publish_request.headers["content-type"] == "application/json"
    [message] = publish_request.json()["messages"]
    assert message["attributes"] == {"severity": "HIGH", "alert_id": sample_alert.id,
                                     "detection_id": "AWS.Console.RootLogin", "alert_type": "rule"}
    document = json.loads(base64.b64decode(message["data"]))
    assert document == alert_document(sample_alert)
    assert (document["alertId"], document["link"], document["eventCount"]) == (
        sample_alert.id, sample_alert.url, 3)
    assert set(message) == {"data", "attributes"}


def test_pubsub_reuses_the_access_token(receiver, rsa_key, sample_alert, deliver):
    receiver.respond(200, PUBLISHED)
    receiver.respond(200, TOKEN, times=1)
    destination = make(receiver.url, rsa_key)

    assert deliver(destination, sample_alert).ok
    assert deliver(destination, sample_alert).ok

    publish = "/v1/projects/acme-sec/topics/onca-alerts:publish"
    assert [r.path for r in receiver.requests] == ["/token", publish, publish]


def test_pubsub_full_topic_name_and_configured_token_uri(receiver, rsa_key, sample_alert, deliver):
    receiver.respond(200, PUBLISHED)
    receiver.respond(200, TOKEN, times=1)
    destination = make(receiver.url, rsa_key, topic="projects/other-proj/topics/alerts",
                       token_uri=receiver.url + "/oauth/token")

    assert deliver(destination, sample_alert).ok

    token_request, publish_request = receiver.requests
    assert token_request.path == "/oauth/token"
    assertion = parse_qs(token_request.text())["assertion"][0]
    assert jwt.decode(assertion, rsa_key.public_key(), algorithms=["RS256"],
                      audience=receiver.url + "/oauth/token")["aud"] == receiver.url + "/oauth/token"
    assert publish_request.path == "/v1/projects/other-proj/topics/alerts:publish"


def test_pubsub_token_server_error_is_retryable(receiver, rsa_key, sample_alert, deliver):
    receiver.respond(503, {"error": "temporarily_unavailable"})
    result = deliver(make(receiver.url, rsa_key), sample_alert)
    assert not result.ok and result.retryable and result.status_code == 503
    assert result.error == "token request failed: HTTP 503"
    assert len(receiver.requests) == 1  # nothing published without a token


def test_pubsub_rejected_key_is_not_retryable(receiver, rsa_key, sample_alert, deliver):
    receiver.respond(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
    result = deliver(make(receiver.url, rsa_key), sample_alert)
    assert not result.ok and not result.retryable and result.status_code == 400
    assert "Invalid JWT Signature." in result.response


def test_pubsub_publish_server_error_is_retryable(receiver, rsa_key, sample_alert, deliver):
    receiver.respond(500, {"error": {"code": 500, "status": "INTERNAL"}})
    receiver.respond(200, TOKEN, times=1)
    result = deliver(make(receiver.url, rsa_key), sample_alert)
    assert not result.ok and result.retryable and result.status_code == 500


def test_pubsub_publish_bad_request_is_not_retryable(receiver, rsa_key, sample_alert, deliver):
    receiver.respond(404, {"error": {"code": 404, "message": "Resource not found", "status": "NOT_FOUND"}})
    receiver.respond(200, TOKEN, times=1)
    result = deliver(make(receiver.url, rsa_key), sample_alert)
    assert not result.ok and not result.retryable and result.status_code == 404

    receiver.respond(400, {"error": {"code": 400, "status": "INVALID_ARGUMENT"}})
    result = deliver(make(receiver.url, rsa_key), sample_alert)
    assert not result.ok and not result.retryable and result.status_code == 400


def test_pubsub_unauthorized_with_cached_token_refetches_on_retry(receiver, rsa_key, sample_alert, deliver):
    receiver.respond(200, PUBLISHED)
    receiver.respond(200, TOKEN, times=1)
    destination = make(receiver.url, rsa_key)
    assert deliver(destination, sample_alert).ok

    receiver.respond(401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}}, times=1)
    result = deliver(destination, sample_alert)
    assert not result.ok and result.retryable and result.status_code == 401

    receiver.respond(200, TOKEN, times=1)
    assert deliver(destination, sample_alert).ok
    assert [r.path.rsplit("/", 1)[-1] for r in receiver.requests] == [
        "token", "onca-alerts:publish", "onca-alerts:publish", "token", "onca-alerts:publish"]


def test_pubsub_connection_refused_is_retryable(refused_url, rsa_key, sample_alert, deliver):
    result = deliver(make(refused_url, rsa_key), sample_alert)
    assert not result.ok and result.retryable


def test_pubsub_config_errors_name_the_problem(rsa_key):
    base = {"name": "Pub/Sub", "topic": "onca-alerts"}
    with pytest.raises(ValidationError, match="service_account_key is not JSON"):
        build_destination("pubsub", {**base, "service_account_key": "{not json"})
    with pytest.raises(ValidationError, match="service_account_key lacks client_email"):
        build_destination("pubsub", {**base,
                                     "service_account_key": key_json(rsa_key, "https://t", client_email="")})
    with pytest.raises(ValidationError, match="private_key cannot be read"):
        build_destination("pubsub", {**base, "service_account_key": json.dumps(
            {"type": "service_account", "client_email": "a@b", "private_key": "nope"})})
    ec_key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(ValidationError, match="not an RSA key"):
        build_destination("pubsub", {**base, "service_account_key": key_json(ec_key, "https://t")})
    with pytest.raises(ValidationError, match="no project"):
        build_destination("pubsub", {**base,
                                     "service_account_key": key_json(rsa_key, "https://t", project_id="")})
    with pytest.raises(ValidationError, match="topic"):
        build_destination("pubsub", {**base, "topic": "a b", "service_account_key": key_json(rsa_key, "https://t")})


def test_pubsub_config_hides_the_key(rsa_key):
    destination = make("https://pubsub.googleapis.com", rsa_key)
    assert "PRIVATE KEY" not in repr(destination.config)
    assert "PRIVATE KEY" not in destination.config.model_dump_json()
