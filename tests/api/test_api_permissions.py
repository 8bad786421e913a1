"""Every route of the API, against each built-in role and without credentials: a route is reached only with
the permission it declares, and no route under /api/v1 is reachable without declaring one (but for signing in
and the caller's own session and token)."""

from __future__ import annotations

import pytest
from fastapi import routing
from fastapi.routing import APIRoute
from server_fixtures import start_server

from onca.api.auth import BUILTIN_ROLES
from onca.api.auth.tokens import issue_token

# Routes any caller may use (signing in and out) or any signed-in principal (about itself)
PUBLIC = {("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/logout"), ("GET", "/api/v1/auth/oidc/login"),
          ("GET", "/api/v1/auth/oidc/callback")}
SIGNED_IN = {("GET", "/api/v1/auth/me"), ("POST", "/api/v1/auth/password")}
# Routes that check their permission in the handler (a token may manage itself, as "self", without one)
IN_HANDLER = {
    ("GET", "/api/v1/api-tokens/{id}"): {"OrganizationAPITokenRead"},
    ("POST", "/api/v1/api-tokens/{id}"): {"OrganizationAPITokenModify"},
    ("DELETE", "/api/v1/api-tokens/{id}"): {"OrganizationAPITokenModify"},
    ("POST", "/api/v1/api-tokens/{id}/rotate"): {"OrganizationAPITokenModify"},
}

# Routes whose permission is spelled out here, so a change to one is a visible decision
DECLARED = {
    ("GET", "/api/v1/destinations"): {"DestinationRead"},
    ("POST", "/api/v1/destinations"): {"DestinationModify"},
    ("GET", "/api/v1/destinations/{id}"): {"DestinationRead"},
    ("PUT", "/api/v1/destinations/{id}"): {"DestinationModify"},
    ("DELETE", "/api/v1/destinations/{id}"): {"DestinationModify"},
    ("POST", "/api/v1/destinations/{id}/test"): {"DestinationModify"},
}
LOOKUP_TABLES = {
    ("GET", "/api/v1/lookup-tables"): {"LookupRead"},
    ("POST", "/api/v1/lookup-tables"): {"LookupModify"},
    ("GET", "/api/v1/lookup-tables/{id}"): {"LookupRead"},
    ("PUT", "/api/v1/lookup-tables/{id}"): {"LookupModify"},
    ("DELETE", "/api/v1/lookup-tables/{id}"): {"LookupModify"},
    ("GET", "/api/v1/lookup-tables/{id}/data"): {"LookupRead"},
    ("POST", "/api/v1/lookup-tables/{id}/data"): {"LookupModify"},
}


def _permissions(dependant) -> set[str]:
    found = set(getattr(dependant.call, "permissions", ()))
    for sub in dependant.dependencies:
        found |= _permissions(sub)
    return found


def api_routes(app) -> list[tuple[str, str, frozenset[str]]]:
    # newer FastAPI keeps included routers nested; iter_route_contexts flattens them with their full paths
    contexts = getattr(routing, "iter_route_contexts", None)
    pairs = ([(c.path, c.original_route) for c in contexts(app.routes)] if contexts
             else [(r.path, r) for r in app.routes])
    routes = []
    for path, route in pairs:
        if isinstance(route, APIRoute) and path and path.startswith("/api/v1"):
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                needed = _permissions(route.dependant) | IN_HANDLER.get((method, path), set())
                routes.append((method, path, frozenset(needed)))
    return routes


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    client, server, _ = start_server(tmp_path_factory.mktemp("permissions"))
    with client:
        tokens = {role: issue_token(server.store, name=role, permissions=sorted(perms)).value
                  for role, perms in BUILTIN_ROLES.items()}
        yield client, api_routes(client.app), tokens


def _url(path: str) -> str:
    return path.replace("{id}", "no-such-id").replace("{source_id}", "none")


def test_every_route_declares_a_permission(api):
    _, routes, _ = api
    assert len(routes) > 40
    undeclared = [(m, p) for m, p, perms in routes if not perms and (m, p) not in PUBLIC | SIGNED_IN]
    assert undeclared == []


def test_destination_routes_declare_their_permissions(api):
    _, routes, _ = api
    declared = {(m, p): set(perms) for m, p, perms in routes if p.startswith("/api/v1/destinations")}
    assert declared == DECLARED


def test_lookup_table_routes_declare_their_permissions(api):
    _, routes, _ = api
    declared = {(m, p): set(perms) for m, p, perms in routes if p.startswith("/api/v1/lookup-tables")}
    assert declared == LOOKUP_TABLES


@pytest.mark.parametrize("role", list(BUILTIN_ROLES))
def test_each_role_reaches_exactly_the_routes_its_permissions_allow(api, role):
    client, routes, tokens = api
    wrong = []
    for method, path, needed in routes:
        if (method, path) in PUBLIC:
            continue
        answer = client.request(method, _url(path), json={}, headers={"X-API-Key": tokens[role]})
        allowed = needed <= BUILTIN_ROLES[role]
        denied_for_permission = answer.status_code == 403 and "permission" in answer.json().get("message", "")
        if not allowed and answer.status_code == 422 and (method, path) in IN_HANDLER:
            continue  # the body is checked before the handler checks the permission: nothing was reached
        if answer.status_code == 401 or answer.status_code >= 500 or allowed == denied_for_permission:
            wrong.append((method, path, sorted(needed), answer.status_code))
    assert wrong == []


def test_no_route_answers_without_credentials(api):
    client, routes, _ = api
    reached = []
    for method, path, _ in routes:
        if (method, path) in PUBLIC:
            continue
        answer = client.request(method, _url(path), json={})
        if answer.status_code != 401:
            reached.append((method, path, answer.status_code))
    assert reached == []
