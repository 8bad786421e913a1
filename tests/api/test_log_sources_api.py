"""HTTP log sources managed through the API: created, used, changed, deleted, and kept across restarts."""

from __future__ import annotations

import json

from server_fixtures import OKTA_EVENT, Running, start_server

NEW_SOURCE = {"integrationLabel": "Okta prod", "logTypes": ["Okta.SystemLog"], "logStreamType": "Auto",
              "authMethod": "Bearer", "authBearerToken": "tok-1"}


def test_a_source_created_through_the_api_takes_data_at_once_and_survives_a_restart(tmp_path):
    client, server, admin = start_server(tmp_path)
    with client:
        api = Running(client, server, admin.token, admin.email)
        created = api.post("/api/v1/log-sources/http", json=NEW_SOURCE)
        assert created.status_code == 201, created.text
        source = created.json()
        assert source["managedBy"] == "api" and source["integrationLabel"] == "Okta prod"
        assert "authBearerToken" not in source and source["createdBy"] == admin.email
        url = f"/http/{source['integrationId']}"
        assert client.post(url, content=json.dumps(OKTA_EVENT), headers={"Authorization": "Bearer tok-1"},
                           ).status_code == 200
        listed = {s["integrationId"]: s["managedBy"] for s in api.get("/api/v1/log-sources/http").json()["results"]}
        assert listed == {"okta": "config", "trail": "config", source["integrationId"]: "api"}

    client, server, admin = start_server(tmp_path)  # a restart on the same data
    with client:
        assert client.post(url, content=json.dumps(OKTA_EVENT), headers={"Authorization": "Bearer tok-1"},
                           ).status_code == 200
    assert server.service.counts[source["integrationId"]].events == {"Okta.SystemLog": 1}


def test_update_keeps_secrets_left_out_and_delete_stops_the_source(running):
    source = running.post("/api/v1/log-sources/http", json={**NEW_SOURCE, "integrationId": "okta2"}).json()
    url = f"/api/v1/log-sources/http/{source['integrationId']}"
    changed = running.client.put(url, headers=running.headers,
                                 json={**{k: v for k, v in NEW_SOURCE.items() if k != "authBearerToken"},
                                       "integrationLabel": "Okta renamed"})
    assert changed.status_code == 200 and changed.json()["integrationLabel"] == "Okta renamed"
    assert running.client.post("/http/okta2", content=json.dumps(OKTA_EVENT),
                               headers={"Authorization": "Bearer tok-1"}).status_code == 200
    assert running.delete(url).status_code == 204
    assert running.client.post("/http/okta2", content=b"{}").status_code == 404
    assert running.get(url).status_code == 404


def test_bad_sources_and_config_sources_are_refused_with_the_reason(running):
    unknown = running.post("/api/v1/log-sources/http", json={**NEW_SOURCE, "logTypes": ["Nope.Log"]})
    assert unknown.status_code == 400 and "unknown log types: Nope.Log" in unknown.json()["message"]
    incomplete = running.post("/api/v1/log-sources/http", json={**NEW_SOURCE, "authBearerToken": ""})
    assert incomplete.status_code == 400 and "authBearerToken" in incomplete.json()["message"]
    twice = running.post("/api/v1/log-sources/http", json={**NEW_SOURCE, "integrationId": "okta"})
    assert twice.status_code == 409
    assert running.delete("/api/v1/log-sources/http/okta").status_code == 409
    assert running.client.put("/api/v1/log-sources/http/okta", headers=running.headers,
                              json=NEW_SOURCE).status_code == 409
    assert running.get("/api/v1/log-sources/http/okta").json()["managedBy"] == "config"
