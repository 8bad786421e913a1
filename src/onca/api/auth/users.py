"""User operations with their rules, for the API and the CLI alike:

- nobody gives a user a role, or manages a user whose role, holds permissions they lack themselves;
- an Admin cannot take the Admin role from themselves, deactivate or delete themselves;
- at least one enabled Admin user always remains;
- a reset password or a deactivation ends the user's sessions.
"""

from __future__ import annotations

from dataclasses import dataclass

from onca.store import Conflict, InvalidValue, NotFound, RoleRecord, Store, UserRecord, check_email

from onca.api.auth.errors import Invalid
from onca.api.auth.passwords import PasswordRejected, check_password, generate_password, hash_password
from onca.api.auth.permissions import ADMIN
from onca.api.auth.principal import Principal
from onca.api.auth.roles import grants, may_grant


@dataclass(frozen=True, slots=True)
class UserWithPassword:
    user: UserRecord
    password: str | None  # set when Onca generated it: shown once, never stored


def _is_admin_role(role: RoleRecord | None) -> bool:
    return role is not None and role.builtin and role.name == ADMIN


def _email(email: str) -> str:
    try:
        return check_email(email)
    except InvalidValue as exc:
        raise Invalid("email", str(exc)) from None


def _password(password: str, email: str, field: str = "password") -> str:
    try:
        check_password(password, email=email)
    except PasswordRejected as exc:
        raise Invalid(field, str(exc)) from None
    return hash_password(password)


def _load(store: Store, user_id: str) -> tuple[UserRecord, RoleRecord | None]:
    user = store.users.get(user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id!r}")
    return user, store.roles.get(user.role_id)


def _keeps_an_admin(store: Store, user: UserRecord, role: RoleRecord | None) -> None:
    """Refuse a change that takes the last enabled Admin away."""
    if _is_admin_role(role) and user.enabled and store.users.count(role_id=user.role_id, enabled=True) <= 1:
        raise Conflict(f"{user.email} is the last enabled Admin: make another user an Admin first")


def create_user(store: Store, *, email: str, role: RoleRecord, given_name: str = "", family_name: str = "",
                password: str | None = None, generate_password_if_missing: bool = True,
                by: Principal | None = None) -> UserWithPassword:
    """Create a user. Without a password one is generated (and returned once), unless
    `generate_password_if_missing` is False: then the user can only sign in through single sign-on."""
    email = _email(email)
    may_grant(by, grants(role), f"giving the role {role.name!r}")
    generated = None
    if password is None and generate_password_if_missing:
        password = generated = generate_password(email=email)
    password_hash = _password(password, email) if password is not None else None
    user = store.users.create(email, role_id=role.id, password_hash=password_hash, given_name=given_name,
                              family_name=family_name)
    return UserWithPassword(user, generated)


def update_user(store: Store, user_id: str, *, by: Principal | None = None, email: str | None = None,
                given_name: str | None = None, family_name: str | None = None, role: RoleRecord | None = None,
                enabled: bool | None = None) -> UserRecord:
    with store.transaction():
        user, current = _load(store, user_id)
        may_grant(by, grants(current) if current else (), f"changing the user {user.email}")
        myself = by is not None and by.kind == "user" and by.id == user_id
        role_changes = role is not None and role.id != user.role_id
        if role_changes:
            may_grant(by, grants(role), f"giving the role {role.name!r}")
            if myself and _is_admin_role(current):
                raise Conflict("you cannot take the Admin role from yourself: another Admin must do it")
        if enabled is False and user.enabled and myself:
            raise Conflict("you cannot deactivate yourself")
        if role_changes or (enabled is False and user.enabled):
            _keeps_an_admin(store, user, current)
        updated = store.users.update(user_id, email=_email(email) if email is not None else None,
                                     given_name=given_name, family_name=family_name,
                                     role_id=role.id if role is not None else None, enabled=enabled)
        if enabled is False:
            store.sessions.delete_for_user(user_id)
        return updated


def delete_user(store: Store, user_id: str, *, by: Principal | None = None) -> UserRecord:
    with store.transaction():
        user, role = _load(store, user_id)
        if by is not None and by.kind == "user" and by.id == user_id:
            raise Conflict("you cannot delete yourself")
        may_grant(by, grants(role) if role else (), f"deleting the user {user.email}")
        _keeps_an_admin(store, user, role)
        return store.users.delete(user_id)


def reset_password(store: Store, user_id: str, *, by: Principal | None = None,
                   password: str | None = None) -> UserWithPassword:
    """Set a new password (generated when none is given) and end the user's sessions."""
    with store.transaction():
        user, role = _load(store, user_id)
        # whoever sets a password can sign in as that user: only as someone holding no more than they do
        may_grant(by, grants(role) if role else (), f"resetting the password of {user.email}")
        generated = None
        if password is None:
            password = generated = generate_password(email=user.email)
        store.users.set_password(user_id, _password(password, user.email))
        store.sessions.delete_for_user(user_id)
        return UserWithPassword(store.users.get(user_id) or user, generated)
