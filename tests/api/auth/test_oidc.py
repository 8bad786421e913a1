"""Single sign-on through OpenID Connect, against a real provider served on loopback by uvicorn: discovery, key
set, an authorize endpoint that redirects straight back with a code, and a token endpoint that checks the client
secret and PKCE and answers an RSA-signed ID token. The browser's redirects are followed by hand."""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import uvicorn
from auth_helpers import API, message
from fastapi import FastAPI
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from onca.api.auth import SESSION_COOKIE
from onca.api.auth.oidc import FLOW_COOKIE, forget_providers, local_path
from onca.runtime.server_config import ConfigError, OidcConfig, parse_config

CLIENT_ID = "onca-test"
CLIENT_SECRET = "s3cret-of-the-client"
CALLBACK = f"http://testserver{API}/auth/oidc/callback"


@dataclass
class Provider:
    """A small OpenID provider; `claims` and `signing_key` let a test make it misbehave. With
    `email_in_id_token` off, the email and email_verified claims are only in the userinfo answer, as some
    providers do; `userinfo_claims` changes that answer."""

    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "main"}))
    issuer: str = ""
    signing_key: RSAKey | None = None
    email: str = "ana@example.com"
    claims: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    email_in_id_token: bool = True
    userinfo_claims: dict[str, Any] = field(default_factory=dict)
    access_tokens: set[str] = field(default_factory=set)
    userinfo_calls: int = 0
    userinfo_signed: bool = False

    def reset(self) -> None:
        self.signing_key, self.email, self.claims, self.error = None, "ana@example.com", {}, None
        self.email_in_id_token, self.userinfo_claims, self.userinfo_calls = True, {}, 0
        self.userinfo_signed = False

    def app(self) -> Starlette:
        async def discovery(request: Request) -> JSONResponse:
            return JSONResponse({
                "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            })

        async def jwks(request: Request) -> JSONResponse:
            return JSONResponse({"keys": [self.key.as_dict(private=False)]})

        async def authorize(request: Request) -> RedirectResponse:
            query = request.query_params
            target = query["redirect_uri"]
            if self.error:
                return RedirectResponse(f"{target}?{urlencode({'error': self.error, 'state': query['state']})}")
            code = secrets.token_urlsafe(16)
            self.codes[code] = dict(query)
            return RedirectResponse(f"{target}?{urlencode({'code': code, 'state': query['state']})}", 302)

        async def token(request: Request) -> JSONResponse:
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if request.headers.get("authorization") != f"Basic {expected}":
                return JSONResponse({"error": "invalid_client"}, 401)
            asked = self.codes.pop(str(form.get("code")), None)
            if asked is None or form.get("redirect_uri") != asked["redirect_uri"]:
                return JSONResponse({"error": "invalid_grant"}, 400)
            digest = hashlib.sha256(str(form.get("code_verifier")).encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != asked["code_challenge"]:
                return JSONResponse({"error": "invalid_grant", "error_description": "PKCE check failed"}, 400)
            now = int(time.time())
            claims = {"iss": self.issuer, "sub": "user-1", "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                      "nonce": asked["nonce"], "email": self.email, "email_verified": True,
                      "given_name": "Ana", "family_name": "Lyst", **self.claims}
            if not self.email_in_id_token:
                del claims["email"], claims["email_verified"]
            id_token = jwt.encode({"alg": "RS256", "kid": "main"}, claims, self.signing_key or self.key)
            access_token = secrets.token_urlsafe(16)
            self.access_tokens.add(access_token)
            return JSONResponse({"access_token": access_token, "token_type": "Bearer",
                                 "expires_in": 300, "id_token": id_token})

        async def userinfo(request: Request) -> Response:
            self.userinfo_calls += 1
            scheme, _, presented = request.headers.get("authorization", "").partition(" ")
            if scheme != "Bearer" or presented not in self.access_tokens:
                return JSONResponse({"error": "invalid_token"}, 401)
            claims = {"sub": "user-1", "email": self.email, "email_verified": True, **self.userinfo_claims}
            if self.userinfo_signed:
                signed = jwt.encode({"alg": "RS256", "kid": "main"}, claims, self.key)
                return Response(signed, media_type="application/jwt")
            return JSONResponse(claims)

        return Starlette(routes=[Route("/.well-known/openid-configuration", discovery), Route("/jwks", jwks),
                                 Route("/authorize", authorize), Route("/token", token, methods=["POST"]),
                                 Route("/userinfo", userinfo)])


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    served = Provider()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    served.issuer = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(served.app(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started
    yield served
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture(autouse=True)
def fresh_provider(provider: Provider) -> Iterator[None]:
    provider.reset()
    forget_providers()
    yield
    forget_providers()


def oidc_config(provider: Provider, **changes: Any) -> OidcConfig:
    return OidcConfig(issuer=provider.issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                      redirect_url=CALLBACK, **changes)


@pytest.fixture
def sso_app(app: FastAPI, provider: Provider, admin) -> FastAPI:
    app.state.server = SimpleNamespace(config=SimpleNamespace(oidc=oidc_config(provider)))
    return app


@pytest.fixture
def browser(sso_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(sso_app, follow_redirects=False) as client:
        yield client


def to_provider(browser: TestClient, next_path: str | None = None) -> str:
    """Start at Onca's login route; the URL the provider sends the browser back to."""
    query = f"?{urlencode({'next': next_path})}" if next_path else ""
    answer = browser.get(f"{API}/auth/oidc/login{query}")
    assert answer.status_code == 302, answer.text
    back = httpx.get(answer.headers["location"], follow_redirects=False)
    assert back.status_code in (302, 307), back.text
    return back.headers["location"]


def sign_in(browser: TestClient, next_path: str | None = None) -> httpx.Response:
    return browser.get(to_provider(browser, next_path))


def test_login_redirects_to_the_provider_with_state_nonce_and_pkce(browser, provider):
    answer = browser.get(f"{API}/auth/oidc/login")

    assert answer.status_code == 302
    target = urlsplit(answer.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{provider.issuer}/authorize"
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == CALLBACK and query["scope"] == "openid email profile"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    flags = [p.strip().lower() for p in answer.headers["set-cookie"].split(";")]
    assert flags[0].startswith(f"{FLOW_COOKIE}=") and "httponly" in flags and "samesite=lax" in flags
    assert f"path={API}/auth/oidc" in flags


def test_sign_in_of_an_existing_user_starts_a_session(browser, make_user, store):
    ana = make_user("Analyst", "Ana@Example.com")

    answer = sign_in(browser, "/alerts?status=OPEN")

    assert answer.status_code == 302, answer.text
    assert answer.headers["location"] == "/alerts?status=OPEN"
    assert browser.cookies.get(SESSION_COOKIE)
    assert FLOW_COOKIE not in browser.cookies  # used once, then cleared
    me = browser.get(f"{API}/auth/me")
    assert me.status_code == 200
    assert me.json()["id"] == ana.id and me.json()["role"]["name"] == "Analyst"
    assert me.json()["user"]["lastLoggedInAt"] is not None
    assert store.users.count() == 2  # the bootstrap Admin and Ana: nobody new


def test_first_sign_in_creates_the_user_with_the_default_role(browser, provider, store):
    provider.email = "new.person@example.com"

    answer = sign_in(browser)

    assert answer.status_code == 302 and answer.headers["location"] == "/"
    created = store.users.get_by_email("new.person@example.com")
    assert created is not None and not created.has_password  # signs in through the provider only
    assert (created.given_name, created.family_name) == ("Ana", "Lyst")
    assert store.roles.get(created.role_id).name == "AnalystReadOnly"
    me = browser.get(f"{API}/auth/me").json()
    assert me["email"] == "new.person@example.com" and me["user"]["status"] == "EXTERNAL_PROVIDER"


def test_a_tampered_state_is_refused(browser, make_user):
    make_user("Analyst", "ana@example.com")
    back = urlsplit(to_provider(browser))
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    query["state"] = query["state"][:-2] + "xx"

    answer = browser.get(f"{back.path}?{urlencode(query)}")

    assert answer.status_code == 401 and "state" in message(answer)
    assert SESSION_COOKIE not in browser.cookies


def test_a_tampered_or_missing_flow_cookie_is_refused(browser, make_user):
    make_user("Analyst", "ana@example.com")
    back = to_provider(browser)
    value = browser.cookies[FLOW_COOKIE]
    browser.cookies.clear()
    browser.cookies.set(FLOW_COOKIE, value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))

    tampered = browser.get(back)
    browser.cookies.clear()
    missing = browser.get(back)

    assert tampered.status_code == 401 and "flow cookie is invalid" in message(tampered)
    assert missing.status_code == 401 and "flow cookie is missing" in message(missing)


@pytest.mark.parametrize(("claims", "problem"), [
    ({"nonce": "not-the-nonce-we-sent"}, "nonce"),
    ({"aud": "another-client"}, "aud"),
    ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "expired"),
    ({"iss": "http://127.0.0.1:1/elsewhere"}, "iss"),
])
def test_an_id_token_with_a_wrong_claim_is_refused(browser, provider, make_user, claims, problem):
    make_user("Analyst", "ana@example.com")
    provider.claims = claims

    answer = sign_in(browser)

    assert answer.status_code == 401
    assert "ID token is invalid" in message(answer) and problem in message(answer)
    assert SESSION_COOKIE not in browser.cookies


def test_an_id_token_signed_by_another_key_is_refused(browser, provider, make_user):
    make_user("Analyst", "ana@example.com")
    provider.signing_key = RSAKey.generate_key(2048, parameters={"kid": "main"})  # same kid, other key

    answer = sign_in(browser)

    assert answer.status_code == 401 and "signature" in message(answer)
    assert SESSION_COOKIE not in browser.cookies


def test_a_deactivated_user_is_refused(browser, make_user, store):
    ana = make_user("Analyst", "ana@example.com")
    store.users.update(ana.id, enabled=False)

    answer = sign_in(browser)

    assert answer.status_code == 403 and "deactivated" in message(answer)
    assert SESSION_COOKIE not in browser.cookies


def test_without_a_default_role_an_unknown_email_is_refused(browser, sso_app, provider, store):
    sso_app.state.server.config.oidc = oidc_config(provider, default_role=None)
    provider.email = "stranger@example.com"

    answer = sign_in(browser)

    assert answer.status_code == 403 and "no Onca user has the email stranger@example.com" in message(answer)
    assert store.users.get_by_email("stranger@example.com") is None


def test_an_unverified_email_is_refused(browser, provider, make_user):
    make_user("Analyst", "ana@example.com")
    provider.claims = {"email_verified": False}

    answer = sign_in(browser)

    assert answer.status_code == 403 and "not verified" in message(answer)


def test_an_email_only_in_userinfo_signs_the_user_in(browser, provider, make_user):
    ana = make_user("Analyst", "ana@example.com")
    provider.email_in_id_token = False

    answer = sign_in(browser)

    assert answer.status_code == 302, answer.text
    assert browser.get(f"{API}/auth/me").json()["id"] == ana.id
    assert provider.userinfo_calls == 1


def test_a_signed_userinfo_answer_is_read(browser, provider, make_user):
    ana = make_user("Analyst", "ana@example.com")
    provider.email_in_id_token = False
    provider.userinfo_signed = True

    assert sign_in(browser).status_code == 302
    assert browser.get(f"{API}/auth/me").json()["id"] == ana.id


def test_userinfo_is_not_asked_when_the_id_token_has_the_email(browser, provider, make_user):
    make_user("Analyst", "ana@example.com")

    assert sign_in(browser).status_code == 302
    assert provider.userinfo_calls == 0


def test_userinfo_about_another_subject_is_refused(browser, provider, make_user):
    make_user("Analyst", "ana@example.com")
    provider.email_in_id_token = False
    provider.userinfo_claims = {"sub": "someone-else"}

    answer = sign_in(browser)

    assert answer.status_code == 401
    assert "'someone-else', not the ID token's 'user-1'" in message(answer)
    assert SESSION_COOKIE not in browser.cookies


def test_an_email_unverified_in_userinfo_is_refused(browser, provider, make_user):
    make_user("Analyst", "ana@example.com")
    provider.email_in_id_token = False
    provider.userinfo_claims = {"email_verified": False}

    answer = sign_in(browser)

    assert answer.status_code == 403 and "not verified" in message(answer)


def test_no_email_in_the_id_token_or_userinfo_is_named(browser, provider, make_user):
    make_user("Analyst", "ana@example.com")
    provider.email_in_id_token = False
    provider.userinfo_claims = {"email": None}

    answer = sign_in(browser)

    assert answer.status_code == 401 and "no 'email' claim" in message(answer)


def test_a_first_sign_in_through_userinfo_creates_the_user(browser, provider, store):
    provider.email_in_id_token = False
    provider.email = "newcomer@example.com"

    assert sign_in(browser).status_code == 302
    created = store.users.get_by_email("newcomer@example.com")
    assert created is not None and (created.given_name, created.family_name) == ("Ana", "Lyst")


def test_a_provider_error_is_named(browser, provider):
    provider.error = "access_denied"

    answer = sign_in(browser)

    assert answer.status_code == 401 and "refused the sign-in: access_denied" in message(answer)


def test_an_authorization_code_is_used_once(browser, make_user):
    make_user("Analyst", "ana@example.com")
    back = to_provider(browser)
    first = browser.get(back)
    browser.cookies.delete(SESSION_COOKIE)
    replayed = browser.get(back)  # the flow cookie is gone after the first use

    assert first.status_code == 302
    assert replayed.status_code == 401


def test_next_must_be_a_local_path(browser, make_user):
    make_user("Analyst", "ana@example.com")
    answer = sign_in(browser, "https://evil.example/steal")
    assert answer.status_code == 302 and answer.headers["location"] == "/"


@pytest.mark.parametrize(("candidate", "kept"), [
    ("/alerts", "/alerts"), ("/a/b?c=d#e", "/a/b?c=d#e"), (None, "/"), ("", "/"), ("alerts", "/"),
    ("//evil.example/x", "/"), ("/\\evil.example", "/"), ("https://evil.example/", "/"), ("/a\nb", "/"),
])
def test_local_path(candidate, kept):
    assert local_path(candidate) == kept


def test_without_an_oidc_section_the_routes_answer_404(app, admin):
    with TestClient(app, follow_redirects=False) as client:
        no_server = client.get(f"{API}/auth/oidc/login")
        app.state.server = SimpleNamespace(config=SimpleNamespace(oidc=None))
        login = client.get(f"{API}/auth/oidc/login")
        callback = client.get(f"{API}/auth/oidc/callback?code=x&state=y")
    for answer in (no_server, login, callback):
        assert answer.status_code == 404 and "single sign-on is not configured" in message(answer)


def test_an_unreachable_provider_answers_502(app, admin):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    app.state.server = SimpleNamespace(config=SimpleNamespace(oidc=OidcConfig(
        issuer=f"http://127.0.0.1:{port}", client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
        redirect_url=CALLBACK)))
    with TestClient(app, follow_redirects=False) as client:
        answer = client.get(f"{API}/auth/oidc/login")
    assert answer.status_code == 502 and "cannot be reached" in message(answer)


def test_the_oidc_config_section():
    config = parse_config({"oidc": {"issuer": "https://login.example.com", "clientId": "onca",
                                    "clientSecret": "${OIDC_SECRET}",
                                    "redirectUrl": "https://onca.example.com/api/v1/auth/oidc/callback"}},
                          env={"OIDC_SECRET": "from-the-environment"}).oidc
    assert config is not None and config.client_secret == "from-the-environment"
    assert config.scopes == ["openid", "email", "profile"]
    assert config.default_role == "AnalystReadOnly" and config.email_claim == "email"
    assert parse_config({}).oidc is None
    only_existing = parse_config({"oidc": {"issuer": "https://x", "clientId": "c", "clientSecret": "s",
                                           "redirectUrl": "https://o/cb", "defaultRole": None,
                                           "scopes": ["email"]}}).oidc
    assert only_existing.default_role is None and only_existing.scopes == ["openid", "email"]
    with pytest.raises(ConfigError, match="oidc.issuer"):
        parse_config({"oidc": {"issuer": "login.example.com", "clientId": "c", "clientSecret": "s",
                               "redirectUrl": "https://o/cb"}})
