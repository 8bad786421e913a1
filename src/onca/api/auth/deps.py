"""FastAPI dependencies: `requires(...)` for routes that need permissions, `signed_in` for routes any
principal may call. Both leave the principal at `request.state.principal` for the audit log."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import HTTPException, Request

from onca.api.auth.authn import authenticate, presented
from onca.api.auth.permissions import ALL_PERMISSIONS, describe_unknown
from onca.api.auth.principal import Principal

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="onca"'}


def _principal(request: Request) -> Principal:
    principal = authenticate(request)
    if principal is None:
        if presented(request) is None:
            raise HTTPException(401, "authentication required: send an API token in the X-API-Key header "
                                     "(or Authorization: Bearer), or sign in at /api/v1/auth/login",
                                headers=_CHALLENGE)
        raise HTTPException(401, "the API token or session is not valid: it is unknown, expired or revoked, "
                                 "its user is deactivated, or the token may not be used from this address",
                            headers=_CHALLENGE)
    request.state.principal = principal
    return principal


def signed_in(request: Request) -> Principal:
    """Any authenticated principal (401 otherwise)."""
    return _principal(request)


def demand(principal: Principal, *permissions: str) -> None:
    """403 naming the permissions the principal lacks."""
    missing = principal.missing(permissions)
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise HTTPException(403, f"permission{plural} {', '.join(missing)} required: "
                                 f"{principal.kind} {principal.label!r} does not have {'them' if plural else 'it'}")


def requires(*permissions: str) -> Callable[[Request], Principal]:
    """A dependency returning the principal if it holds every one of `permissions`: 401 without valid
    credentials, 403 naming the missing permission otherwise."""
    unknown = [p for p in permissions if p not in ALL_PERMISSIONS]
    if unknown:
        raise ValueError(describe_unknown(unknown))

    def dependency(request: Request) -> Principal:
        principal = _principal(request)
        demand(principal, *permissions)
        return principal

    dependency.__name__ = "requires_" + "_".join(permissions)
    dependency.permissions = frozenset(permissions)  # type: ignore[attr-defined] - what a route needs, for audits
    return dependency
