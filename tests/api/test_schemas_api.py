"""Custom log schemas through the API: they take effect at once, keep their revisions, survive restarts, and
may grow but not break."""

from __future__ import annotations

import json

from server_fixtures import Running, start_server

from onca.runtime.lake_access import open_lake

SPEC = """
schema: Custom.AppLogin
description: Sign-ins to our app
fields:
  - name: ts
    type: timestamp
    timeFormats: [rfc3339]
    isEventTime: true
    required: true
  - name: user
    type: string
    indicators: [username]
"""
GROWN = SPEC + """  - name: ip
    type: string
    indicators: [ip]
"""
BROKEN = SPEC.replace("name: user\n    type: string", "name: user\n    type: bigint")
SOURCE = {"integrationId": "app", "integrationLabel": "App", "logTypes": ["Custom.AppLogin"]}


def test_a_custom_schema_is_used_at_once_revised_and_kept(tmp_path):
    client, server, admin = start_server(tmp_path)
    with client:
        api = Running(client, server, admin.token, admin.email)
        created = api.post("/api/v1/schemas", json={"spec": SPEC})
        assert created.status_code == 200, created.text
        assert created.json()["revision"] == 1 and created.json()["isManaged"] is False
        assert api.post("/api/v1/log-sources/http", json=SOURCE).status_code == 201
        client.post("/http/app", content=json.dumps({"ts": "2026-11-28T10:00:00Z", "user": "alice"}))
        grown = api.post("/api/v1/schemas", json={"spec": GROWN})
        assert grown.json()["revision"] == 2
        client.post("/http/app", content=json.dumps({"ts": "2026-11-28T10:01:00Z", "user": "bob", "ip": "1.2.3.4"}))
        api.settle()
        shown = api.get("/api/v1/schemas/Custom.AppLogin").json()
        assert shown["spec"] == GROWN and shown["fields"] == 3
        names = {s["name"]: s["isManaged"] for s in api.get("/api/v1/schemas").json()["results"]}
        assert names["Custom.AppLogin"] is False and names["Okta.SystemLog"] is True
        assert "schema: Okta.SystemLog" in api.get("/api/v1/schemas/Okta.SystemLog").json()["spec"]
    rows = open_lake(server.paths.lake, server.registry).query(
        "SELECT user, p_any_usernames FROM panther_logs.custom_applogin ORDER BY ts").to_pylist()
    assert [r["user"] for r in rows] == ["alice", "bob"] and rows[0]["p_any_usernames"] == ["alice"]

    client, server, admin = start_server(tmp_path)  # the schema and the source come back after a restart
    with client:
        assert server.registry.get("Custom.AppLogin").fields[-1].name == "ip"
        assert client.post("/http/app", content=json.dumps({"ts": "2026-11-28T10:02:00Z", "user": "c"})
                           ).status_code == 200


def test_bad_and_breaking_schemas_are_refused_with_the_reason(running):
    invalid = running.post("/api/v1/schemas", json={"spec": "schema: Custom.X\nfields:\n  - name: a\n    type: nope\n"})
    assert invalid.status_code == 400 and "nope" in invalid.json()["message"]
    builtin = running.post("/api/v1/schemas", json={"spec": SPEC.replace("Custom.AppLogin", "Okta.SystemLog")})
    assert builtin.status_code == 400 and "must start with 'Custom.'" in builtin.json()["message"]
    assert running.post("/api/v1/schemas", json={"spec": SPEC}).status_code == 200
    breaking = running.post("/api/v1/schemas", json={"spec": BROKEN})
    assert breaking.status_code == 400 and "field user changes type from string to bigint" in breaking.json()["message"]
    removed = running.post("/api/v1/schemas", json={"spec": SPEC.split("  - name: user")[0]})
    assert removed.status_code == 400 and "field user is removed" in removed.json()["message"]
    assert running.get("/api/v1/schemas/Custom.Nope").status_code == 404
