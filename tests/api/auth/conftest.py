"""A minimal FastAPI app with only the auth router mounted under /api/v1, on a SQLite store in a temporary
folder, with the first Admin bootstrapped. Password hashing uses cheap argon2 parameters to keep tests quick."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from onca.api.auth import BootstrapResult, auth_router, bootstrap_admin, passwords
from onca.api.auth.roles import find_role
from onca.api.auth.users import create_user
from onca.store import Store, UserRecord, open_store

from auth_helpers import API, PASSWORD  # noqa: E402 - this folder is on the path while its tests run


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> PasswordHasher:
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "DEFAULT_HASHER", hasher)
    return hasher


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'onca.db'}")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def app(store: Store) -> FastAPI:
    app = FastAPI()
    app.state.store = store
    app.include_router(auth_router, prefix=API)
    return app


@pytest.fixture
def admin(store: Store) -> BootstrapResult:
    created = bootstrap_admin(store)
    assert created is not None
    return created


@pytest.fixture
def client(app: FastAPI, admin: BootstrapResult) -> Iterator[TestClient]:
    """Anonymous: no credentials."""
    with TestClient(app) as anonymous:
        yield anonymous


@pytest.fixture
def admin_api(app: FastAPI, admin: BootstrapResult) -> Iterator[TestClient]:
    """Sends the bootstrap Admin token."""
    with TestClient(app, headers={"X-API-Key": admin.token}) as api:
        yield api


@pytest.fixture
def make_user(store: Store, admin: BootstrapResult) -> Callable[..., UserRecord]:
    def make(role: str, email: str | None = None, password: str = PASSWORD) -> UserRecord:
        email = email or f"{role.lower()}@example.com"
        return create_user(store, email=email, role=find_role(store, name=role), given_name=role,
                           family_name="User", password=password).user

    return make


@pytest.fixture
def signed_in(app: FastAPI) -> Iterator[Callable[[str, str], TestClient]]:
    """A test client signed in as the user (it keeps the session cookie)."""
    clients: list[TestClient] = []

    def sign_in(email: str, password: str = PASSWORD) -> TestClient:
        browser = TestClient(app)
        answer = browser.post(f"{API}/auth/login", json={"email": email, "password": password})
        assert answer.status_code == 200, answer.text
        clients.append(browser)
        return browser

    yield sign_in
    for browser in clients:
        browser.close()
