"""The permissions Onca checks, named as Panther's API names them, and the built-in roles.

Panther describes its default roles as: Admin holds every permission; Analyst can use all the cloud security and
log analysis features but cannot change settings; AnalystReadOnly can view resources, alerts and detection code
but cannot change anything. The sets below spell that out permission by permission.
"""

from __future__ import annotations

PERMISSIONS: tuple[str, ...] = (
    "AlertModify",
    "AlertRead",
    "BulkUpload",
    "BulkUploadValidate",
    "CloudsecSourceModify",
    "CloudsecSourceRead",
    "DataAnalyticsModify",
    "DataAnalyticsRead",
    "DestinationModify",
    "DestinationRead",
    "GeneralSettingsModify",
    "GeneralSettingsRead",
    "LogSourceModify",
    "LogSourceRawDataRead",
    "LogSourceRead",
    "LookupModify",
    "LookupRead",
    "OrganizationAPITokenModify",
    "OrganizationAPITokenRead",
    "PolicyModify",
    "PolicyRead",
    "ResourceModify",
    "ResourceRead",
    "RuleModify",
    "RuleRead",
    "RunPantherAI",
    "SummaryRead",
    "UserModify",
    "UserRead",
)
ALL_PERMISSIONS = frozenset(PERMISSIONS)

ADMIN = "Admin"
ANALYST = "Analyst"
ANALYST_READ_ONLY = "AnalystReadOnly"

_READ_ONLY = frozenset({
    "AlertRead", "CloudsecSourceRead", "DataAnalyticsRead", "DestinationRead", "LogSourceRead", "LookupRead",
    "PolicyRead", "ResourceRead", "RuleRead", "SummaryRead",
})
_ANALYST = _READ_ONLY | {
    "AlertModify", "BulkUpload", "BulkUploadValidate", "DataAnalyticsModify", "GeneralSettingsRead",
    "LogSourceRawDataRead", "LookupModify", "PolicyModify", "ResourceModify", "RuleModify", "RunPantherAI",
    "UserRead",
}

# name -> permissions, in the order the roles are created on a new store
BUILTIN_ROLES: dict[str, frozenset[str]] = {
    ADMIN: ALL_PERMISSIONS,
    ANALYST: frozenset(_ANALYST),
    ANALYST_READ_ONLY: _READ_ONLY,
}


def unknown_permissions(names: object) -> list[str]:
    """The names in `names` that are not permissions (for error messages)."""
    return [str(name) for name in names if name not in ALL_PERMISSIONS]  # type: ignore[attr-defined]


def describe_unknown(unknown: list[str]) -> str:
    quoted = ", ".join(repr(name) for name in unknown)
    return f"unknown permission{'s' if len(unknown) > 1 else ''} {quoted}; the permissions are {', '.join(PERMISSIONS)}"
