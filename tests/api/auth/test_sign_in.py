"""Signing in and out with the session cookie; /auth/me; changing one's password; 401 against 403."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from auth_helpers import API, PASSWORD, message
from fastapi.testclient import TestClient

from onca.api.auth import SESSION_COOKIE
from onca.api.auth.credentials import secret_hash


def test_login_sets_an_http_only_lax_session_cookie(client, make_user, store):
    ana = make_user("Analyst", "ana@example.com")

    answer = client.post(f"{API}/auth/login", json={"email": "ANA@example.com", "password": PASSWORD})

    assert answer.status_code == 200, answer.text
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags  # plain http here; https requests get Secure
    assert any(f.startswith("max-age=") and 43000 < int(f.split("=")[1]) <= 43200 for f in flags)
    body = answer.json()
    assert body["kind"] == "user" and body["email"] == "ana@example.com" and body["role"]["name"] == "Analyst"
    assert "AlertModify" in body["permissions"] and "UserModify" not in body["permissions"]
    assert body["user"]["lastLoggedInAt"] is not None
    # the store keeps only the hash of the cookie value
    value = client.cookies[SESSION_COOKIE]
    assert store.sessions.get(value) is None and store.sessions.get(secret_hash(value)).user_id == ana.id


def test_login_over_https_marks_the_cookie_secure(app, make_user, admin):
    make_user("Analyst", "ana@example.com")
    with TestClient(app, base_url="https://onca.example") as browser:
        answer = browser.post(f"{API}/auth/login", json={"email": "ana@example.com", "password": PASSWORD})
    assert "secure" in [p.strip().lower() for p in answer.headers["set-cookie"].split(";")]


def test_signed_in_requests_use_the_cookie(signed_in, make_user):
    make_user("Analyst", "ana@example.com")
    browser = signed_in("ana@example.com")

    me = browser.get(f"{API}/auth/me")

    assert me.status_code == 200
    assert me.json()["email"] == "ana@example.com" and me.json()["user"]["givenName"] == "Analyst"
    assert browser.get(f"{API}/users").status_code == 200  # Analyst holds UserRead


def test_login_wrong_password_or_unknown_email_says_the_same(client, make_user):
    make_user("Analyst", "ana@example.com")
    wrong = client.post(f"{API}/auth/login", json={"email": "ana@example.com", "password": "Wrong-Horse-42"})
    unknown = client.post(f"{API}/auth/login", json={"email": "nobody@example.com", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert message(wrong) == message(unknown) == "the email or password is wrong"
    assert "set-cookie" not in wrong.headers


def test_login_of_a_deactivated_user_is_refused(client, make_user, store):
    ana = make_user("Analyst", "ana@example.com")
    store.users.update(ana.id, enabled=False)
    answer = client.post(f"{API}/auth/login", json={"email": "ana@example.com", "password": PASSWORD})
    assert answer.status_code == 403 and "deactivated" in message(answer)


def test_login_body_errors_name_the_field(client):
    answer = client.post(f"{API}/auth/login", json={"email": "ana@example.com"})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "password"]


def test_logout_ends_the_session_and_clears_the_cookie(signed_in, make_user, store):
    ana = make_user("Analyst", "ana@example.com")
    browser = signed_in("ana@example.com")
    value = browser.cookies[SESSION_COOKIE]

    answer = browser.post(f"{API}/auth/logout")

    assert answer.status_code == 204
    cleared = answer.headers["set-cookie"]
    assert cleared.startswith(f'{SESSION_COOKIE}=""') or "max-age=0" in cleared.lower()
    assert store.sessions.for_user(ana.id) == []
    # the old cookie value no longer works, even if a client kept it
    replay = TestClient(browser.app, cookies={SESSION_COOKIE: value})
    assert replay.get(f"{API}/auth/me").status_code == 401


def test_expired_sessions_do_not_sign_in(signed_in, make_user, store, app):
    ana = make_user("Analyst", "ana@example.com")
    past = datetime.now(UTC) - timedelta(days=1)
    store.sessions.create(secret_hash("old-session"), user_id=ana.id, expires_at=past + timedelta(hours=12),
                          at=past)
    with TestClient(app, cookies={SESSION_COOKIE: "old-session"}) as stale:
        answer = stale.get(f"{API}/auth/me")
    assert answer.status_code == 401 and "expired" in message(answer)


def test_deactivating_a_user_ends_their_session(signed_in, make_user, admin_api):
    ana = make_user("Analyst", "ana@example.com")
    browser = signed_in("ana@example.com")
    assert admin_api.patch(f"{API}/users/{ana.id}", json={"enabled": False}).status_code == 200
    assert browser.get(f"{API}/auth/me").status_code == 401


def test_no_credentials_is_401_and_missing_permission_is_403_naming_it(client, signed_in, make_user):
    make_user("AnalystReadOnly", "ro@example.com")
    anonymous = client.get(f"{API}/users")
    assert anonymous.status_code == 401 and "authentication required" in message(anonymous)
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    bad = client.get(f"{API}/users", headers={"X-API-Key": "onca_not-a-real-token"})
    assert bad.status_code == 401 and "not valid" in message(bad)

    denied = signed_in("ro@example.com").get(f"{API}/users")

    assert denied.status_code == 403
    assert "UserRead" in message(denied) and "ro@example.com" in message(denied)


def test_change_password_keeps_this_session_and_ends_others(signed_in, make_user, client):
    make_user("Analyst", "ana@example.com")
    laptop, phone = signed_in("ana@example.com"), signed_in("ana@example.com")
    wrong = laptop.post(f"{API}/auth/password", json={"currentPassword": "nope", "newPassword": "New-Horse-Stable-7"})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "currentPassword"]
    weak = laptop.post(f"{API}/auth/password", json={"currentPassword": PASSWORD, "newPassword": "short"})
    assert weak.status_code == 422 and "12 characters" in str(weak.json()["detail"])

    done = laptop.post(f"{API}/auth/password",
                       json={"currentPassword": PASSWORD, "newPassword": "New-Horse-Stable-7"})

    assert done.status_code == 204
    assert laptop.get(f"{API}/auth/me").status_code == 200
    assert phone.get(f"{API}/auth/me").status_code == 401
    old = client.post(f"{API}/auth/login", json={"email": "ana@example.com", "password": PASSWORD})
    assert old.status_code == 401
    assert signed_in("ana@example.com", "New-Horse-Stable-7").get(f"{API}/auth/me").status_code == 200


def test_login_rehashes_a_password_hashed_with_old_parameters(client, make_user, store, monkeypatch):
    from argon2 import PasswordHasher

    from onca.api.auth import passwords

    ana = make_user("Analyst", "ana@example.com")
    old = store.users.password_hash(ana.id)
    monkeypatch.setattr(passwords, "DEFAULT_HASHER", PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))

    assert client.post(f"{API}/auth/login", json={"email": "ana@example.com", "password": PASSWORD}).status_code == 200

    new = store.users.password_hash(ana.id)
    assert new != old and "m=2048,t=2" in new
    assert client.post(f"{API}/auth/login", json={"email": "ana@example.com", "password": PASSWORD}).status_code == 200
