"""Request bodies, as Panther's API names their fields (ModifyUser, ModifyRole, ModifyAPIToken), plus Onca's
own: sign-in, password reset and change."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from onca.api.auth.permissions import describe_unknown, unknown_permissions

AccessKind = Literal["ALLOW", "ALLOW_ALL", "DENY", "DENY_ALL"]


def _known(permissions: list[str]) -> list[str]:
    unknown = unknown_permissions(permissions)
    if unknown:
        raise ValueError(describe_unknown(unknown))
    return permissions


Permissions = Annotated[list[str], AfterValidator(_known)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class RoleRef(Body):
    """A role by id or by name (Panther: give one of the two)."""

    id: str | None = None
    name: str | None = None


class UserModify(Body):
    """Create or replace a user (POST /users, POST or PUT /users/{id})."""

    email: str = Field(min_length=3, max_length=320)
    given_name: str = Field(alias="givenName", max_length=255)
    family_name: str = Field(alias="familyName", max_length=255)
    role: RoleRef
    enabled: bool | None = None
    password: str | None = Field(None, description="Leave out to have one generated and returned once.")


class UserPatch(Body):
    """Change some fields of a user (PATCH /users/{id})."""

    email: str | None = Field(None, min_length=3, max_length=320)
    given_name: str | None = Field(None, alias="givenName", max_length=255)
    family_name: str | None = Field(None, alias="familyName", max_length=255)
    role: RoleRef | None = None
    enabled: bool | None = None


class PasswordReset(Body):
    password: str | None = Field(None, description="Leave out to have one generated and returned once.")


class RoleModify(Body):
    name: str = Field(min_length=1, max_length=255)
    permissions: Permissions
    log_type_access_kind: AccessKind = Field("ALLOW_ALL", alias="logTypeAccessKind")
    log_type_access: list[str] | None = Field(None, alias="logTypeAccess")


class RolePatch(Body):
    name: str | None = Field(None, min_length=1, max_length=255)
    permissions: Permissions | None = None
    log_type_access_kind: AccessKind | None = Field(None, alias="logTypeAccessKind")
    log_type_access: list[str] | None = Field(None, alias="logTypeAccess")


class TokenModify(Body):
    name: str = Field(min_length=1, max_length=255)
    permissions: Annotated[Permissions, Field(min_length=1)]
    allowed_cidr_blocks: list[str] | None = Field(None, alias="allowedCIDRBlocks")
    expires_at: datetime | None = Field(None, alias="expiresAt", description="Onca: when the token stops working.")


class TokenUpdate(Body):
    name: str = Field(min_length=1, max_length=255)
    permissions: Permissions | None = None
    allowed_cidr_blocks: list[str] | None = Field(None, alias="allowedCIDRBlocks")


class SignIn(Body):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class PasswordChange(Body):
    current_password: str = Field(alias="currentPassword", min_length=1, max_length=1024)
    new_password: str = Field(alias="newPassword", min_length=1, max_length=1024)
