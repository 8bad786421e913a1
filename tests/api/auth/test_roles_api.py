"""/roles: built-in roles, custom roles with log type access, and the rules that guard them."""

from __future__ import annotations

from auth_helpers import API, message

from onca.api.auth import BUILTIN_ROLES, PERMISSIONS

CUSTOM = {"name": "Okta Responders", "permissions": ["AlertRead", "AlertModify", "DataAnalyticsRead"],
          "logTypeAccessKind": "ALLOW", "logTypeAccess": ["Okta.SystemLog"]}


def test_builtin_roles_are_listed_with_their_permissions(admin_api):
    body = admin_api.get(f"{API}/roles").json()
    roles = {r["name"]: r for r in body["results"]}
    assert list(roles) == ["Admin", "Analyst", "AnalystReadOnly"] and body["next"] is None
    for name, permissions in BUILTIN_ROLES.items():
        assert set(roles[name]["permissions"]) == permissions and roles[name]["builtin"]
        assert roles[name]["logTypeAccessKind"] == "ALLOW_ALL" and "logTypeAccess" not in roles[name]
    assert roles["Admin"]["permissions"] == list(PERMISSIONS)


def test_create_get_update_and_delete_a_custom_role(admin_api):
    created = admin_api.post(f"{API}/roles", json=CUSTOM)
    assert created.status_code == 200, created.text
    role = created.json()
    assert role["permissions"] == ["AlertModify", "AlertRead", "DataAnalyticsRead"]
    assert (role["logTypeAccessKind"], role["logTypeAccess"], role["builtin"]) == ("ALLOW", ["Okta.SystemLog"],
                                                                                   False)
    assert admin_api.get(f"{API}/roles/{role['id']}").json() == role
    replaced = admin_api.post(f"{API}/roles/{role['id']}", json={"name": "Responders", "permissions": ["AlertRead"],
                                                                 "logTypeAccessKind": "DENY_ALL"}).json()
    assert (replaced["name"], replaced["permissions"], replaced["logTypeAccessKind"]) == (
        "Responders", ["AlertRead"], "DENY_ALL")
    assert "logTypeAccess" not in replaced
    patched = admin_api.patch(f"{API}/roles/{role['id']}", json={"logTypeAccessKind": "DENY",
                                                                 "logTypeAccess": ["AWS.CloudTrail"]}).json()
    assert patched["name"] == "Responders" and patched["logTypeAccess"] == ["AWS.CloudTrail"]
    assert admin_api.delete(f"{API}/roles/{role['id']}").status_code == 200
    assert admin_api.get(f"{API}/roles/{role['id']}").status_code == 404


def test_roles_filter_by_name(admin_api):
    admin_api.post(f"{API}/roles", json=CUSTOM)
    by_name = admin_api.get(f"{API}/roles", params={"name": "okta responders"}).json()["results"]
    assert [r["name"] for r in by_name] == ["Okta Responders"]
    contains = admin_api.get(f"{API}/roles", params={"name-contains": "analyst"}).json()["results"]
    assert [r["name"] for r in contains] == ["Analyst", "AnalystReadOnly"]
    newest = admin_api.get(f"{API}/roles", params={"sort-dir": "desc", "limit": 1}).json()
    assert newest["results"][0]["name"] == "Okta Responders" and newest["next"]


def test_role_bad_bodies_are_422_naming_the_field(admin_api):
    cases = [
        ({**CUSTOM, "permissions": ["AlertRead", "FlyPlanes"]}, ["body", "permissions"], "unknown permission 'FlyPlanes'"),
        ({**CUSTOM, "logTypeAccessKind": "SOME"}, ["body", "logTypeAccessKind"], "ALLOW"),
        ({**CUSTOM, "logTypeAccess": []}, ["body", "logTypeAccess"], "needs the log types"),
        ({**CUSTOM, "logTypeAccessKind": "ALLOW_ALL"}, ["body", "logTypeAccess"], "leave it out"),
        ({"permissions": ["AlertRead"]}, ["body", "name"], "Field required"),
    ]
    for body, where, text in cases:
        answer = admin_api.post(f"{API}/roles", json=body)
        assert answer.status_code == 422, body
        problem = answer.json()["detail"][0]
        assert problem["loc"] == where and text in problem["msg"], answer.json()


def test_role_names_are_unique(admin_api):
    assert admin_api.post(f"{API}/roles", json=CUSTOM).status_code == 200
    again = admin_api.post(f"{API}/roles", json={**CUSTOM, "name": "OKTA responders"})
    assert again.status_code == 409 and "already exists" in message(again)
    analyst = admin_api.post(f"{API}/roles", json={**CUSTOM, "name": "analyst"})
    assert analyst.status_code == 409


def test_builtin_roles_cannot_be_deleted_or_renamed_and_admin_not_changed(admin_api, store):
    ids = {name: store.roles.get_by_name(name).id for name in BUILTIN_ROLES}
    for name, role_id in ids.items():
        answer = admin_api.delete(f"{API}/roles/{role_id}")
        assert answer.status_code == 409 and "cannot be deleted" in message(answer), name
    rename = admin_api.patch(f"{API}/roles/{ids['Analyst']}", json={"name": "Analysts"})
    assert rename.status_code == 409 and "cannot be renamed" in message(rename)
    admin_change = admin_api.patch(f"{API}/roles/{ids['Admin']}", json={"permissions": ["AlertRead"]})
    assert admin_change.status_code == 409 and "every permission" in message(admin_change)
    # the other built-in roles may be tuned, as in Panther
    tuned = admin_api.patch(f"{API}/roles/{ids['AnalystReadOnly']}", json={"permissions": ["AlertRead"]})
    assert tuned.status_code == 200 and tuned.json()["permissions"] == ["AlertRead"]


def test_a_role_held_by_users_cannot_be_deleted(admin_api, make_user):
    role = admin_api.post(f"{API}/roles", json=CUSTOM).json()
    user = make_user("Okta Responders", "resp@example.com")
    answer = admin_api.delete(f"{API}/roles/{role['id']}")
    assert answer.status_code == 409 and "assigned to 1 user" in message(answer)
    admin_api.delete(f"{API}/users/{user.id}")
    assert admin_api.delete(f"{API}/roles/{role['id']}").status_code == 200


def test_role_changes_apply_to_signed_in_users_at_once(admin_api, make_user, signed_in, store):
    role = admin_api.post(f"{API}/roles", json={"name": "Readers", "permissions": ["UserRead"]}).json()
    make_user("Readers", "reader@example.com")
    browser = signed_in("reader@example.com")
    assert browser.get(f"{API}/users").status_code == 200
    admin_api.patch(f"{API}/roles/{role['id']}", json={"permissions": ["AlertRead"]})
    assert browser.get(f"{API}/users").status_code == 403


def test_log_type_access_reaches_the_principal(admin_api, make_user, signed_in):
    admin_api.post(f"{API}/roles", json=CUSTOM)
    make_user("Okta Responders", "resp@example.com")
    me = signed_in("resp@example.com").get(f"{API}/auth/me").json()
    assert (me["logTypeAccessKind"], me["logTypeAccess"]) == ("ALLOW", ["Okta.SystemLog"])
