"""API tokens at the door: header forms, expiry, revocation, rotation, allowed networks, last use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from auth_helpers import API, message
from fastapi.testclient import TestClient

from onca.api.auth.tokens import issue_token


def test_token_accepted_in_x_api_key_and_bearer(client, admin):
    for headers in ({"X-API-Key": admin.token}, {"Authorization": f"Bearer {admin.token}"},
                    {"authorization": f"bearer {admin.token}"}):
        answer = client.get(f"{API}/auth/me", headers=headers)
        assert answer.status_code == 200, headers
        body = answer.json()
        assert body["kind"] == "token" and body["name"] == "bootstrap admin token" and body["role"] is None
        assert body["email"] == admin.email  # the admin's token: its changes are attributed to them


def test_token_header_wins_over_a_cookie(app, admin, make_user, signed_in):
    make_user("AnalystReadOnly", "ro@example.com")
    browser = signed_in("ro@example.com")
    assert browser.get(f"{API}/auth/me", headers={"X-API-Key": admin.token}).json()["kind"] == "token"
    bad = browser.get(f"{API}/auth/me", headers={"X-API-Key": "onca_wrong"})
    assert bad.status_code == 401  # a bad token is not rescued by the cookie


def test_expired_token_is_rejected(client, store):
    issued = issue_token(store, name="short-lived", permissions=["UserRead"],
                         expires_at=datetime.now(UTC) + timedelta(seconds=30),
                         now=datetime.now(UTC) - timedelta(minutes=5))
    assert client.get(f"{API}/users", headers={"X-API-Key": issued.value}).status_code == 200
    expired = issue_token(store, name="expired", permissions=["UserRead"],
                          expires_at=datetime.now(UTC) - timedelta(seconds=1),
                          now=datetime.now(UTC) - timedelta(hours=1))
    answer = client.get(f"{API}/users", headers={"X-API-Key": expired.value})
    assert answer.status_code == 401 and "expired" in message(answer)


def test_revoked_token_is_rejected(client, admin_api, store):
    issued = issue_token(store, name="ci", permissions=["UserRead"])
    headers = {"X-API-Key": issued.value}
    assert client.get(f"{API}/users", headers=headers).status_code == 200
    assert admin_api.delete(f"{API}/api-tokens/{issued.token.id}").status_code == 204
    assert client.get(f"{API}/users", headers=headers).status_code == 401
    assert admin_api.delete(f"{API}/api-tokens/{issued.token.id}").status_code == 404


def test_token_with_allowed_cidrs_only_works_from_them(app, store, admin):
    issued = issue_token(store, name="office", permissions=["UserRead"], allowed_cidrs=["203.0.113.0/24"])
    headers = {"X-API-Key": issued.value}
    with TestClient(app, client=("203.0.113.50", 40000)) as inside:
        assert inside.get(f"{API}/users", headers=headers).status_code == 200
    with TestClient(app, client=("198.51.100.7", 40000)) as outside:
        assert outside.get(f"{API}/users", headers=headers).status_code == 401
    with TestClient(app, client=("::ffff:203.0.113.9", 40000)) as mapped:
        assert mapped.get(f"{API}/users", headers=headers).status_code == 200


def test_token_use_is_recorded(client, store):
    issued = issue_token(store, name="ci", permissions=["UserRead"])
    assert store.tokens.get(issued.token.id).last_used_at is None
    client.get(f"{API}/users", headers={"X-API-Key": issued.value})
    used = store.tokens.get(issued.token.id).last_used_at
    assert used is not None and datetime.now(UTC) - used < timedelta(minutes=1)


def test_the_store_keeps_no_token_value(store, admin):
    token = store.tokens.get(admin.token_id)
    assert admin.token.startswith("onca_") and len(admin.token) > 40
    with store.engine.connect() as connection:
        dump = "\n".join(str(row) for row in connection.exec_driver_sql("SELECT * FROM api_tokens"))
    assert admin.token not in dump and token is not None
