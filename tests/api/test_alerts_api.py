"""Alerts over REST and GraphQL, as Panther's API shapes them, from events sent to an HTTP source."""

from __future__ import annotations

import json

from server_fixtures import STOP_LOGGING


def raise_alert(running) -> dict:
    assert running.client.post("/http/trail", content=json.dumps({"Records": [STOP_LOGGING]})).status_code == 200
    return running.first_alert()


def test_an_event_through_an_http_source_becomes_an_alert_the_api_shows(running):
    alert = raise_alert(running)
    assert alert["type"] == "ALERT" and alert["status"] == "OPEN" and alert["severity"] == "HIGH"
    assert alert["detection"] == {"id": "Demo.AWS.CloudTrail.LoggingStopped", "type": "RULE",
                                  "version": alert["detection"]["version"], "name": "CloudTrail logging stopped"}
    assert alert["title"] == "CloudTrail main stopped logging in account 123456789012"
    assert alert["eventCount"] == 1 and alert["logTypes"] == ["AWS.CloudTrail"]
    full = running.get(f"/api/v1/alerts/{alert['id']}").json()
    assert full["deliveries"] == [] and full["history"][0]["action"] == "create"
    events = running.get(f"/api/v1/alerts/{alert['id']}/events").json()
    assert [e["eventName"] for e in events["results"]] == ["StopLogging"] and events["next"] is None
    assert events["results"][0]["p_alert_id"] == alert["id"]


def test_triage_update_bulk_update_and_comments(running):
    alert = raise_alert(running)
    updated = running.patch(f"/api/v1/alerts/{alert['id']}", json={"status": "TRIAGED", "assignee": "alice"})
    assert updated.status_code == 200
    assert updated.json()["status"] == "TRIAGED" and updated.json()["assignee"] == {"id": "alice", "type": "user"}
    assert running.patch("/api/v1/alerts", json={"ids": [alert["id"]], "status": "RESOLVED"}).status_code == 204
    assert running.get("/api/v1/alerts", params={"status": "RESOLVED"}).json()["results"][0]["id"] == alert["id"]
    assert running.get("/api/v1/alerts", params={"status": "OPEN"}).json()["results"] == []
    comment = running.post("/api/v1/alert-comments", json={"alertId": alert["id"], "body": "expected change",
                                                          "format": "PLAIN_TEXT"})
    assert comment.status_code == 200 and comment.json()["body"] == "expected change"
    listed = running.get("/api/v1/alert-comments", params={"alert-id": alert["id"]}).json()["results"]
    assert [c["body"] for c in listed] == ["expected change"]
    history = running.get(f"/api/v1/alerts/{alert['id']}").json()["history"]
    assert [(h["field"], h["new"]) for h in history if h["action"] == "update"] == [
        ("status", "triaged"), ("assignee", "alice"), ("status", "resolved")]
    assert {h["actor"] for h in history if h["action"] == "update"} == {running.admin_email}


def test_filters_paging_and_bad_requests(running):
    alert = raise_alert(running)
    assert running.get("/api/v1/alerts", params={"log-type": "AWS.CloudTrail"}).json()["results"][0]["id"] == \
        alert["id"]
    assert running.get("/api/v1/alerts", params={"log-type": "Okta.SystemLog"}).json()["results"] == []
    assert running.get("/api/v1/alerts", params={"severity": "LOW"}).json()["results"] == []
    assert running.get("/api/v1/alerts", params={"type": "DETECTION_ERROR"}).json()["results"] == []
    assert running.get("/api/v1/alerts", params={"event-count-min": 2}).json()["results"] == []
    assert running.get("/api/v1/alerts", params={"cursor": "junk"}).status_code == 400
    assert running.get("/api/v1/alerts", params={"limit": 500}).status_code == 422
    assert running.get("/api/v1/alerts/nope").status_code == 404
    bad = running.patch(f"/api/v1/alerts/{alert['id']}", json={"status": "DONE"})
    assert bad.status_code == 422 and "status" in bad.json()["message"]


def test_the_api_needs_credentials(running):
    assert running.client.get("/api/v1/alerts").status_code == 401
    assert running.client.get("/api/v1/alerts", headers={"X-API-Key": "not-a-token"}).status_code == 401


def test_graphql_alerts_and_status_update(running):
    alert = raise_alert(running)
    query = "{ alerts(input: {pageSize: 10}) { edges { node { id title severity status eventCount } } " \
            "pageInfo { hasNextPage endCursor } } }"
    data = running.post("/public/graphql", json={"query": query}).json()["data"]["alerts"]
    assert data["edges"][0]["node"]["id"] == alert["id"] and data["pageInfo"]["hasNextPage"] is False
    mutation = 'mutation { updateAlertStatusById(input: {ids: ["%s"], status: "RESOLVED"}) { alerts { status } } }'
    result = running.post("/graphql", json={"query": mutation % alert["id"]}).json()
    assert result["data"]["updateAlertStatusById"]["alerts"] == [{"status": "RESOLVED"}]
    anonymous = running.client.post("/graphql", json={"query": query}).json()
    assert "authentication required" in anonymous["errors"][0]["message"]


def test_graphql_users_roles_sources_and_metrics(running):
    query = "{ users roles logSources { integrationId logTypes authMethod } metrics { classificationFailures } }"
    data = running.post("/graphql", json={"query": query}).json()["data"]
    assert [u["email"] for u in data["users"]] == [running.admin_email]
    assert {"Admin", "Analyst", "AnalystReadOnly"} <= {r["name"] for r in data["roles"]}
    assert {s["integrationId"] for s in data["logSources"]} == {"okta", "trail"}
    assert data["metrics"]["classificationFailures"] == 0
