"""The Principal: permissions and log type access."""

from __future__ import annotations

import pytest

from onca.api.auth import ALL_PERMISSIONS, BUILTIN_ROLES, PERMISSIONS, Principal
from onca.api.auth.principal import role_permissions


def _principal(kind="ALLOW_ALL", listed=(), permissions=("AlertRead",)):
    return Principal(kind="user", id="u1", name="Ana", email="ana@example.com", role="Custom",
                     permissions=frozenset(permissions), log_type_access_kind=kind,
                     log_type_access=frozenset(listed))


def test_principal_has_every_permission_asked():
    ana = _principal(permissions=("AlertRead", "RuleRead"))
    assert ana.has("AlertRead") and ana.has("AlertRead", "RuleRead") and ana.has()
    assert not ana.has("AlertRead", "UserModify")
    assert ana.missing(["UserModify", "AlertRead", "RuleModify"]) == ["RuleModify", "UserModify"]


@pytest.mark.parametrize("kind, listed, okta, trail", [
    ("ALLOW_ALL", (), True, True),
    ("DENY_ALL", (), False, False),
    ("ALLOW", ("Okta.SystemLog",), True, False),
    ("DENY", ("Okta.SystemLog",), False, True),
    ("SOMETHING", (), False, False),
])
def test_principal_log_type_access(kind, listed, okta, trail):
    ana = _principal(kind, listed)
    assert ana.can_read_log_type("Okta.SystemLog") is okta
    assert ana.can_read_log_type("AWS.CloudTrail") is trail


def test_principal_actor_names_the_kind():
    assert _principal().actor.type == "user"
    token = Principal(kind="token", id="t1", name="ci", permissions=frozenset())
    assert (token.actor.type, token.actor.id, token.label) == ("api-token", "t1", "ci")


def test_builtin_admin_grants_everything_even_if_its_row_lists_less():
    assert role_permissions("Admin", ["AlertRead"], builtin=True) == ALL_PERMISSIONS
    assert role_permissions("Admin", ["AlertRead"], builtin=False) == {"AlertRead"}
    assert role_permissions("Custom", ["AlertRead", "Retired"], builtin=False) == {"AlertRead"}


def test_builtin_roles_as_panther_describes_them():
    admin, analyst, read_only = (BUILTIN_ROLES[n] for n in ("Admin", "Analyst", "AnalystReadOnly"))
    assert admin == set(PERMISSIONS) and len(PERMISSIONS) == len(set(PERMISSIONS))
    assert read_only < analyst < admin
    assert all(p.endswith("Read") for p in read_only)  # can view, cannot change anything
    settings = {"UserModify", "OrganizationAPITokenModify", "OrganizationAPITokenRead", "GeneralSettingsModify",
                "LogSourceModify", "CloudsecSourceModify", "DestinationModify"}
    assert not analyst & settings  # cannot change settings
    assert {"AlertModify", "RuleModify", "PolicyModify", "DataAnalyticsRead"} <= analyst
