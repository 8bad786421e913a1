"""Records as the API shows them: Panther's field names (givenName, logTypeAccessKind, allowedCIDRBlocks, ...),
times in RFC 3339 UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from onca.store import ApiTokenRecord, RoleRecord, UserRecord

from onca.api.auth.permissions import PERMISSIONS
from onca.api.auth.principal import Principal
from onca.api.auth.roles import grants


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def _sorted(permissions: Any) -> list[str]:
    return sorted(permissions, key=lambda p: (PERMISSIONS.index(p) if p in PERMISSIONS else len(PERMISSIONS), p))


def role_json(role: RoleRecord) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": role.id, "name": role.name, "permissions": _sorted(grants(role)),
        "logTypeAccessKind": role.log_type_access_kind, "createdAt": iso(role.created_at),
        "updatedAt": iso(role.updated_at), "builtin": role.builtin,
    }
    if role.log_type_access_kind in ("ALLOW", "DENY"):
        document["logTypeAccess"] = list(role.log_type_access)
    return document


def user_json(user: UserRecord, role: RoleRecord | None) -> dict[str, Any]:
    return {
        "id": user.id, "email": user.email, "givenName": user.given_name, "familyName": user.family_name,
        "role": {"id": user.role_id, "name": role.name if role else None},
        "enabled": user.enabled,
        "status": "CONFIRMED" if user.has_password else "EXTERNAL_PROVIDER",
        "createdAt": iso(user.created_at), "lastLoggedInAt": iso(user.last_login_at),
    }


def token_json(token: ApiTokenRecord, value: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": token.id, "name": token.name, "permissions": _sorted(token.permissions),
        "allowedCIDRBlocks": list(token.allowed_cidrs),
        "createdAt": iso(token.created_at), "createdBy": {"type": token.created_by.type, "id": token.created_by.id},
        "updatedAt": iso(token.updated_at), "updatedBy": {"type": token.updated_by.type, "id": token.updated_by.id},
        "expiresAt": iso(token.expires_at), "lastUsedAt": iso(token.last_used_at), "rotatedAt": iso(token.rotated_at),
        "logTypeAccessKind": token.log_type_access_kind,
    }
    if token.log_type_access_kind in ("ALLOW", "DENY"):
        document["logTypeAccess"] = list(token.log_type_access)
    if token.revoked_at is not None:
        document["revokedAt"] = iso(token.revoked_at)
    if value is not None:
        document["value"] = value
    return document


def principal_json(principal: Principal) -> dict[str, Any]:
    document: dict[str, Any] = {
        "kind": principal.kind, "id": principal.id, "name": principal.name, "email": principal.email,
        "role": {"id": principal.role_id, "name": principal.role} if principal.kind == "user" else None,
        "permissions": _sorted(principal.permissions),
        "logTypeAccessKind": principal.log_type_access_kind,
    }
    if principal.log_type_access_kind in ("ALLOW", "DENY"):
        document["logTypeAccess"] = sorted(principal.log_type_access)
    return document
