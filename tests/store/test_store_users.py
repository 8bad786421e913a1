"""Users, roles, API tokens and sign-in sessions in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from onca.store import ActorRef, Conflict, InvalidCursor, InvalidValue, NotFound

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def role(store):
    return store.roles.create("Responders", ["AlertRead", "AlertModify"], at=T0)


# roles
def test_role_create_get_and_find_by_name_in_any_case(store, role):
    assert store.roles.get(role.id) == role
    assert store.roles.get_by_name("RESPONDERS") == role
    assert role.permissions == ("AlertRead", "AlertModify")
    assert role.log_type_access_kind == "ALLOW_ALL" and role.log_type_access == () and not role.builtin
    assert store.roles.get("nope") is None and store.roles.get_by_name("nope") is None


def test_role_names_are_unique_in_any_case(store, role):
    with pytest.raises(Conflict, match="'responders' already exists"):
        store.roles.create("responders", [])
    other = store.roles.create("Auditors", [])
    with pytest.raises(Conflict, match="'RESPONDERS' already exists"):
        store.roles.update(other.id, name="RESPONDERS")


@pytest.mark.parametrize("kind, types, message", [
    ("SOME", [], "'SOME' is not one of ALLOW, ALLOW_ALL, DENY, DENY_ALL"),
    ("ALLOW_ALL", ["AWS.CloudTrail"], "ALLOW_ALL takes no list"),
    ("DENY_ALL", ["AWS.CloudTrail"], "DENY_ALL takes no list"),
])
def test_role_log_type_access_is_checked(store, kind, types, message):
    with pytest.raises(InvalidValue, match=message):
        store.roles.create("Odd", [], log_type_access_kind=kind, log_type_access=types)


def test_role_update_changes_only_what_is_given(store, role):
    later = T0 + timedelta(hours=1)
    updated = store.roles.update(role.id, log_type_access_kind="ALLOW", log_type_access=["Okta.SystemLog"], at=later)
    assert updated.permissions == role.permissions and updated.name == "Responders"
    assert (updated.log_type_access_kind, updated.log_type_access) == ("ALLOW", ("Okta.SystemLog",))
    assert updated.updated_at == later and updated.created_at == T0
    renamed = store.roles.update(role.id, name="Incident Responders", permissions=["AlertRead"])
    assert (renamed.name, renamed.permissions, renamed.log_type_access) == ("Incident Responders", ("AlertRead",),
                                                                            ("Okta.SystemLog",))
    with pytest.raises(NotFound, match="no role with id 'nope'"):
        store.roles.update("nope", name="x")


def test_role_ensure_creates_once_and_keeps_edits(store):
    first = store.roles.ensure("Analyst", ["AlertRead"], builtin=True)
    store.roles.update(first.id, permissions=["AlertRead", "RuleRead"])
    again = store.roles.ensure("Analyst", ["SomethingElse"], builtin=True)
    assert again.id == first.id and again.permissions == ("AlertRead", "RuleRead") and again.builtin


def test_role_delete_refuses_builtin_and_held_roles(store, role):
    builtin = store.roles.ensure("Admin", ["AlertRead"], builtin=True)
    with pytest.raises(Conflict, match="built-in role 'Admin' cannot be deleted"):
        store.roles.delete(builtin.id)
    user = store.users.create("ana@example.com", role_id=role.id, password_hash="h")
    with pytest.raises(Conflict, match="assigned to 1 user"):
        store.roles.delete(role.id)
    store.users.delete(user.id)
    assert store.roles.delete(role.id) == role
    assert store.roles.get(role.id) is None
    with pytest.raises(NotFound):
        store.roles.delete(role.id)


def test_role_list_pages_filters_and_sorts(store):
    for n in range(5):
        store.roles.create(f"Team {n}", [], at=T0 + timedelta(minutes=n))
    page, cursor = store.roles.list(limit=2)
    assert [r.name for r in page] == ["Team 0", "Team 1"]
    seen = [r.name for r in page]
    while cursor:
        page, cursor = store.roles.list(limit=2, cursor=cursor)
        seen += [r.name for r in page]
    assert seen == [f"Team {n}" for n in range(5)]
    newest, _ = store.roles.list(limit=2, descending=True)
    assert [r.name for r in newest] == ["Team 4", "Team 3"]
    assert [r.name for r in store.roles.list(name_contains="TEAM 3")[0]] == ["Team 3"]
    ids = [r.id for r in store.roles.list(limit=100)[0]][:2]
    assert {r.id for r in store.roles.list(ids=ids)[0]} == set(ids)
    with pytest.raises(InvalidCursor):
        store.roles.list(cursor="garbage!")


# users
def test_user_create_and_find_by_email_in_any_case(store, role):
    user = store.users.create("Ana.Lima@Example.com", role_id=role.id, password_hash="hash-1", given_name="Ana",
                              family_name="Lima", at=T0)
    assert store.users.get(user.id) == user
    assert store.users.get_by_email("ana.lima@example.COM") == user
    assert user.email == "Ana.Lima@Example.com" and user.enabled and user.has_password
    assert user.last_login_at is None and user.created_at == T0
    assert store.users.password_hash(user.id) == "hash-1"


def test_user_emails_are_unique_in_any_case(store, role):
    store.users.create("ana@example.com", role_id=role.id, password_hash=None)
    with pytest.raises(Conflict, match="'ANA@example.com' already exists"):
        store.users.create("ANA@example.com", role_id=role.id, password_hash=None)
    bob = store.users.create("bob@example.com", role_id=role.id, password_hash=None)
    with pytest.raises(Conflict):
        store.users.update(bob.id, email="Ana@Example.com")


@pytest.mark.parametrize("email", ["", "ana", "ana@", "@example.com", "a b@example.com", "a@b@c"])
def test_user_bad_emails_are_refused(store, role, email):
    with pytest.raises(InvalidValue, match="is not an email address"):
        store.users.create(email, role_id=role.id, password_hash=None)


def test_user_needs_an_existing_role(store):
    with pytest.raises(InvalidValue, match="no role with id 'ghost'"):
        store.users.create("ana@example.com", role_id="ghost", password_hash=None)


def test_user_update_password_login_and_sso_only(store, role):
    other = store.roles.create("Readers", ["AlertRead"])
    user = store.users.create("ana@example.com", role_id=role.id, password_hash=None)
    assert not user.has_password
    updated = store.users.update(user.id, given_name="Ana", role_id=other.id, enabled=False)
    assert (updated.given_name, updated.role_id, updated.enabled) == ("Ana", other.id, False)
    with pytest.raises(InvalidValue, match="no role with id"):
        store.users.update(user.id, role_id="ghost")
    store.users.set_password(user.id, "hash-2")
    assert store.users.get(user.id).has_password and store.users.password_hash(user.id) == "hash-2"
    assert not store.users.rehash_password(user.id, "stale", "hash-3")
    assert store.users.rehash_password(user.id, "hash-2", "hash-3")
    assert store.users.password_hash(user.id) == "hash-3"
    store.users.record_login(user.id, at=T0)
    assert store.users.get(user.id).last_login_at == T0
    with pytest.raises(NotFound, match="no user with id 'ghost'"):
        store.users.update("ghost", enabled=True)


def test_user_list_filters_and_pages(store, role):
    names = [("ana@example.com", "Ana", "Lima"), ("bob@example.com", "Bob", "Stone"),
             ("cy@corp.io", "Cy", "Lima"), ("dee@corp.io", "Dee", "Park")]
    users = [store.users.create(e, role_id=role.id, password_hash=None, given_name=g, family_name=f,
                                at=T0 + timedelta(minutes=n)) for n, (e, g, f) in enumerate(names)]
    store.users.update(users[3].id, enabled=False)
    assert [u.email for u in store.users.list(contains="LIMA")[0]] == ["ana@example.com", "cy@corp.io"]
    assert [u.email for u in store.users.list(contains="corp")[0]] == ["cy@corp.io", "dee@corp.io"]
    assert [u.email for u in store.users.list(contains="ana lima")[0]] == ["ana@example.com"]
    assert len(store.users.list(include_disabled=False)[0]) == 3
    assert [u.id for u in store.users.list(ids=[users[1].id])[0]] == [users[1].id]
    page, cursor = store.users.list(limit=3)
    rest, end = store.users.list(limit=3, cursor=cursor)
    assert [u.email for u in page + rest] == [n[0] for n in names] and end is None
    assert store.users.count() == 4 and store.users.count(enabled=True) == 3
    assert store.users.count(role_id=role.id, enabled=False) == 1
    assert store.roles.user_count(role.id) == 4


def test_user_delete_ends_their_sessions(store, role):
    user = store.users.create("ana@example.com", role_id=role.id, password_hash=None)
    store.sessions.create(_hash("s1"), user_id=user.id, expires_at=T0 + timedelta(hours=1), at=T0)
    assert store.users.delete(user.id) == user
    assert store.users.get(user.id) is None and store.sessions.get(_hash("s1")) is None
    with pytest.raises(NotFound):
        store.users.delete(user.id)


# API tokens
def _token(store, **changes):
    values = {"name": "ci", "secret_hash": _hash("secret"), "permissions": ["AlertRead", "RuleRead"], "at": T0}
    values.update(changes)
    return store.tokens.create(**values)


def test_token_create_and_find_by_hash(store):
    token = _token(store, allowed_cidrs=["10.0.0.0/8"], expires_at=T0 + timedelta(days=30),
                   created_by=ActorRef("user", "u1"), log_type_access_kind="ALLOW", log_type_access=["Okta.SystemLog"])
    assert store.tokens.get(token.id) == token == store.tokens.get_by_hash(_hash("secret"))
    assert token.permissions == ("AlertRead", "RuleRead") and token.allowed_cidrs == ("10.0.0.0/8",)
    assert token.created_by == token.updated_by == ActorRef("user", "u1")
    assert token.expires_at == T0 + timedelta(days=30) and token.last_used_at is None and token.revoked_at is None
    assert (token.log_type_access_kind, token.log_type_access) == ("ALLOW", ("Okta.SystemLog",))
    assert store.tokens.get_by_hash(_hash("other")) is None


@pytest.mark.parametrize("changes, error, message", [
    ({"name": " "}, InvalidValue, "needs a name"),
    ({"secret_hash": "plain-secret"}, InvalidValue, "64 lowercase hex"),
    ({"created_by": ActorRef("robot", "r")}, InvalidValue, "actor type 'robot'"),
    ({"log_type_access_kind": "MOST"}, InvalidValue, "'MOST' is not one of"),
])
def test_token_bad_values_are_refused(store, changes, error, message):
    with pytest.raises(error, match=message):
        _token(store, **changes)


def test_token_secrets_are_unique(store):
    _token(store)
    with pytest.raises(Conflict):
        _token(store, name="again")


def test_token_update_rotate_and_revoke(store):
    token = _token(store)
    admin = ActorRef("user", "admin-1")
    updated = store.tokens.update(token.id, by=admin, name="ci-2", permissions=["AlertRead"],
                                  allowed_cidrs=["192.0.2.0/24"], at=T0 + timedelta(minutes=1))
    assert (updated.name, updated.permissions, updated.allowed_cidrs) == ("ci-2", ("AlertRead",), ("192.0.2.0/24",))
    assert updated.updated_by == admin and updated.created_by == token.created_by
    rotated = store.tokens.rotate(token.id, _hash("secret-2"), by=admin, at=T0 + timedelta(minutes=2))
    assert rotated.rotated_at == T0 + timedelta(minutes=2)
    assert store.tokens.get_by_hash(_hash("secret")) is None
    assert store.tokens.get_by_hash(_hash("secret-2")).id == token.id
    revoked = store.tokens.revoke(token.id, by=admin, at=T0 + timedelta(minutes=3))
    assert revoked.revoked_at == T0 + timedelta(minutes=3)
    assert store.tokens.list()[0] == [] and store.tokens.list(include_revoked=True)[0] == [revoked]
    for action in (lambda: store.tokens.revoke(token.id, by=admin),
                   lambda: store.tokens.rotate(token.id, _hash("x"), by=admin),
                   lambda: store.tokens.update(token.id, by=admin, name="x")):
        with pytest.raises(NotFound, match="no API token with id"):
            action()


def test_token_last_use_is_written_coarsely(store):
    token = _token(store)
    minute = timedelta(minutes=1)
    assert store.tokens.mark_used(token.id, at=T0, coarser_than=minute)
    assert not store.tokens.mark_used(token.id, at=T0 + timedelta(seconds=30), coarser_than=minute)
    assert store.tokens.get(token.id).last_used_at == T0
    assert store.tokens.mark_used(token.id, at=T0 + minute, coarser_than=minute)
    assert store.tokens.get(token.id).last_used_at == T0 + minute


def test_token_list_pages(store):
    for n in range(5):
        _token(store, name=f"t{n}", secret_hash=_hash(f"s{n}"), at=T0 + timedelta(minutes=n))
    page, cursor = store.tokens.list(limit=4)
    rest, end = store.tokens.list(limit=4, cursor=cursor)
    assert [t.name for t in page + rest] == [f"t{n}" for n in range(5)] and end is None


# sessions
def test_sessions_create_find_and_end(store, role):
    ana = store.users.create("ana@example.com", role_id=role.id, password_hash=None)
    bob = store.users.create("bob@example.com", role_id=role.id, password_hash=None)
    first = store.sessions.create(_hash("a1"), user_id=ana.id, expires_at=T0 + timedelta(hours=12),
                                  client_ip="198.51.100.4", user_agent="Firefox", at=T0)
    store.sessions.create(_hash("a2"), user_id=ana.id, expires_at=T0 + timedelta(hours=1), at=T0)
    store.sessions.create(_hash("b1"), user_id=bob.id, expires_at=T0 + timedelta(hours=1), at=T0)
    assert store.sessions.get(_hash("a1")) == first and first.client_ip == "198.51.100.4"
    assert len(store.sessions.for_user(ana.id)) == 2
    assert store.sessions.delete(_hash("a1")) and not store.sessions.delete(_hash("a1"))
    assert store.sessions.purge_expired(now=T0 + timedelta(hours=2)) == 2
    assert store.sessions.get(_hash("a2")) is None and store.sessions.get(_hash("b1")) is None


def test_sessions_end_for_one_user_only(store, role):
    ana = store.users.create("ana@example.com", role_id=role.id, password_hash=None)
    bob = store.users.create("bob@example.com", role_id=role.id, password_hash=None)
    for name, user in (("a1", ana), ("a2", ana), ("b1", bob)):
        store.sessions.create(_hash(name), user_id=user.id, expires_at=T0 + timedelta(hours=1), at=T0)
    assert store.sessions.delete_for_user(ana.id) == 2
    assert store.sessions.for_user(ana.id) == [] and len(store.sessions.for_user(bob.id)) == 1


def test_sessions_need_a_user_and_a_future_expiry(store, role):
    with pytest.raises(InvalidValue, match="no user with id 'ghost'"):
        store.sessions.create(_hash("x"), user_id="ghost", expires_at=T0 + timedelta(hours=1), at=T0)
    ana = store.users.create("ana@example.com", role_id=role.id, password_hash=None)
    with pytest.raises(InvalidValue, match="must expire after"):
        store.sessions.create(_hash("x"), user_id=ana.id, expires_at=T0, at=T0)


def test_users_and_roles_are_atomic_in_one_transaction(store, role):
    with pytest.raises(Conflict):
        with store.transaction():
            store.users.create("ana@example.com", role_id=role.id, password_hash=None)
            store.users.create("ANA@example.com", role_id=role.id, password_hash=None)
    assert store.users.count() == 0
