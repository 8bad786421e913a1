"""API token operations: issue, update, rotate, revoke.

A token holds at most the permissions of whoever issues it, and inherits their access to log types, so a token
never reaches further than its creator could. Updating or rotating a token (rotation hands out its secret)
likewise needs every permission the token holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from onca.store import SYSTEM, ApiTokenRecord, NotFound, Store

from onca.api.auth.credentials import new_token_value, secret_hash
from onca.api.auth.errors import Invalid
from onca.api.auth.ipallow import normalize_cidrs
from onca.api.auth.principal import Principal
from onca.api.auth.roles import check_permissions, may_grant


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: ApiTokenRecord
    value: str  # the secret: shown once, kept only as a hash


def _cidrs(cidrs: Iterable[str]) -> list[str]:
    try:
        return normalize_cidrs(cidrs)
    except ValueError as exc:
        raise Invalid("allowedCIDRBlocks", str(exc)) from None


def _permissions(permissions: Iterable[str]) -> list[str]:
    listed = check_permissions(permissions)
    if not listed:
        raise Invalid("permissions", "a token needs at least one permission")
    return listed


def issue_token(store: Store, *, name: str, permissions: Iterable[str], by: Principal | None = None,
                allowed_cidrs: Iterable[str] = (), expires_at: datetime | None = None,
                now: datetime | None = None) -> IssuedToken:
    now = now or datetime.now(UTC)
    if not name or not name.strip():
        raise Invalid("name", "a token needs a name")
    listed = _permissions(permissions)
    may_grant(by, listed, f"token {name.strip()!r}")
    if expires_at is not None:
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        if expires_at <= now:
            raise Invalid("expiresAt", f"{expires_at.isoformat()} is not in the future")
    value = new_token_value()
    token = store.tokens.create(
        name=name.strip(), secret_hash=secret_hash(value), permissions=listed, allowed_cidrs=_cidrs(allowed_cidrs),
        log_type_access_kind=by.log_type_access_kind if by else "ALLOW_ALL",
        log_type_access=sorted(by.log_type_access) if by else (), expires_at=expires_at,
        created_by=by.actor if by else SYSTEM, at=now)
    return IssuedToken(token, value)


def _active(store: Store, token_id: str) -> ApiTokenRecord:
    token = store.tokens.get(token_id)
    if token is None or token.revoked_at is not None:
        raise NotFound(f"no API token with id {token_id!r}")
    return token


def update_token(store: Store, token_id: str, *, by: Principal | None = None, name: str | None = None,
                 permissions: Iterable[str] | None = None,
                 allowed_cidrs: Iterable[str] | None = None) -> ApiTokenRecord:
    with store.transaction():
        token = _active(store, token_id)
        may_grant(by, token.permissions, f"changing token {token.name!r}")
        listed = _permissions(permissions) if permissions is not None else None
        if listed is not None:
            may_grant(by, listed, f"token {token.name!r}")
        if name is not None and not name.strip():
            raise Invalid("name", "a token needs a name")
        return store.tokens.update(token_id, by=by.actor if by else SYSTEM,
                                   name=name.strip() if name is not None else None, permissions=listed,
                                   allowed_cidrs=_cidrs(allowed_cidrs) if allowed_cidrs is not None else None)


def rotate_token(store: Store, token_id: str, *, by: Principal | None = None) -> IssuedToken:
    """A new secret for the token; the old one stops working at once."""
    with store.transaction():
        token = _active(store, token_id)
        may_grant(by, token.permissions, f"rotating token {token.name!r}")
        value = new_token_value()
        return IssuedToken(store.tokens.rotate(token_id, secret_hash(value), by=by.actor if by else SYSTEM), value)


def revoke_token(store: Store, token_id: str, *, by: Principal | None = None) -> ApiTokenRecord:
    return store.tokens.revoke(token_id, by=by.actor if by else SYSTEM)
