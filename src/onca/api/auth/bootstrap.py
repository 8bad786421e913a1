"""The first start: built-in roles always, and an Admin user with a one-time password and an API token when the
store has no user yet."""

from __future__ import annotations

from dataclasses import dataclass

from onca.store import Conflict, Store

from onca.api.auth.authn import user_principal
from onca.api.auth.permissions import ADMIN, PERMISSIONS
from onca.api.auth.roles import ensure_builtin_roles
from onca.api.auth.tokens import issue_token
from onca.api.auth.users import create_user

DEFAULT_ADMIN_EMAIL = "admin@localhost"


@dataclass(frozen=True, slots=True)
class BootstrapResult:
    """Shown once by the server and never again: only hashes of the password and token are kept."""

    email: str
    password: str
    token: str
    user_id: str
    token_id: str


def bootstrap_admin(store: Store, email: str | None = None) -> BootstrapResult | None:
    """Make sure the built-in roles exist; when no user exists yet, create an Admin (`email`, default
    admin@localhost) with a generated password and an API token holding every permission. None on later
    starts."""
    roles = ensure_builtin_roles(store)
    if store.users.count() > 0:
        return None
    try:
        with store.transaction():
            if store.users.count() > 0:  # another process got here first
                return None
            created = create_user(store, email=email or DEFAULT_ADMIN_EMAIL, role=roles[ADMIN],
                                  given_name="Onca", family_name="Admin")
            # the token is the admin's: changes made with it are attributed to them
            issued = issue_token(store, name="bootstrap admin token", permissions=PERMISSIONS,
                                 by=user_principal(store, created.user))
    except Conflict:
        return None
    assert created.password is not None
    return BootstrapResult(email=created.user.email, password=created.password, token=issued.value,
                           user_id=created.user.id, token_id=issued.token.id)
