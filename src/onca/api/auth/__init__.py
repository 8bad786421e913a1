"""Authentication and authorization: users with roles and passwords, API tokens, sign-in sessions, and the
FastAPI pieces that check them.

- `authenticate(request)` finds the `Principal` behind a request (API token in `X-API-Key` or
  `Authorization: Bearer`, or the `onca_session` cookie); `requires(*permissions)` is the dependency routes use.
- `auth_router` serves /auth/login|logout|me|password, /users, /roles and /api-tokens (mounted under /api/v1).
- `bootstrap_admin(store)` creates the first Admin user and token on a new store.
- `ip_allowed(client_ip, cidrs)` checks an address against an allowlist.

The app keeps the open `onca.store.Store` at `request.app.state.store`.
"""

from onca.api.auth.authn import authenticate
from onca.api.auth.bootstrap import DEFAULT_ADMIN_EMAIL, BootstrapResult, bootstrap_admin
from onca.api.auth.credentials import SESSION_COOKIE
from onca.api.auth.deps import demand, requires, signed_in
from onca.api.auth.ipallow import ip_allowed, normalize_cidrs
from onca.api.auth.permissions import (
    ADMIN,
    ALL_PERMISSIONS,
    ANALYST,
    ANALYST_READ_ONLY,
    BUILTIN_ROLES,
    PERMISSIONS,
)
from onca.api.auth.principal import Principal
from onca.api.auth.roles import ensure_builtin_roles
from onca.api.auth.router import auth_router

__all__ = [
    "ADMIN",
    "ALL_PERMISSIONS",
    "ANALYST",
    "ANALYST_READ_ONLY",
    "BUILTIN_ROLES",
    "DEFAULT_ADMIN_EMAIL",
    "PERMISSIONS",
    "SESSION_COOKIE",
    "BootstrapResult",
    "Principal",
    "auth_router",
    "authenticate",
    "bootstrap_admin",
    "demand",
    "ensure_builtin_roles",
    "ip_allowed",
    "normalize_cidrs",
    "requires",
    "signed_in",
]
