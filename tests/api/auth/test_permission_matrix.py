"""Every auth endpoint against each built-in role (signed in with a session) and against tokens holding a single
permission: allowed exactly when the role or token holds the endpoint's permission, 403 naming it otherwise,
401 without credentials."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from auth_helpers import API, message
from fastapi.testclient import TestClient

from onca.api.auth import BUILTIN_ROLES
from onca.api.auth.roles import find_role
from onca.api.auth.tokens import issue_token
from onca.api.auth.users import create_user

VICTIM = {"email": "victim@example.com", "givenName": "Vic", "familyName": "Tim",
          "role": {"name": "AnalystReadOnly"}}

# (method, path, body, permission); {user}, {role}, {token} are filled from the fixture's targets
ENDPOINTS = [
    ("GET", "/auth/me", None, None),
    ("GET", "/users", None, "UserRead"),
    ("POST", "/users", {**VICTIM, "email": "fresh@example.com"}, "UserModify"),
    ("GET", "/users/{user}", None, "UserRead"),
    ("POST", "/users/{user}", VICTIM, "UserModify"),
    ("PUT", "/users/{user}", VICTIM, "UserModify"),
    ("PATCH", "/users/{user}", {"givenName": "Victor"}, "UserModify"),
    ("DELETE", "/users/{user}", None, "UserModify"),
    ("POST", "/users/{user}/reset-password", None, "UserModify"),
    ("GET", "/roles", None, "UserRead"),
    ("POST", "/roles", {"name": "Fresh", "permissions": ["AlertRead"]}, "UserModify"),
    ("GET", "/roles/{role}", None, "UserRead"),
    ("POST", "/roles/{role}", {"name": "Spare", "permissions": ["AlertRead"]}, "UserModify"),
    ("PATCH", "/roles/{role}", {"permissions": ["AlertRead"]}, "UserModify"),
    ("DELETE", "/roles/{role}", None, "UserModify"),
    ("GET", "/api-tokens", None, "OrganizationAPITokenRead"),
    ("POST", "/api-tokens", {"name": "fresh", "permissions": ["AlertRead"]}, "OrganizationAPITokenModify"),
    ("GET", "/api-tokens/{token}", None, "OrganizationAPITokenRead"),
    ("POST", "/api-tokens/{token}", {"name": "renamed"}, "OrganizationAPITokenModify"),
    ("DELETE", "/api-tokens/{token}", None, "OrganizationAPITokenModify"),
    ("POST", "/api-tokens/{token}/rotate", None, "OrganizationAPITokenModify"),
]
IDS = [f"{m} {p}" for m, p, _, _ in ENDPOINTS]
GRANTED = sorted({p for *_, p in ENDPOINTS if p})


@dataclass
class Targets:
    user: str
    role: str
    token: str


@pytest.fixture
def targets(store, admin) -> Targets:
    victim = create_user(store, email=VICTIM["email"], role=find_role(store, name="AnalystReadOnly"),
                         given_name="Vic", family_name="Tim").user
    spare = store.roles.create("Spare", ["AlertRead"])
    token = issue_token(store, name="target", permissions=["AlertRead"]).token
    return Targets(victim.id, spare.id, token.id)


def _call(client: TestClient, method: str, path: str, body, targets: Targets, headers=None):
    url = API + path.format(user=targets.user, role=targets.role, token=targets.token)
    return client.request(method, url, json=body, headers=headers or {})


@pytest.mark.parametrize("role", list(BUILTIN_ROLES))
@pytest.mark.parametrize("method, path, body, permission", ENDPOINTS, ids=IDS)
def test_builtin_role_matrix(role, method, path, body, permission, targets, make_user, signed_in):
    make_user(role, f"{role.lower()}@example.com")
    browser = signed_in(f"{role.lower()}@example.com")

    answer = _call(browser, method, path, body, targets)

    if permission is None or permission in BUILTIN_ROLES[role]:
        assert 200 <= answer.status_code < 300, (role, answer.status_code, answer.text)
    else:
        assert answer.status_code == 403, (role, answer.status_code, answer.text)
        assert permission in message(answer)


@pytest.mark.parametrize("granted", GRANTED)
@pytest.mark.parametrize("method, path, body, permission", ENDPOINTS, ids=IDS)
def test_single_permission_token_matrix(granted, method, path, body, permission, targets, store, client):
    token = issue_token(store, name=f"only {granted}", permissions=[granted])
    if body and body.get("permissions") == ["AlertRead"] and path == "/api-tokens":
        body = {**body, "permissions": [granted]}  # a token may only hand out what it holds

    answer = _call(client, method, path, body, targets, headers={"X-API-Key": token.value})

    if permission is None or permission == granted:
        assert 200 <= answer.status_code < 300 or (answer.status_code == 403 and "you do not hold" in
                                                   message(answer)), (granted, answer.status_code, answer.text)
    else:
        assert answer.status_code == 403 and permission in message(answer), (granted, answer.status_code)


@pytest.mark.parametrize("method, path, body, permission", ENDPOINTS, ids=IDS)
def test_no_credentials_matrix(method, path, body, permission, targets, client):
    answer = _call(client, method, path, body, targets)
    assert answer.status_code == 401
