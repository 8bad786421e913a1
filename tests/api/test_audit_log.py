"""Every API action is recorded as a Panther.Audit event in the lake, searchable with SQL."""

from __future__ import annotations

from server_fixtures import start_server

from onca.api.audit import action_name, redact
from onca.runtime.lake_access import open_lake


def test_api_actions_land_in_the_audit_table(tmp_path):
    client, server, admin = start_server(tmp_path)
    with client:
        client.get("/api/v1/alerts", headers={"X-API-Key": admin.token, "User-Agent": "audit-test",
                                              "X-Forwarded-For": "203.0.113.9, 10.0.0.1"})
        client.get("/api/v1/alerts")  # no credentials
        client.post("/http/trail", content=b"{}")  # the data plane is not audited
        client.get("/healthz")
    rows = open_lake(server.paths.lake, server.registry).query(
        "SELECT actionName, actionResult, actor, sourceIP, XForwardedFor, userAgent, errors, p_log_type "
        "FROM panther_logs.panther_audit ORDER BY timestamp").to_pylist()
    assert [(r["actionName"], r["actionResult"]) for r in rows] == [("LIST_ALERTS", "SUCCEEDED"),
                                                                    ("LIST_ALERTS", "FAILED")]
    first, second = rows
    assert first["actor"]["type"] == "TOKEN" and first["actor"]["id"]
    assert first["userAgent"] == "audit-test" and first["XForwardedFor"] == ["203.0.113.9", "10.0.0.1"]
    assert first["sourceIP"] == "testclient"  # the test client's peer name
    assert second["actor"]["type"] == "ANONYMOUS" and second["errors"][0]["message"]
    assert {r["p_log_type"] for r in rows} == {"Panther.Audit"}


def test_action_names_follow_panther_where_it_has_them():
    assert action_name("POST", "/api/v1/users") == "CREATE_USER"
    assert action_name("DELETE", "/api/v1/roles/{id}") == "DELETE_USER_ROLE"
    assert action_name("DELETE", "/api/v1/rules/{id}") == "DELETE_DETECTION"
    assert action_name("GET", "/api/v1/alerts/{id}/events") == "LIST_ALERT_EVENTS"
    assert action_name("GET", "/api/v1/alerts/{id}") == "GET_ALERT"


def test_secrets_never_reach_the_audit_log():
    assert redact({"email": "a@b", "password": "pw", "nested": [{"authSecretValue": "s", "name": "x"}],
                   "token": ""}) == {"email": "a@b", "password": "<redacted>",
                                     "nested": [{"authSecretValue": "<redacted>", "name": "x"}], "token": ""}


def test_credentials_in_query_strings_are_redacted():
    from onca.api.audit import redact_query

    assert redact_query("code=abc&state=xyz&next=%2Falerts&api_token=t") == \
        "code=<redacted>&state=<redacted>&next=%2Falerts&api_token=<redacted>"
