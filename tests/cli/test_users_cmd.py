"""`onca users` on a real SQLite store in a data directory."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from onca.api.auth import passwords
from onca.api.auth.authn import token_principal
from onca.api.auth.passwords import verify_password
from onca.cli.main import app
from onca.cli.users_cmd import parse_expiry
from onca.store import open_store

runner = CliRunner()
DOC = Path(__file__).resolve().parents[2] / "docs" / "users-and-roles.md"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch):
    monkeypatch.setattr(passwords, "DEFAULT_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def _run(data_dir: Path, *args: str, stdin: str | None = None):
    return runner.invoke(app, ["users", *args, "--data-dir", str(data_dir)], input=stdin)


def _store(data_dir: Path):
    return open_store(f"sqlite:///{data_dir / 'onca.db'}")


def test_users_create_prints_a_generated_password_that_works(data_dir):
    result = _run(data_dir, "create", "ana@example.com", "--role", "Analyst", "--given-name", "Ana")

    assert result.exit_code == 0, result.output
    password = re.search(r"password \(shown only now\): (\S+)", result.output).group(1)
    with _store(data_dir) as store:
        user = store.users.get_by_email("ana@example.com")
        assert user.given_name == "Ana" and store.roles.get(user.role_id).name == "Analyst"
        assert verify_password(store.users.password_hash(user.id), password).ok


def test_users_create_with_password_from_stdin(data_dir):
    result = _run(data_dir, "create", "bob@example.com", "--role", "admin", "--password-stdin",
                  stdin="Correct-Horse-42\n")
    assert result.exit_code == 0, result.output
    assert "shown only now" not in result.output
    with _store(data_dir) as store:
        user = store.users.get_by_email("bob@example.com")
        assert verify_password(store.users.password_hash(user.id), "Correct-Horse-42").ok


def test_users_create_errors_name_the_problem(data_dir):
    unknown = _run(data_dir, "create", "ana@example.com", "--role", "Pilots")
    assert unknown.exit_code == 1 and "--role: no role named 'Pilots'" in unknown.output
    weak = _run(data_dir, "create", "ana@example.com", "--role", "Analyst", "--password-stdin", stdin="short\n")
    assert weak.exit_code == 1 and "at least 12 characters" in weak.output
    assert _run(data_dir, "create", "ana@example.com", "--role", "Analyst").exit_code == 0
    again = _run(data_dir, "create", "ANA@example.com", "--role", "Analyst")
    assert again.exit_code == 1 and "already exists" in again.output


def test_users_list_disable_enable_and_json(data_dir):
    _run(data_dir, "create", "ana@example.com", "--role", "Analyst")
    _run(data_dir, "create", "root@example.com", "--role", "Admin")
    assert _run(data_dir, "disable", "ana@example.com").exit_code == 0

    listed = orjson.loads(_run(data_dir, "list", "--json").output)

    assert [(u["email"], u["role"]["name"], u["enabled"]) for u in listed] == [
        ("ana@example.com", "Analyst", False), ("root@example.com", "Admin", True)]
    active = orjson.loads(_run(data_dir, "list", "--json", "--active-only").output)
    assert [u["email"] for u in active] == ["root@example.com"]
    table = _run(data_dir, "list").output
    assert "ana@example.com" in table and "Analyst" in table
    user_id = listed[0]["id"]
    assert _run(data_dir, "enable", user_id).exit_code == 0
    assert orjson.loads(_run(data_dir, "list", "--json").output)[0]["enabled"] is True
    last_admin = _run(data_dir, "disable", "root@example.com")
    assert last_admin.exit_code == 1 and "last enabled Admin" in last_admin.output
    missing = _run(data_dir, "disable", "ghost@example.com")
    assert missing.exit_code == 1 and "no user with email 'ghost@example.com'" in missing.output


def test_users_reset_password(data_dir):
    _run(data_dir, "create", "ana@example.com", "--role", "Analyst")
    result = _run(data_dir, "reset-password", "ana@example.com")
    assert result.exit_code == 0, result.output
    password = re.search(r"password \(shown only now\): (\S+)", result.output).group(1)
    with _store(data_dir) as store:
        user = store.users.get_by_email("ana@example.com")
        assert verify_password(store.users.password_hash(user.id), password).ok
    chosen = _run(data_dir, "reset-password", "ana@example.com", "--password-stdin", stdin="Chosen-Horse-77\n")
    assert chosen.exit_code == 0 and "shown only now" not in chosen.output


def test_users_roles(data_dir):
    table = _run(data_dir, "roles")
    assert table.exit_code == 0 and "AnalystReadOnly (built-in)" in table.output
    roles = orjson.loads(_run(data_dir, "roles", "--json").output)
    assert [r["name"] for r in roles] == ["Admin", "Analyst", "AnalystReadOnly"]
    assert all(r["users"] == 0 for r in roles)


def test_users_tokens_create_list_and_revoke(data_dir):
    created = _run(data_dir, "tokens", "create", "ci", "-p", "AlertRead", "--permission", "RuleRead",
                   "--expires", "30d", "--allow-cidr", "10.0.0.0/8")
    assert created.exit_code == 0, created.output
    value = re.search(r"(onca_\S+)", created.output).group(1)
    with _store(data_dir) as store:
        principal = token_principal(store, value, client_ip="10.2.3.4")
        assert principal is not None and principal.permissions == {"AlertRead", "RuleRead"}
        assert token_principal(store, value, client_ip="192.0.2.1") is None

    listed = orjson.loads(_run(data_dir, "tokens", "list", "--json").output)
    assert [(t["name"], t["allowedCIDRBlocks"]) for t in listed] == [("ci", ["10.0.0.0/8"])]
    assert "value" not in listed[0] and listed[0]["expiresAt"]
    assert _run(data_dir, "tokens", "revoke", listed[0]["id"]).exit_code == 0
    assert orjson.loads(_run(data_dir, "tokens", "list", "--json").output) == []
    assert len(orjson.loads(_run(data_dir, "tokens", "list", "--json", "--revoked").output)) == 1
    again = _run(data_dir, "tokens", "revoke", listed[0]["id"])
    assert again.exit_code == 1 and "no API token" in again.output


def test_users_tokens_create_all_and_json(data_dir):
    result = _run(data_dir, "tokens", "create", "everything", "-p", "all", "--json")
    body = orjson.loads(result.output)
    assert body["value"].startswith("onca_") and "UserModify" in body["permissions"]


def test_users_tokens_create_errors(data_dir):
    unknown = _run(data_dir, "tokens", "create", "ci", "-p", "FlyPlanes")
    assert unknown.exit_code == 1 and "--permission: unknown permission 'FlyPlanes'" in unknown.output
    cidr = _run(data_dir, "tokens", "create", "ci", "-p", "AlertRead", "--allow-cidr", "10.0.0.0/40")
    assert cidr.exit_code == 1 and "--allow-cidr" in cidr.output
    expiry = _run(data_dir, "tokens", "create", "ci", "-p", "AlertRead", "--expires", "soon")
    assert expiry.exit_code == 2 and "30d" in expiry.output


def test_parse_expiry():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_expiry("30d", now=now) == now + timedelta(days=30)
    assert parse_expiry("12h", now=now) == now + timedelta(hours=12)
    assert parse_expiry("2w", now=now) == now + timedelta(weeks=2)
    assert parse_expiry("2026-02-01", now=now) == datetime(2026, 2, 1, tzinfo=UTC)
    assert parse_expiry("2026-02-01T10:00:00Z", now=now) == datetime(2026, 2, 1, 10, tzinfo=UTC)


def test_users_commands_are_documented():
    text = DOC.read_text()
    for command in ("onca users create", "onca users list", "onca users disable", "onca users enable",
                    "onca users reset-password", "onca users roles", "onca users tokens create",
                    "onca users tokens list", "onca users tokens revoke"):
        assert command in text, command
