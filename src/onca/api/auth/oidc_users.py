"""Which Onca user a verified ID token signs in: the one with its email (in any case), or a new user with the
configured default role on their first sign-in."""

from __future__ import annotations

from typing import Any

from onca.runtime.server_config import OidcConfig
from onca.store import Conflict, Store, UserRecord

from onca.api.auth.errors import Invalid
from onca.api.auth.oidc import Denied, Refused
from onca.api.auth.users import create_user


def _claim_text(claims: dict[str, Any], name: str) -> str:
    value = claims.get(name)
    return value.strip() if isinstance(value, str) else ""


def user_for_claims(store: Store, config: OidcConfig, claims: dict[str, Any]) -> UserRecord:
    email = _claim_text(claims, config.email_claim)
    if not email:
        raise Refused(f"the ID token has no {config.email_claim!r} claim to find the user by, nor has the "
                      f"provider's userinfo answer (is the email scope granted, or should emailClaim name another "
                      f"claim?)")
    # a provider that lets people type any address must not let them take over the account that owns it
    if claims.get("email_verified") is False and config.email_claim == "email":
        raise Denied(f"the identity provider has not verified the email {email}")
    user = store.users.get_by_email(email)
    if user is None:
        user = _first_sign_in(store, config, email, claims)
    if not user.enabled:
        raise Denied(f"the user {user.email} is deactivated")
    return user


def _first_sign_in(store: Store, config: OidcConfig, email: str, claims: dict[str, Any]) -> UserRecord:
    if config.default_role is None:
        raise Denied(f"no Onca user has the email {email}, and single sign-on admits only existing users: "
                     f"ask an Admin to create one")
    role = store.roles.get_by_name(config.default_role)
    if role is None:
        raise Denied(f"the oidc defaultRole {config.default_role!r} is not a role of this server: ask an Admin "
                     f"to fix the configuration")
    try:
        return create_user(store, email=email, role=role, given_name=_claim_text(claims, "given_name")[:255],
                           family_name=_claim_text(claims, "family_name")[:255],
                           generate_password_if_missing=False).user  # signs in through the provider only
    except Invalid as exc:
        raise Refused(f"the ID token's {config.email_claim!r} claim is unusable: {exc.message}") from None
    except Conflict:  # the same person's other sign-in created the user a moment ago
        existing = store.users.get_by_email(email)
        if existing is None:
            raise
        return existing
