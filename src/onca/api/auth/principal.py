"""Who is making a request: a signed-in user or an API token, with the permissions and log types it may use."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from onca.store import ActorRef

from onca.api.auth.permissions import ADMIN, ALL_PERMISSIONS


def log_type_allowed(kind: str, listed: Iterable[str], log_type: str) -> bool:
    """Panther's log type access: ALLOW only the listed types, DENY all but them, ALLOW_ALL, DENY_ALL."""
    if kind == "ALLOW_ALL":
        return True
    if kind == "DENY_ALL":
        return False
    if kind == "ALLOW":
        return log_type in listed
    if kind == "DENY":
        return log_type not in listed
    return False  # an unknown kind grants nothing


def role_permissions(name: str, permissions: Iterable[str], *, builtin: bool) -> frozenset[str]:
    """What a role grants: the built-in Admin always grants every permission, even ones added after the store
    was created; other roles grant the permissions they list that still exist."""
    if builtin and name == ADMIN:
        return ALL_PERMISSIONS
    return frozenset(permissions) & ALL_PERMISSIONS


@dataclass(frozen=True, slots=True)
class Principal:
    kind: Literal["user", "token"]
    id: str
    name: str  # the user's full name or email; the token's name
    permissions: frozenset[str]
    email: str | None = None  # the user's; for a token, that of the user who created it, if any
    role: str | None = None  # the user's role name; None for tokens
    role_id: str | None = None
    log_type_access_kind: str = "ALLOW_ALL"
    log_type_access: frozenset[str] = field(default_factory=frozenset)

    def has(self, *permissions: str) -> bool:
        return all(permission in self.permissions for permission in permissions)

    def missing(self, permissions: Iterable[str]) -> list[str]:
        return sorted(set(permissions) - self.permissions)

    def can_read_log_type(self, log_type: str) -> bool:
        return log_type_allowed(self.log_type_access_kind, self.log_type_access, log_type)

    @property
    def actor(self) -> ActorRef:
        """How the store records this principal as the author of a change."""
        return ActorRef("user" if self.kind == "user" else "api-token", self.id)

    @property
    def label(self) -> str:
        return self.email or self.name or self.id
