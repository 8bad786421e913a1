"""/auth/login, /auth/logout, /auth/me and /auth/password: browser sign-in with an HTTP-only session cookie."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from onca.api.auth.authn import authenticate, client_ip
from onca.api.auth.credentials import SESSION_COOKIE
from onca.api.auth.deps import signed_in
from onca.api.auth.principal import Principal
from onca.api.auth.routes.common import answering, store_of
from onca.api.auth.schemas import PasswordChange, SignIn
from onca.api.auth.signin import change_password, sign_in, sign_out
from onca.api.auth.throttle import LoginThrottle
from onca.api.auth.views import iso, principal_json, user_json

router = APIRouter(tags=["auth"])
SignedIn = Annotated[Principal, Depends(signed_in)]


def set_session_cookie(request: Request, response: Response, value: str, max_age: int) -> None:
    response.set_cookie(SESSION_COOKIE, value, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")


def _throttle(request: Request) -> LoginThrottle:
    """The app's login throttle, made on first use (each app counts its own failures)."""
    throttle = getattr(request.app.state, "login_throttle", None)
    if throttle is None:
        throttle = request.app.state.login_throttle = LoginThrottle()
    return throttle


@router.post("/auth/login", summary="Sign in with email and password")
def login(body: SignIn, request: Request, response: Response) -> dict[str, Any]:
    """Sets the `onca_session` cookie (HTTP-only, SameSite=Lax) that signs in the following requests."""
    store = store_of(request)
    throttle = _throttle(request)
    address = client_ip(request)
    wait = throttle.retry_after(body.email, address)
    if wait:
        raise HTTPException(429, f"too many failed sign-ins for {body.email.strip()} from this address; try again "
                                 f"in {wait} seconds", headers={"Retry-After": str(wait)})
    try:
        with answering():
            done = sign_in(store, body.email, body.password, client_ip=address,
                           user_agent=request.headers.get("user-agent", ""))
    except HTTPException as exc:
        if exc.status_code == 401:
            throttle.failed(body.email, address)
        raise
    throttle.succeeded(body.email, address)
    request.state.principal = done.principal  # the audit log names who signed in
    set_session_cookie(request, response, done.session_id,
                       max_age=max(1, int((done.expires_at - datetime.now(UTC)).total_seconds())))
    return {**principal_json(done.principal), "user": user_json(done.user, store.roles.get(done.user.role_id)),
            "expiresAt": iso(done.expires_at)}


@router.post("/auth/logout", status_code=204, summary="Sign out: end the session of the cookie")
def logout(request: Request) -> Response:
    principal = authenticate(request)
    if principal is not None:
        request.state.principal = principal
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        sign_out(store_of(request), session_id)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=request.url.scheme == "https")
    return response


@router.get("/auth/me", summary="Who this request is signed in as")
def me(request: Request, principal: SignedIn) -> dict[str, Any]:
    document = principal_json(principal)
    if principal.kind == "user":
        store = store_of(request)
        user = store.users.get(principal.id)
        if user is not None:
            document["user"] = user_json(user, store.roles.get(user.role_id))
    return document


@router.post("/auth/password", status_code=204, summary="Change your own password")
def password(body: PasswordChange, request: Request, principal: SignedIn) -> Response:
    """Your other sessions end; this one stays signed in."""
    with answering():
        change_password(store_of(request), principal, body.current_password, body.new_password,
                        keep_session=request.cookies.get(SESSION_COOKIE))
    return Response(status_code=204)
