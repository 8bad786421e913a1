"""Signing in with email and password (or starting the session of a single sign-on), and out again; changing
one's own password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from onca.store import Store, UserRecord

from onca.api.auth.authn import user_principal
from onca.api.auth.credentials import new_session_id, secret_hash
from onca.api.auth.errors import Forbidden, Invalid, SignInFailed
from onca.api.auth.passwords import PasswordRejected, check_password, hash_password, verify_password
from onca.api.auth.principal import Principal

SESSION_TTL = timedelta(hours=12)
_WRONG = "the email or password is wrong"


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: UserRecord
    principal: Principal
    session_id: str  # the cookie value: kept by the browser, only its hash by the store
    expires_at: datetime


def _check(store: Store, email: str, password: str) -> UserRecord:
    user = store.users.get_by_email(email) if email else None
    stored = store.users.password_hash(user.id) if user is not None else None
    verified = verify_password(stored, password)  # runs the hash even for unknown emails: same timing
    if user is None or not verified.ok:
        raise SignInFailed(_WRONG)
    if verified.new_hash is not None and stored is not None:
        store.users.rehash_password(user.id, stored, verified.new_hash)
    return user


def sign_in(store: Store, email: str, password: str, *, client_ip: str = "", user_agent: str = "",
            ttl: timedelta = SESSION_TTL, now: datetime | None = None) -> SignedIn:
    user = _check(store, email.strip(), password)
    return start_session(store, user, client_ip=client_ip, user_agent=user_agent, ttl=ttl, now=now)


def start_session(store: Store, user: UserRecord, *, client_ip: str = "", user_agent: str = "",
                  ttl: timedelta = SESSION_TTL, now: datetime | None = None) -> SignedIn:
    """A session for a user whose identity is already proven (by password or by single sign-on)."""
    now = now or datetime.now(UTC)
    principal = user_principal(store, user)
    if principal is None:
        raise Forbidden(f"the user {user.email} is deactivated")
    session_id = new_session_id()
    expires_at = now + ttl
    store.sessions.create(secret_hash(session_id), user_id=user.id, expires_at=expires_at, client_ip=client_ip,
                          user_agent=user_agent, at=now)
    store.users.record_login(user.id, at=now)
    store.sessions.purge_expired(now=now)  # sign-ins are rare enough to do the sweeping
    return SignedIn(store.users.get(user.id) or user, principal, session_id, expires_at)


def sign_out(store: Store, session_id: str) -> bool:
    return store.sessions.delete(secret_hash(session_id))


def change_password(store: Store, principal: Principal, current: str, new: str, *,
                    keep_session: str | None = None) -> None:
    """A signed-in user replaces their own password; their other sessions end."""
    if principal.kind != "user" or principal.email is None:
        raise Forbidden("only a signed-in user has a password to change")
    try:
        _check(store, principal.email, current)
    except SignInFailed:
        raise Invalid("currentPassword", "this is not your current password") from None
    try:
        check_password(new, email=principal.email)
    except PasswordRejected as exc:
        raise Invalid("newPassword", str(exc)) from None
    store.users.set_password(principal.id, hash_password(new))
    kept = secret_hash(keep_session) if keep_session else None
    for session in store.sessions.for_user(principal.id):
        if session.id_hash != kept:
            store.sessions.delete(session.id_hash)
