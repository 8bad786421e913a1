"""Destinations (listed with masked credentials, tested with a sample alert), an alert delivered end to end,
system errors and the metrics summary."""

from __future__ import annotations

import json
import time

from server_fixtures import STOP_LOGGING, Running, start_server

from onca.runtime.demo import example_detections


def test_destinations_are_listed_masked_tested_and_receive_alerts(tmp_path, receiver):
    hook = {"name": "SOC hook", "id": "soc", "kind": "webhook", "url": f"{receiver.url}/hook",
            "signing_secret": "very-secret"}
    client, server, admin = start_server(tmp_path, destinations=[hook], detections=[str(example_detections())])
    with client:
        api = Running(client, server, admin.token, admin.email)
        listed = api.get("/api/v1/destinations").json()["results"]
        assert [(d["outputId"], d["displayName"], d["outputType"]) for d in listed] == [
            ("soc", "SOC hook", "webhook")]
        assert "very-secret" not in json.dumps(listed)
        tested = api.post("/api/v1/destinations/soc/test").json()
        assert tested["success"] is True and tested["statusCode"] == 200
        assert receiver.requests[0].json()["title"]
        assert api.post("/api/v1/destinations/nope/test").status_code == 404

        client.post("/http/trail", content=json.dumps(STOP_LOGGING))
        deadline = time.monotonic() + 30
        while len(receiver.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        delivered = receiver.requests[1].json()
        assert delivered["title"] == "CloudTrail main stopped logging in account 123456789012"
        alert_id = api.get("/api/v1/alerts").json()["results"][0]["id"]
        deadline = time.monotonic() + 10
        while not api.get(f"/api/v1/alerts/{alert_id}").json()["deliveries"] and time.monotonic() < deadline:
            time.sleep(0.05)
        delivery = api.get(f"/api/v1/alerts/{alert_id}").json()["deliveries"][0]
        assert delivery["success"] is True and delivery["outputId"] == "soc" and delivery["statusCode"] == 200


def test_system_errors_and_summary(running):
    from datetime import UTC, datetime

    error = running.server.store.system_errors.report("alert_storm", "Some.Rule", "too many alerts",
                                                      at=datetime.now(UTC))
    listed = running.get("/api/v1/system-errors").json()["results"]
    assert [(e["systemError"], e["status"]) for e in listed] == [
        ({"type": "alert_storm", "sourceId": "Some.Rule"}, "OPEN")]
    as_alerts = running.get("/api/v1/alerts", params={"type": "SYSTEM_ERROR"}).json()["results"]
    assert as_alerts[0]["id"] == error.id and as_alerts[0]["type"] == "SYSTEM_ERROR"
    assert running.post(f"/api/v1/system-errors/{error.id}/resolve").json()["status"] == "RESOLVED"
    assert running.get("/api/v1/system-errors", params={"resolved": False}).json()["results"] == []
    assert running.post("/api/v1/system-errors/nope/resolve").status_code == 404

    running.client.post("/http/trail", content=json.dumps(STOP_LOGGING))
    running.settle()
    summary = running.get("/api/v1/metrics/summary").json()
    assert summary["sources"]["trail"]["events"] == {"AWS.CloudTrail": 1}
    assert summary["detection"]["findings"]["match"] == 1
    assert summary["spool"] == {"payloads": 0, "bytes": 0}
