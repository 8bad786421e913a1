"""Role operations with their rules: built-in roles are created on every start and never deleted, the Admin
role always holds every permission, nobody grants a permission they do not hold, and a role still held by users
stays."""

from __future__ import annotations

from collections.abc import Iterable

from onca.store import LOG_TYPE_ACCESS_KINDS, Conflict, NotFound, RoleRecord, Store

from onca.api.auth.errors import Forbidden, Invalid
from onca.api.auth.permissions import ADMIN, BUILTIN_ROLES, PERMISSIONS, describe_unknown, unknown_permissions
from onca.api.auth.principal import Principal, role_permissions


def ensure_builtin_roles(store: Store) -> dict[str, RoleRecord]:
    """Create Admin, Analyst and AnalystReadOnly where missing (an edited built-in role is left as edited)."""
    roles = {}
    for name, permissions in BUILTIN_ROLES.items():
        roles[name] = store.roles.ensure(name, sorted(permissions, key=PERMISSIONS.index), builtin=True)
    return roles


def grants(role: RoleRecord) -> frozenset[str]:
    return role_permissions(role.name, role.permissions, builtin=role.builtin)


def check_permissions(permissions: Iterable[str], field: str = "permissions") -> list[str]:
    listed = list(dict.fromkeys(permissions))
    unknown = unknown_permissions(listed)
    if unknown:
        raise Invalid(field, describe_unknown(unknown))
    return sorted(listed, key=PERMISSIONS.index)


def check_access(kind: str, log_types: Iterable[str] | None) -> list[str]:
    if kind not in LOG_TYPE_ACCESS_KINDS:
        raise Invalid("logTypeAccessKind", f"{kind!r} is not one of {', '.join(LOG_TYPE_ACCESS_KINDS)}")
    listed = [t.strip() for t in (log_types or ()) if t and t.strip()]
    if kind in ("ALLOW", "DENY") and not listed:
        raise Invalid("logTypeAccess", f"logTypeAccessKind {kind} needs the log types it applies to")
    if kind in ("ALLOW_ALL", "DENY_ALL") and listed:
        raise Invalid("logTypeAccess", f"leave it out when logTypeAccessKind is {kind}")
    return list(dict.fromkeys(listed))


def may_grant(by: Principal | None, permissions: Iterable[str], what: str) -> None:
    """Nobody hands out more than they hold: that would let a user manager make themselves an Admin."""
    if by is None:
        return  # the server's own operator (CLI, first start)
    missing = by.missing(permissions)
    if missing:
        raise Forbidden(f"{what} needs permissions you do not hold: {', '.join(missing)}")


def find_role(store: Store, *, role_id: str | None = None, name: str | None = None,
              field: str = "role") -> RoleRecord:
    """The role named by id or name, as a request gave it (422 on the field if there is none)."""
    if role_id:
        role = store.roles.get(role_id)
        if role is None:
            raise Invalid(field, f"no role with id {role_id!r}")
        if name and role.name.casefold() != name.strip().casefold():
            raise Invalid(field, f"role id {role_id!r} is the role {role.name!r}, not {name!r}: give one of the two")
        return role
    if name:
        role = store.roles.get_by_name(name)
        if role is None:
            raise Invalid(field, f"no role named {name!r}")
        return role
    raise Invalid(field, "give the role's id or name")


def create_role(store: Store, *, name: str, permissions: Iterable[str], log_type_access_kind: str = "ALLOW_ALL",
                log_type_access: Iterable[str] | None = None, by: Principal | None = None) -> RoleRecord:
    listed = check_permissions(permissions)
    types = check_access(log_type_access_kind, log_type_access)
    if not name or not name.strip():
        raise Invalid("name", "a role needs a name")
    may_grant(by, listed, f"role {name!r}")
    return store.roles.create(name.strip(), listed, log_type_access_kind=log_type_access_kind,
                              log_type_access=types)


def update_role(store: Store, role_id: str, *, by: Principal | None = None, name: str | None = None,
                permissions: Iterable[str] | None = None, log_type_access_kind: str | None = None,
                log_type_access: Iterable[str] | None = None) -> RoleRecord:
    with store.transaction():
        role = store.roles.get(role_id)
        if role is None:
            raise NotFound(f"no role with id {role_id!r}")
        if role.builtin and role.name == ADMIN:
            raise Conflict("the built-in Admin role always holds every permission and cannot be changed")
        if role.builtin and name is not None and name.strip() != role.name:
            raise Conflict(f"the built-in role {role.name!r} cannot be renamed")
        may_grant(by, grants(role), f"changing role {role.name!r}")
        listed = check_permissions(permissions) if permissions is not None else None
        if listed is not None:
            may_grant(by, listed, f"role {role.name!r}")
        types = None
        if log_type_access_kind is not None:
            types = check_access(log_type_access_kind, log_type_access)
        elif log_type_access is not None:
            types = check_access(role.log_type_access_kind, log_type_access)
        if name is not None and not name.strip():
            raise Invalid("name", "a role needs a name")
        return store.roles.update(role_id, name=name.strip() if name is not None else None, permissions=listed,
                                  log_type_access_kind=log_type_access_kind, log_type_access=types)


def delete_role(store: Store, role_id: str, *, by: Principal | None = None) -> RoleRecord:
    with store.transaction():
        role = store.roles.get(role_id)
        if role is not None:
            may_grant(by, grants(role), f"deleting role {role.name!r}")
        return store.roles.delete(role_id)  # refuses built-in roles and roles users hold
