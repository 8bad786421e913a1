"""Finding the principal behind a request: an API token in `X-API-Key` or `Authorization: Bearer`, or the
session cookie of a signed-in user. Expired, revoked or unknown credentials, tokens used from outside their
allowed networks, and deactivated users all come out as None."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request

from onca.api.auth.credentials import SESSION_COOKIE, secret_hash
from onca.api.auth.ipallow import ip_allowed
from onca.api.auth.principal import Principal, role_permissions
from onca.store import Store, UserRecord

API_KEY_HEADER = "x-api-key"
LAST_USED_GRANULARITY = timedelta(minutes=1)  # a busy token writes its last-used time at most once a minute
_UNSET = object()


def presented(request: Request) -> tuple[str, str] | None:
    """("token", value) or ("session", value) as the request carries it; a header wins over the cookie."""
    value = request.headers.get(API_KEY_HEADER, "").strip()
    if value:
        return "token", value
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return "token", value.strip()
    value = request.cookies.get(SESSION_COOKIE, "").strip()
    if value:
        return "session", value
    return None


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def authenticate(request: Request) -> Principal | None:
    """The request's principal, or None. Reads the store at `request.app.state.store`; the answer is kept on
    the request, so asking twice costs nothing."""
    known = getattr(request.state, "onca_authenticated", _UNSET)
    if known is not _UNSET:
        return known  # type: ignore[return-value]
    credentials = presented(request)
    principal = None
    if credentials is not None:
        store = request.app.state.store
        kind, value = credentials
        if kind == "token":
            principal = token_principal(store, value, client_ip=client_ip(request))
        else:
            principal = session_principal(store, value)
    request.state.onca_authenticated = principal
    return principal


def token_principal(store: Store, value: str, *, client_ip: str, now: datetime | None = None) -> Principal | None:
    now = now or datetime.now(UTC)
    token = store.tokens.get_by_hash(secret_hash(value))
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if not ip_allowed(client_ip, token.allowed_cidrs):
        return None
    if token.last_used_at is None or token.last_used_at <= now - LAST_USED_GRANULARITY:
        store.tokens.mark_used(token.id, at=now, coarser_than=LAST_USED_GRANULARITY)
    creator = store.users.get(token.created_by.id) if token.created_by.type == "user" else None
    return Principal(kind="token", id=token.id, name=token.name, email=creator.email if creator else None,
                     permissions=role_permissions("", token.permissions, builtin=False),
                     log_type_access_kind=token.log_type_access_kind,
                     log_type_access=frozenset(token.log_type_access))


def session_principal(store: Store, session_id: str, *, now: datetime | None = None) -> Principal | None:
    now = now or datetime.now(UTC)
    session = store.sessions.get(secret_hash(session_id))
    if session is None or session.expires_at <= now:
        return None
    user = store.users.get(session.user_id)
    return user_principal(store, user) if user is not None else None


def user_principal(store: Store, user: UserRecord) -> Principal | None:
    """The principal of an enabled user, with what their role grants now (a role changed since sign-in counts
    from the next request on)."""
    if not user.enabled:
        return None
    role = store.roles.get(user.role_id)
    permissions: Any = role_permissions(role.name, role.permissions, builtin=role.builtin) if role else frozenset()
    full_name = " ".join(part for part in (user.given_name, user.family_name) if part)
    return Principal(kind="user", id=user.id, name=full_name or user.email, email=user.email,
                     permissions=permissions, role=role.name if role else None, role_id=user.role_id,
                     log_type_access_kind=role.log_type_access_kind if role else "DENY_ALL",
                     log_type_access=frozenset(role.log_type_access) if role else frozenset())
