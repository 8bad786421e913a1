"""/api-tokens: create (value shown once), list, get, update, rotate, revoke, `self`, and tokens that reach no
further than whoever made them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from auth_helpers import API, message

TOKEN = {"name": "ci", "permissions": ["UserRead", "OrganizationAPITokenRead"]}


def test_create_token_shows_its_value_once(admin_api, client, admin):
    created = admin_api.post(f"{API}/api-tokens", json={**TOKEN, "allowedCIDRBlocks": ["10.1.2.3/8"]})

    assert created.status_code == 200, created.text
    body = created.json()
    assert body["value"].startswith("onca_") and body["name"] == "ci"
    assert body["permissions"] == ["OrganizationAPITokenRead", "UserRead"]
    assert body["allowedCIDRBlocks"] == ["10.0.0.0/8"]
    assert body["createdBy"] == {"type": "api-token", "id": admin.token_id}
    assert body["expiresAt"] is None and body["lastUsedAt"] is None
    fetched = admin_api.get(f"{API}/api-tokens/{body['id']}").json()
    assert "value" not in fetched and fetched["name"] == "ci"
    listed = admin_api.get(f"{API}/api-tokens").json()
    assert [t["name"] for t in listed["results"]] == ["bootstrap admin token", "ci"]
    assert all("value" not in t for t in listed["results"])


def test_token_permissions_narrower_than_the_creator_are_honoured(admin_api, client):
    value = admin_api.post(f"{API}/api-tokens", json={"name": "reader", "permissions": ["UserRead"]}).json()["value"]
    headers = {"X-API-Key": value}
    assert client.get(f"{API}/users", headers=headers).status_code == 200
    denied = client.post(f"{API}/users", headers=headers, json={"email": "x@example.com", "givenName": "X",
                                                                "familyName": "Y", "role": {"name": "Analyst"}})
    assert denied.status_code == 403 and "UserModify" in message(denied)
    assert client.get(f"{API}/api-tokens", headers=headers).status_code == 403


def test_nobody_issues_a_token_stronger_than_themselves(admin_api, client, make_user, signed_in):
    admin_api.post(f"{API}/roles", json={"name": "Token Keepers",
                                         "permissions": ["OrganizationAPITokenModify", "AlertRead"],
                                         "logTypeAccessKind": "ALLOW", "logTypeAccess": ["Okta.SystemLog"]})
    make_user("Token Keepers", "keeper@example.com")
    keeper = signed_in("keeper@example.com")

    stronger = keeper.post(f"{API}/api-tokens", json={"name": "sneaky", "permissions": ["UserModify", "AlertRead"]})
    assert stronger.status_code == 403 and "UserModify" in message(stronger)

    own = keeper.post(f"{API}/api-tokens", json={"name": "mine", "permissions": ["AlertRead"]})
    assert own.status_code == 200
    # the token inherits its creator's log type access
    me = client.get(f"{API}/auth/me", headers={"X-API-Key": own.json()["value"]}).json()
    assert (me["logTypeAccessKind"], me["logTypeAccess"]) == ("ALLOW", ["Okta.SystemLog"])
    assert me["email"] == "keeper@example.com"
    # nor rotates a stronger one (rotation hands out its secret)
    admin_token = admin_api.get(f"{API}/api-tokens").json()["results"][0]["id"]
    assert keeper.post(f"{API}/api-tokens/{admin_token}/rotate").status_code == 403


def test_token_bad_bodies_are_422_naming_the_field(admin_api):
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    cases = [
        ({**TOKEN, "permissions": []}, ["body", "permissions"], "at least 1"),
        ({**TOKEN, "permissions": ["Everything"]}, ["body", "permissions"], "unknown permission 'Everything'"),
        ({**TOKEN, "allowedCIDRBlocks": ["10.0.0.0/99"]}, ["body", "allowedCIDRBlocks"], "not a CIDR block"),
        ({**TOKEN, "expiresAt": past}, ["body", "expiresAt"], "not in the future"),
        ({"permissions": ["UserRead"]}, ["body", "name"], "Field required"),
    ]
    for body, where, text in cases:
        answer = admin_api.post(f"{API}/api-tokens", json=body)
        assert answer.status_code == 422, body
        problem = answer.json()["detail"][0]
        assert problem["loc"] == where and text in problem["msg"], answer.json()


def test_token_with_expiry(admin_api, client):
    soon = datetime.now(UTC) + timedelta(days=7)
    body = admin_api.post(f"{API}/api-tokens", json={**TOKEN, "expiresAt": soon.isoformat()}).json()
    assert body["expiresAt"].startswith(soon.strftime("%Y-%m-%dT%H:%M"))
    assert client.get(f"{API}/users", headers={"X-API-Key": body["value"]}).status_code == 200


def test_rotate_replaces_the_secret(admin_api, client):
    created = admin_api.post(f"{API}/api-tokens", json=TOKEN).json()

    rotated = admin_api.post(f"{API}/api-tokens/{created['id']}/rotate")

    assert rotated.status_code == 200
    new = rotated.json()["value"]
    assert new != created["value"] and rotated.json()["rotatedAt"] is not None
    assert client.get(f"{API}/users", headers={"X-API-Key": created["value"]}).status_code == 401
    assert client.get(f"{API}/users", headers={"X-API-Key": new}).status_code == 200


def test_update_token(admin_api, client, admin):
    created = admin_api.post(f"{API}/api-tokens", json=TOKEN).json()
    updated = admin_api.post(f"{API}/api-tokens/{created['id']}",
                             json={"name": "ci-readonly", "permissions": ["OrganizationAPITokenRead"]})
    assert updated.status_code == 200
    assert (updated.json()["name"], updated.json()["permissions"]) == ("ci-readonly", ["OrganizationAPITokenRead"])
    assert updated.json()["updatedBy"] == {"type": "api-token", "id": admin.token_id}
    assert client.get(f"{API}/users", headers={"X-API-Key": created["value"]}).status_code == 403


def test_self_reads_rotates_and_deletes_the_calling_token(admin_api, client):
    value = admin_api.post(f"{API}/api-tokens", json={"name": "lonely", "permissions": ["AlertRead"]}).json()["value"]
    headers = {"X-API-Key": value}

    me = client.get(f"{API}/api-tokens/self", headers=headers)
    assert me.status_code == 200 and me.json()["name"] == "lonely"
    # a token holding no token permission may still rotate and delete itself
    rotated = client.post(f"{API}/api-tokens/self/rotate", headers=headers)
    assert rotated.status_code == 200
    headers = {"X-API-Key": rotated.json()["value"]}
    update = client.post(f"{API}/api-tokens/self", headers=headers, json={"name": "renamed"})
    assert update.status_code == 403 and "OrganizationAPITokenModify" in message(update)
    assert client.delete(f"{API}/api-tokens/self", headers=headers).status_code == 204
    assert client.get(f"{API}/api-tokens/self", headers=headers).status_code == 401


def test_self_needs_a_token(make_user, signed_in):
    make_user("Admin", "boss@example.com")
    answer = signed_in("boss@example.com").get(f"{API}/api-tokens/self")
    assert answer.status_code == 400 and "signed-in user" in message(answer)


def test_revoked_tokens_listed_only_when_asked(admin_api):
    created = admin_api.post(f"{API}/api-tokens", json=TOKEN).json()
    admin_api.delete(f"{API}/api-tokens/{created['id']}")
    assert [t["name"] for t in admin_api.get(f"{API}/api-tokens").json()["results"]] == ["bootstrap admin token"]
    everything = admin_api.get(f"{API}/api-tokens", params={"include-revoked": "true"}).json()["results"]
    assert everything[-1]["name"] == "ci" and everything[-1]["revokedAt"]
    assert admin_api.get(f"{API}/api-tokens/{created['id']}").status_code == 404
    assert admin_api.post(f"{API}/api-tokens/{created['id']}/rotate").status_code == 404
