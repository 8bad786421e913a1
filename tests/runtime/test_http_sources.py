"""HTTP source settings and authentication, with Panther's field names."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from pydantic import ValidationError
from starlette.datastructures import Headers

from onca.runtime.http_sources import AuthFailed, HttpSource

BODY = b'{"eventType": "user.session.start"}\n'


def source(**settings):
    return HttpSource.model_validate({"integrationId": "okta", "integrationLabel": "Okta",
                                      "logTypes": ["Okta.SystemLog"], **settings})


def check(src, headers, body=BODY):
    src.authenticate(Headers(headers), body)


def test_shared_secret():
    src = source(authMethod="SharedSecret", authHeaderKey="X-Secret", authSecretValue="s3cret")
    check(src, {"x-secret": "s3cret"})  # header names are case-insensitive
    with pytest.raises(AuthFailed, match="wrong secret in header X-Secret"):
        check(src, {"X-Secret": "guess"})
    with pytest.raises(AuthFailed, match="missing header X-Secret"):
        check(src, {})


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha512"])
def test_hmac_in_hex_base64_and_prefixed_forms(algorithm):
    src = source(authMethod="HMAC", authHeaderKey="X-Hub-Signature-256", authSecretValue="key",
                 authHmacAlg=algorithm)
    digest = hmac.new(b"key", BODY, getattr(hashlib, algorithm)).digest()
    check(src, {"X-Hub-Signature-256": digest.hex()})
    check(src, {"X-Hub-Signature-256": digest.hex().upper()})
    check(src, {"X-Hub-Signature-256": base64.b64encode(digest).decode()})
    check(src, {"X-Hub-Signature-256": f"{algorithm}={digest.hex()}"})
    with pytest.raises(AuthFailed, match="does not match the body"):
        check(src, {"X-Hub-Signature-256": digest.hex()}, body=BODY + b" ")
    with pytest.raises(AuthFailed, match="missing signature header"):
        check(src, {})


def test_hmac_prefix_naming_another_algorithm_is_refused():
    src = source(authMethod="HMAC", authHeaderKey="X-Sig", authSecretValue="key", authHmacAlg="sha256")
    digest = hmac.new(b"key", BODY, hashlib.sha256).hexdigest()
    with pytest.raises(AuthFailed):
        check(src, {"X-Sig": f"sha1={digest}"})


def test_bearer_and_basic():
    bearer = source(authMethod="Bearer", authBearerToken="tok")
    check(bearer, {"Authorization": "Bearer tok"})
    with pytest.raises(AuthFailed, match="wrong bearer token"):
        check(bearer, {"Authorization": "Bearer nope"})
    with pytest.raises(AuthFailed, match="missing Authorization: Bearer"):
        check(bearer, {"Authorization": "Basic abc"})
    basic = source(authMethod="Basic", authUsername="shipper", authPassword="pw:with:colons")
    check(basic, {"Authorization": "Basic " + base64.b64encode(b"shipper:pw:with:colons").decode()})
    with pytest.raises(AuthFailed, match="wrong username or password"):
        check(basic, {"Authorization": "Basic " + base64.b64encode(b"shipper:nope").decode()})
    with pytest.raises(AuthFailed, match="malformed"):
        check(basic, {"Authorization": "Basic ***"})


def test_incomplete_settings_name_what_is_missing():
    with pytest.raises(ValidationError, match="authMethod HMAC needs authHeaderKey, authSecretValue"):
        source(authMethod="HMAC")
    with pytest.raises(ValidationError, match="authHmacAlg must be one of"):
        source(authMethod="HMAC", authHeaderKey="X", authSecretValue="k", authHmacAlg="md5")
    with pytest.raises(ValidationError, match="source id"):
        source(integrationId="not/a/path")
    with pytest.raises(ValidationError, match="logTypes"):
        source(logTypes=[])


def test_public_view_leaves_secrets_out():
    src = source(authMethod="Basic", authUsername="u", authPassword="p")
    shown = src.public()
    assert shown["authUsername"] == "u" and "authPassword" not in shown
    assert shown["integrationId"] == "okta" and shown["logTypes"] == ["Okta.SystemLog"]
