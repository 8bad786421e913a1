"""/users: create, list, get, update (POST, PUT, PATCH), delete, reset-password, and the rules that guard them."""

from __future__ import annotations

from auth_helpers import API, PASSWORD, message

NEW = {"email": "new@example.com", "givenName": "New", "familyName": "Person", "role": {"name": "Analyst"}}


def test_create_user_generates_a_password_shown_once(admin_api, client):
    created = admin_api.post(f"{API}/users", json=NEW)

    assert created.status_code == 200, created.text
    body = created.json()
    assert (body["email"], body["givenName"], body["familyName"]) == ("new@example.com", "New", "Person")
    assert body["role"]["name"] == "Analyst" and body["enabled"] and body["lastLoggedInAt"] is None
    password = body["password"]
    assert "password" not in admin_api.get(f"{API}/users/{body['id']}").json()
    login = client.post(f"{API}/auth/login", json={"email": "new@example.com", "password": password})
    assert login.status_code == 200


def test_create_user_with_a_given_password_and_role_id(admin_api, client, store):
    role = store.roles.get_by_name("AnalystReadOnly")
    answer = admin_api.post(f"{API}/users", json={**NEW, "role": {"id": role.id}, "password": PASSWORD})
    assert answer.status_code == 200 and "password" not in answer.json()
    assert answer.json()["role"] == {"id": role.id, "name": "AnalystReadOnly"}
    assert client.post(f"{API}/auth/login", json={"email": NEW["email"], "password": PASSWORD}).status_code == 200


def test_create_user_duplicate_email_in_any_case_is_409(admin_api):
    assert admin_api.post(f"{API}/users", json=NEW).status_code == 200
    again = admin_api.post(f"{API}/users", json={**NEW, "email": "NEW@Example.com"})
    assert again.status_code == 409 and "already exists" in message(again)


def test_create_user_bad_values_are_422_naming_the_field(admin_api):
    cases = [
        ({**NEW, "role": {"name": "Ghosts"}}, ["body", "role"], "no role named 'Ghosts'"),
        ({**NEW, "role": {}}, ["body", "role"], "give the role's id or name"),
        ({**NEW, "email": "not-an-email"}, ["body", "email"], "is not an email address"),
        ({**NEW, "password": "short"}, ["body", "password"], "at least 12 characters"),
        ({k: v for k, v in NEW.items() if k != "givenName"}, ["body", "givenName"], "Field required"),
        ({**NEW, "nickname": "x"}, ["body", "nickname"], "Extra inputs"),
    ]
    for body, where, text in cases:
        answer = admin_api.post(f"{API}/users", json=body)
        assert answer.status_code == 422, body
        problem = answer.json()["detail"][0]
        assert problem["loc"] == where and text in problem["msg"], answer.json()


def test_list_users_pages_and_filters(admin_api, make_user, store):
    for n in range(5):
        make_user("AnalystReadOnly", f"user{n}@corp.io")
    store.users.update(store.users.get_by_email("user4@corp.io").id, enabled=False)

    first = admin_api.get(f"{API}/users", params={"limit": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    emails = [u["email"] for u in first["results"]]
    cursor = first["next"]
    while cursor:
        page = admin_api.get(f"{API}/users", params={"limit": 2, "cursor": cursor}).json()
        emails += [u["email"] for u in page["results"]]
        cursor = page["next"]
    assert emails == ["admin@localhost"] + [f"user{n}@corp.io" for n in range(4)]
    everyone = admin_api.get(f"{API}/users", params={"include-deactivated": "true"}).json()["results"]
    assert len(everyone) == 6 and everyone[-1]["enabled"] is False
    found = admin_api.get(f"{API}/users", params={"contains": "USER1"}).json()["results"]
    assert [u["email"] for u in found] == ["user1@corp.io"]
    exact = admin_api.get(f"{API}/users", params={"email": "User4@corp.io", "contains": "zzz"}).json()["results"]
    assert [u["email"] for u in exact] == ["user4@corp.io"]
    ids = [u["id"] for u in everyone[1:3]]
    assert {u["id"] for u in admin_api.get(f"{API}/users", params={"ids": ",".join(ids)}).json()["results"]} \
        == set(ids)
    assert admin_api.get(f"{API}/users", params={"limit": 61}).status_code == 422
    assert admin_api.get(f"{API}/users", params={"cursor": "bogus!"}).status_code == 400


def test_get_unknown_user_is_404(admin_api):
    answer = admin_api.get(f"{API}/users/nope")
    assert answer.status_code == 404 and "no user with id 'nope'" in message(answer)
    assert admin_api.patch(f"{API}/users/nope", json={"givenName": "x"}).status_code == 404
    assert admin_api.delete(f"{API}/users/nope").status_code == 404


def test_update_user_with_post_put_and_patch(admin_api, make_user):
    ana = make_user("Analyst", "ana@example.com")
    full = {"email": "ana.lima@example.com", "givenName": "Ana", "familyName": "Lima",
            "role": {"name": "AnalystReadOnly"}}
    posted = admin_api.post(f"{API}/users/{ana.id}", json=full).json()
    assert (posted["email"], posted["role"]["name"], posted["familyName"]) == (full["email"], "AnalystReadOnly",
                                                                             "Lima")
    put = admin_api.put(f"{API}/users/{ana.id}", json={**full, "givenName": "Ana Maria"})
    assert put.status_code == 200 and put.json()["givenName"] == "Ana Maria"
    patched = admin_api.patch(f"{API}/users/{ana.id}", json={"familyName": "Souza", "enabled": False}).json()
    assert (patched["givenName"], patched["familyName"], patched["enabled"]) == ("Ana Maria", "Souza", False)
    no_password = admin_api.post(f"{API}/users/{ana.id}", json={**full, "password": PASSWORD})
    assert no_password.status_code == 422 and "reset-password" in str(no_password.json())


def test_reset_password_generates_one_and_ends_sessions(admin_api, make_user, signed_in, client):
    ana = make_user("Analyst", "ana@example.com")
    browser = signed_in("ana@example.com")

    answer = admin_api.post(f"{API}/users/{ana.id}/reset-password")

    assert answer.status_code == 200
    new = answer.json()["password"]
    assert browser.get(f"{API}/auth/me").status_code == 401
    assert client.post(f"{API}/auth/login", json={"email": "ana@example.com", "password": PASSWORD}).status_code == 401
    assert client.post(f"{API}/auth/login", json={"email": "ana@example.com", "password": new}).status_code == 200
    chosen = admin_api.post(f"{API}/users/{ana.id}/reset-password", json={"password": "Chosen-Horse-77"})
    assert chosen.status_code == 200 and "password" not in chosen.json()
    weak = admin_api.post(f"{API}/users/{ana.id}/reset-password", json={"password": "weak"})
    assert weak.status_code == 422 and weak.json()["detail"][0]["loc"] == ["body", "password"]


def test_delete_user(admin_api, make_user):
    ana = make_user("Analyst", "ana@example.com")
    assert admin_api.delete(f"{API}/users/{ana.id}").status_code == 200
    assert admin_api.get(f"{API}/users/{ana.id}").status_code == 404


def test_admins_cannot_demote_deactivate_or_delete_themselves(signed_in, make_user, admin):
    boss = make_user("Admin", "boss@example.com")
    browser = signed_in("boss@example.com")
    demote = browser.patch(f"{API}/users/{boss.id}", json={"role": {"name": "Analyst"}})
    assert demote.status_code == 409 and "from yourself" in message(demote)
    assert browser.patch(f"{API}/users/{boss.id}", json={"enabled": False}).status_code == 409
    delete = browser.delete(f"{API}/users/{boss.id}")
    assert delete.status_code == 409 and "yourself" in message(delete)
    # another Admin may
    assert browser.patch(f"{API}/users/{admin.user_id}", json={"role": {"name": "Analyst"}}).status_code == 200


def test_the_last_enabled_admin_stays(admin_api, admin, store):
    answer = admin_api.patch(f"{API}/users/{admin.user_id}", json={"enabled": False})
    assert answer.status_code == 409 and "last enabled Admin" in message(answer)
    assert admin_api.delete(f"{API}/users/{admin.user_id}").status_code == 409
    assert admin_api.patch(f"{API}/users/{admin.user_id}", json={"role": {"name": "Analyst"}}).status_code == 409
    assert store.users.get(admin.user_id).enabled


def test_a_user_manager_cannot_grant_more_than_they_hold(admin_api, make_user, signed_in, admin):
    managers = admin_api.post(f"{API}/roles", json={"name": "User Managers",
                                                    "permissions": ["UserRead", "UserModify"]}).json()
    make_user("User Managers", "hr@example.com")
    hr = signed_in("hr@example.com")
    ro = make_user("AnalystReadOnly", "ro@example.com")

    beyond = hr.patch(f"{API}/users/{ro.id}", json={"givenName": "Changed"})
    assert beyond.status_code == 403 and "AlertRead" in message(beyond)  # ro's role reaches further than hr's
    peer = make_user("User Managers", "peer@example.com")
    promote = hr.patch(f"{API}/users/{peer.id}", json={"role": {"name": "Admin"}})
    assert promote.status_code == 403 and "giving the role 'Admin'" in message(promote)
    assert "AlertModify" in message(promote)
    create = hr.post(f"{API}/users", json={**{"email": "x@example.com", "givenName": "X", "familyName": "Y"},
                                           "role": {"name": "Analyst"}})
    assert create.status_code == 403
    touch_admin = hr.post(f"{API}/users/{admin.user_id}/reset-password")
    assert touch_admin.status_code == 403 and "admin@localhost" in message(touch_admin)
    self_promote = hr.patch(f"{API}/roles/{managers['id']}", json={"permissions": ["UserRead", "UserModify",
                                                                                  "AlertModify"]})
    assert self_promote.status_code == 403
    # within their own reach they may act
    same = hr.post(f"{API}/users", json={"email": "y@example.com", "givenName": "Y", "familyName": "Z",
                                         "role": {"name": "User Managers"}})
    assert same.status_code == 200
