"""Single sign-on through an OpenID Connect provider: the authorization code flow with PKCE.

`begin` builds the provider's authorization URL and the flow cookie that remembers state, nonce and PKCE
verifier for the browser's round trip; `finish` checks the callback against that cookie, exchanges the code at
the token endpoint and returns the claims of the verified ID token. When the ID token lacks the email claim (some
providers put the email only in the userinfo answer), the provider's userinfo endpoint supplies it. The provider's
metadata and keys come from its discovery document and are cached for an hour (the keys are fetched again when a
token names one not seen yet: providers rotate them).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import BadSignatureError, ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet, OctKey
from joserfc.jwt import JWTClaimsRegistry

from onca.runtime.server_config import OidcConfig

FLOW_COOKIE = "onca_oidc"
FLOW_SECONDS = 600  # time a person has at the provider's sign-in page
METADATA_SECONDS = 3600
CLOCK_LEEWAY = 60  # seconds of clock difference tolerated between the provider and this server
HTTP_TIMEOUT = 10.0
# Asymmetric only: an HMAC-signed ID token would be checked with the client secret, which this client never uses
ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]


class OidcError(Exception):
    """A sign-in that cannot go on; `status` is the HTTP answer, the message names the problem."""

    status = 401


class Refused(OidcError):
    status = 401


class Denied(OidcError):
    status = 403


class ProviderUnavailable(OidcError):
    status = 502


@dataclass(frozen=True, slots=True)
class Flow:
    """What the callback must match, kept in the browser in a signed cookie between login and callback."""

    state: str
    nonce: str
    verifier: str
    next_path: str


# ---- the provider: discovery and keys ----

@dataclass(slots=True)
class _Provider:
    metadata: dict[str, Any]
    keys: KeySet
    fetched_at: float


_providers: dict[str, _Provider] = {}
_providers_lock = threading.Lock()


def _get_json(client: httpx.Client, url: str, what: str) -> dict[str, Any]:
    try:
        answer = client.get(url)
    except httpx.HTTPError as exc:
        raise ProviderUnavailable(f"the identity provider's {what} at {url} cannot be reached: {exc}") from None
    if answer.status_code != 200:
        raise ProviderUnavailable(f"the identity provider's {what} at {url} answered HTTP {answer.status_code}")
    try:
        document = answer.json()
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"the identity provider's {what} at {url} is not a JSON object")
    return document


def _discover(config: OidcConfig, client: httpx.Client) -> dict[str, Any]:
    url = config.issuer.rstrip("/") + "/.well-known/openid-configuration"
    metadata = _get_json(client, url, "discovery document")
    # OpenID Connect Discovery: the document must name the very issuer it was fetched for
    if metadata.get("issuer") != config.issuer:
        raise ProviderUnavailable(f"the discovery document at {url} names the issuer {metadata.get('issuer')!r}, "
                                  f"not the configured {config.issuer!r}")
    missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not metadata.get(k)]
    if missing:
        raise ProviderUnavailable(f"the discovery document at {url} lacks {', '.join(missing)}")
    return metadata


def _key_set(metadata: dict[str, Any], client: httpx.Client) -> KeySet:
    document = _get_json(client, metadata["jwks_uri"], "key set")
    try:
        return KeySet.import_key_set(document)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ProviderUnavailable(f"the identity provider's key set at {metadata['jwks_uri']} is invalid: "
                                  f"{exc}") from None


def _provider(config: OidcConfig, client: httpx.Client, *, refresh_keys: bool = False) -> _Provider:
    with _providers_lock:
        known = _providers.get(config.issuer)
    if known is not None and time.monotonic() - known.fetched_at < METADATA_SECONDS:
        if refresh_keys:
            known.keys = _key_set(known.metadata, client)
        return known
    metadata = _discover(config, client)
    fresh = _Provider(metadata, _key_set(metadata, client), time.monotonic())
    with _providers_lock:
        _providers[config.issuer] = fresh
    return fresh


def forget_providers() -> None:
    """Drop cached discovery documents and keys (a provider reconfigured at the same issuer)."""
    with _providers_lock:
        _providers.clear()


# ---- the flow cookie ----

def _flow_key(config: OidcConfig) -> OctKey:
    # Derived from the client secret, which only this server and the provider know, so every server process
    # signs alike without a secret of its own; issuer and client id bind the cookie to this configuration.
    material = f"onca oidc flow cookie\n{config.issuer}\n{config.client_id}".encode()
    return OctKey.import_key(hmac.new(config.client_secret.encode(), material, hashlib.sha256).digest())


def _seal(config: OidcConfig, flow: Flow) -> str:
    claims = {"state": flow.state, "nonce": flow.nonce, "cv": flow.verifier, "next": flow.next_path,
              "exp": int(time.time()) + FLOW_SECONDS}
    return jwt.encode({"alg": "HS256"}, claims, _flow_key(config))


def _unseal(config: OidcConfig, cookie: str | None) -> Flow:
    if not cookie:
        raise Refused("no sign-in is under way in this browser (the flow cookie is missing): start again at "
                      "/api/v1/auth/oidc/login")
    try:
        token = jwt.decode(cookie, _flow_key(config), algorithms=["HS256"])
        JWTClaimsRegistry(exp={"essential": True}).validate(token.claims)
        claims = token.claims
        return Flow(str(claims["state"]), str(claims["nonce"]), str(claims["cv"]), str(claims["next"]))
    except ExpiredTokenError:
        raise Refused("the sign-in took too long (the flow cookie expired): start again") from None
    except (JoseError, ValueError, KeyError):
        raise Refused("the flow cookie is invalid (tampered with, or from another configuration): "
                      "start again") from None


def local_path(candidate: str | None) -> str:
    """`candidate` when it is a path on this server, else "/": a `next` elsewhere would make the sign-in an
    open redirect."""
    if not candidate or not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc or any(ord(c) < 0x20 or c == "\\" for c in candidate):
        return "/"
    return candidate


# ---- the two halves of the flow ----

def begin(config: OidcConfig, next_path: str | None, client: httpx.Client) -> tuple[str, str]:
    """(the provider's authorization URL, the flow cookie value)."""
    provider = _provider(config, client)
    flow = Flow(state=generate_token(32), nonce=generate_token(32), verifier=generate_token(64),
                next_path=local_path(next_path))
    url = prepare_grant_uri(provider.metadata["authorization_endpoint"], config.client_id, "code",
                            redirect_uri=config.redirect_url, scope=config.scopes, state=flow.state,
                            nonce=flow.nonce, code_challenge=create_s256_code_challenge(flow.verifier),
                            code_challenge_method="S256")
    return url, _seal(config, flow)


@dataclass(frozen=True, slots=True)
class Finished:
    claims: dict[str, Any]
    next_path: str


def finish(config: OidcConfig, params: dict[str, str], cookie: str | None, client: httpx.Client) -> Finished:
    """Check the callback's parameters against the flow cookie; the verified ID token's claims."""
    if params.get("error"):
        described = f": {params['error_description']}" if params.get("error_description") else ""
        raise Refused(f"the identity provider refused the sign-in: {params['error']}{described}")
    flow = _unseal(config, cookie)
    if not hmac.compare_digest(params.get("state", "").encode(), flow.state.encode()):
        raise Refused("the state parameter does not match this browser's sign-in (a forged or replayed "
                      "callback): start again")
    code = params.get("code")
    if not code:
        raise Refused("the callback carries no authorization code")
    provider = _provider(config, client)
    tokens = _exchange(config, provider.metadata, code, flow.verifier, client)
    claims = _verify(config, provider, tokens, flow.nonce, client)
    return Finished(_with_userinfo(config, provider, tokens, claims, client), flow.next_path)


def _exchange(config: OidcConfig, metadata: dict[str, Any], code: str, verifier: str,
              client: httpx.Client) -> dict[str, Any]:
    endpoint = metadata["token_endpoint"]
    methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    method = "client_secret_post" if "client_secret_basic" not in methods and "client_secret_post" in methods \
        else "client_secret_basic"
    body = prepare_token_request("authorization_code", code=code, redirect_uri=config.redirect_url,
                                 code_verifier=verifier)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    endpoint, headers, body = ClientAuth(config.client_id, config.client_secret, method).prepare(
        "POST", endpoint, headers, body)
    try:
        answer = client.post(endpoint, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise ProviderUnavailable(f"the identity provider's token endpoint cannot be reached: {exc}") from None
    try:
        document = answer.json()
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    if answer.status_code != 200 or "error" in document:
        error = document.get("error") or f"HTTP {answer.status_code}"
        described = f": {document['error_description']}" if document.get("error_description") else ""
        raise Refused(f"the identity provider refused the authorization code: {error}{described}")
    if not isinstance(document.get("id_token"), str):
        raise Refused("the identity provider's token answer has no ID token (is the openid scope allowed?)")
    return document


def _verify(config: OidcConfig, provider: _Provider, tokens: dict[str, Any], nonce: str,
            client: httpx.Client) -> dict[str, Any]:
    id_token = tokens["id_token"]
    try:
        try:
            token = jwt.decode(id_token, provider.keys, algorithms=ID_TOKEN_ALGORITHMS)
        except InvalidKeyIdError:  # signed with a key published since the keys were cached
            provider = _provider(config, client, refresh_keys=True)
            token = jwt.decode(id_token, provider.keys, algorithms=ID_TOKEN_ALGORITHMS)
        claims = CodeIDToken(token.claims, token.header,
                             options={"iss": {"essential": True, "value": provider.metadata["issuer"]},
                                      "aud": {"essential": True, "value": config.client_id}},
                             params={"nonce": nonce, "client_id": config.client_id,
                                     "access_token": tokens.get("access_token")})
        claims.validate(leeway=CLOCK_LEEWAY)
    except BadSignatureError:
        raise Refused("the ID token is invalid: its signature does not match the identity provider's "
                      "keys") from None
    except JoseError as exc:
        raise Refused(f"the ID token is invalid: {exc.description or exc.error}") from None
    except (ValueError, TypeError) as exc:
        raise Refused(f"the ID token is invalid: {exc}") from None
    return dict(claims)


# ---- userinfo: where some providers put the email ----

# Claims taken from the userinfo answer when the ID token has no email; the ID token's other claims stay as issued
PROFILE_CLAIMS = ("given_name", "family_name")


def _with_userinfo(config: OidcConfig, provider: _Provider, tokens: dict[str, Any], claims: dict[str, Any],
                   client: httpx.Client) -> dict[str, Any]:
    """The ID token's claims, with the email (and whether it is verified) read from the userinfo endpoint when
    the ID token lacks it. Without an endpoint or access token the claims stay as they are, and the missing
    email is reported when the user is looked up."""
    email = claims.get(config.email_claim)
    if isinstance(email, str) and email.strip():
        return claims
    endpoint = provider.metadata.get("userinfo_endpoint")
    access_token = tokens.get("access_token")
    if not isinstance(endpoint, str) or not endpoint or not isinstance(access_token, str) or not access_token:
        return claims
    info = _userinfo(endpoint, access_token, provider, client)
    # OpenID Connect Core 5.3.2: an answer about another subject must not be used (a substituted token)
    if info.get("sub") != claims.get("sub"):
        raise Refused(f"the userinfo answer at {endpoint} is about subject {info.get('sub')!r}, not the ID "
                      f"token's {claims.get('sub')!r}")
    merged = dict(claims)
    for name in (config.email_claim, "email_verified"):
        if name in info:
            merged[name] = info[name]
    for name in PROFILE_CLAIMS:
        if name not in merged and name in info:
            merged[name] = info[name]
    return merged


def _userinfo(endpoint: str, access_token: str, provider: _Provider, client: httpx.Client) -> dict[str, Any]:
    """The userinfo answer: a JSON object, or a JWT signed with the provider's keys."""
    try:
        answer = client.get(endpoint, headers={"Authorization": f"Bearer {access_token}",
                                               "Accept": "application/json, application/jwt"})
    except httpx.HTTPError as exc:
        raise ProviderUnavailable(f"the identity provider's userinfo endpoint at {endpoint} cannot be reached: "
                                  f"{exc}") from None
    if answer.status_code in (401, 403):
        raise Refused(f"the identity provider's userinfo endpoint at {endpoint} refused the access token "
                      f"(HTTP {answer.status_code})")
    if answer.status_code != 200:
        raise ProviderUnavailable(f"the identity provider's userinfo endpoint at {endpoint} answered HTTP "
                                  f"{answer.status_code}")
    if answer.headers.get("content-type", "").split(";")[0].strip().lower() == "application/jwt":
        try:
            document: Any = jwt.decode(answer.text.strip(), provider.keys, algorithms=ID_TOKEN_ALGORITHMS).claims
        except JoseError as exc:
            raise Refused(f"the signed userinfo answer at {endpoint} is invalid: "
                          f"{exc.description or exc.error}") from None
        except ValueError as exc:
            raise Refused(f"the signed userinfo answer at {endpoint} is invalid: {exc}") from None
    else:
        try:
            document = answer.json()
        except ValueError:
            document = None
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"the identity provider's userinfo answer at {endpoint} is not a JSON object")
    return document
