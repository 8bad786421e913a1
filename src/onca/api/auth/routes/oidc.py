"""/auth/oidc/login and /auth/oidc/callback: signing in through the OpenID Connect provider of the `oidc` section
of the server's configuration, into the same `onca_session` cookie as a password sign-in."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse

from onca.runtime.server_config import OidcConfig

from onca.api.auth.authn import client_ip
from onca.api.auth.oidc import FLOW_COOKIE, FLOW_SECONDS, HTTP_TIMEOUT, OidcError, begin, finish
from onca.api.auth.oidc_users import user_for_claims
from onca.api.auth.routes.common import answering, store_of
from onca.api.auth.routes.session import set_session_cookie
from onca.api.auth.signin import start_session

router = APIRouter(tags=["auth"])


def _config(request: Request) -> OidcConfig:
    server = getattr(request.app.state, "server", None)
    config = getattr(getattr(server, "config", None), "oidc", None)
    if config is None:
        raise HTTPException(404, "single sign-on is not configured: add an oidc section to the server's "
                                 "configuration")
    return config


def _cookie_path(request: Request) -> str:
    # the flow cookie goes only to its sibling route, the callback
    return request.url.path.rsplit("/", 1)[0] or "/"


def _http() -> httpx.Client:
    return httpx.Client(timeout=HTTP_TIMEOUT, follow_redirects=False)


@router.get("/auth/oidc/login", summary="Sign in through the single sign-on provider",
            response_class=RedirectResponse, status_code=302)
def oidc_login(request: Request, next: str | None = None) -> RedirectResponse:  # noqa: A002 - the query's name
    """Redirects to the provider; after signing in there, the browser comes back to /auth/oidc/callback and
    then goes on to `next` (a path on this server; "/" by default)."""
    config = _config(request)
    try:
        with _http() as client:
            url, cookie = begin(config, next, client)
    except OidcError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(FLOW_COOKIE, cookie, max_age=FLOW_SECONDS, path=_cookie_path(request), httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")
    return response


@router.get("/auth/oidc/callback", summary="Where the single sign-on provider sends the browser back",
            response_class=RedirectResponse, status_code=302)
def oidc_callback(request: Request) -> RedirectResponse:
    """Verifies the provider's answer, starts a session (the `onca_session` cookie) and redirects onward."""
    config = _config(request)
    store = store_of(request)
    try:
        with _http() as client:
            done = finish(config, dict(request.query_params), request.cookies.get(FLOW_COOKIE), client)
        user = user_for_claims(store, config, done.claims)
    except OidcError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    with answering():
        session = start_session(store, user, client_ip=client_ip(request),
                                user_agent=request.headers.get("user-agent", ""))
    request.state.principal = session.principal  # the audit log names who signed in
    response = RedirectResponse(done.next_path, status_code=302)
    set_session_cookie(request, response, session.session_id,
                       max_age=max(1, int((session.expires_at - datetime.now(UTC)).total_seconds())))
    response.delete_cookie(FLOW_COOKIE, path=_cookie_path(request), httponly=True, samesite="lax",
                           secure=request.url.scheme == "https")
    return response
