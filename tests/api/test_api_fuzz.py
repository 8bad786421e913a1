"""The API fuzzed from its own OpenAPI document (schemathesis): no input makes it fail with a 5xx, with or
without credentials, and without credentials nothing but signing in is reachable."""

from __future__ import annotations

import atexit
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from server_fixtures import server_config

from onca.api.app import create_app
from onca.api.auth import bootstrap_admin
from onca.api.server import OncaServer

# signing in, by password or single sign-on, needs no credentials
PUBLIC = ("/api/v1/auth/login", "/api/v1/auth/logout", "/api/v1/auth/oidc/login", "/api/v1/auth/oidc/callback")
# operations that would end the fuzzing session's own credentials
SPARED = ("/api/v1/api-tokens/{id}", "/api/v1/api-tokens/{id}/rotate", "/api/v1/auth/logout")


def _start():
    """One server for the whole module, built at import: schemathesis turns its OpenAPI document into tests.
    The app does not manage the server's lifecycle (schemathesis enters the app's lifespan for each call), and
    the ingest thread is not started: other tests fork detection workers, which must not inherit threads."""
    server = OncaServer(server_config(), data_dir=Path(tempfile.mkdtemp(prefix="onca-fuzz-")))
    admin = bootstrap_admin(server.store)
    atexit.register(server.stop)
    return create_app(server, manage_lifecycle=False), admin.token


APP, TOKEN = _start()
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])
def test_no_server_errors_for_an_admin(case):
    if case.path in SPARED and case.method.upper() in ("DELETE", "POST") or case.path == "/readyz":
        return  # /readyz answers 503 by design here: the ingest thread is not running
    case.call_and_validate(headers={"X-API-Key": TOKEN}, checks=[not_a_server_error])


@schema.parametrize()
@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])
def test_nothing_is_reachable_without_credentials(case):
    response = case.call(headers={"X-API-Key": ""})
    assert response.status_code < 500 or case.path == "/readyz"
    if not case.path.startswith("/api/v1/") or response.status_code == 405:
        return  # health, metrics and HTTP sources have no API credentials; 405: a method the path lacks
    if case.path not in PUBLIC:
        # 400 and 422: a body that cannot be read is refused before credentials are even looked at
        assert response.status_code in (400, 401, 422), (case.method, case.path, response.status_code)
