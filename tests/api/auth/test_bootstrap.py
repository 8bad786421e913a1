"""The first start: built-in roles, an Admin user with a one-time password, and an all-permission token."""

from __future__ import annotations

from auth_helpers import API
from fastapi.testclient import TestClient

from onca.api.auth import ALL_PERMISSIONS, BUILTIN_ROLES, bootstrap_admin
from onca.api.auth.authn import token_principal


def test_bootstrap_creates_an_admin_once(store, app):
    created = bootstrap_admin(store, email="Root@Example.com")

    assert created is not None and created.email == "Root@Example.com"
    assert {r.name for r in store.roles.list()[0]} == set(BUILTIN_ROLES)
    user = store.users.get(created.user_id)
    assert store.roles.get(user.role_id).name == "Admin" and user.enabled
    principal = token_principal(store, created.token, client_ip="127.0.0.1")
    assert principal.permissions == ALL_PERMISSIONS and principal.email == "Root@Example.com"
    with TestClient(app) as browser:
        login = browser.post(f"{API}/auth/login", json={"email": "root@example.com", "password": created.password})
        assert login.status_code == 200 and login.json()["role"]["name"] == "Admin"
    assert bootstrap_admin(store) is None
    assert store.users.count() == 1 and len(store.tokens.list()[0]) == 1


def test_bootstrap_defaults_to_admin_at_localhost_and_restores_missing_roles(store):
    created = bootstrap_admin(store)
    assert created.email == "admin@localhost"
    spare = store.roles.get_by_name("AnalystReadOnly")
    with store.engine.begin() as connection:  # as if an older store lacked the role
        connection.exec_driver_sql("DELETE FROM roles WHERE id = ?", (spare.id,))
    assert bootstrap_admin(store) is None
    assert store.roles.get_by_name("AnalystReadOnly") is not None


def test_bootstrap_leaves_a_store_with_users_alone(store):
    from onca.api.auth.roles import ensure_builtin_roles, find_role
    from onca.api.auth.users import create_user

    ensure_builtin_roles(store)
    create_user(store, email="ana@example.com", role=find_role(store, name="Analyst"))
    assert bootstrap_admin(store) is None
    assert store.tokens.list()[0] == []
