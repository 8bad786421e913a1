"""POST /http/{source}: authenticated, size-limited, acknowledged once durable, and nothing accepted is lost."""

from __future__ import annotations

import gzip
import json

from fastapi.testclient import TestClient
from server_fixtures import OKTA_EVENT, start_server

from onca.runtime.lake_access import open_lake

SECRET = {"X-Okta-Secret": "s3cret"}


def lake_rows(server, sql):
    return open_lake(server.paths.lake, server.registry).query(sql).to_pylist()


def test_accepted_payloads_reach_the_lake_and_bad_records_become_failures(tmp_path):
    client, server, _ = start_server(tmp_path)
    with client:
        assert client.post("/http/okta", content=json.dumps(OKTA_EVENT), headers=SECRET).json() == {
            "accepted": True, "bytes": len(json.dumps(OKTA_EVENT))}
        ndjson = "\n".join(json.dumps({**OKTA_EVENT, "uuid": f"u-{n}"}) for n in range(2, 5)) + "\nnot json\n"
        assert client.post("/http/okta/bulk", content=gzip.compress(ndjson.encode()), headers=SECRET,
                           ).status_code == 200
    # leaving the client shut the server down: everything accepted is in the lake
    rows = lake_rows(server, "SELECT uuid FROM panther_logs.okta_systemlog ORDER BY uuid")
    assert [r["uuid"] for r in rows] == ["u-1", "u-2", "u-3", "u-4"]
    failures = lake_rows(server, "SELECT raw FROM onca_system.classification_failures")
    assert failures == [{"raw": "not json"}]


def test_requests_are_refused_with_the_reason(tmp_path):
    client, server, _ = start_server(tmp_path)
    with client:
        wrong = client.post("/http/okta", content=b"{}", headers={"X-Okta-Secret": "guess"})
        assert wrong.status_code == 401 and "wrong secret" in wrong.json()["message"]
        assert client.post("/http/okta", content=b"{}").status_code == 401
        missing = client.post("/http/nope", content=b"{}")
        assert missing.status_code == 404 and "no HTTP log source 'nope'" in missing.json()["message"]
        big = client.post("/http/okta", content=b"x" * 5000, headers=SECRET)
        assert big.status_code == 413 and "4,096" in big.json()["message"]
        assert client.post("/http/okta", content=b"  \n", headers=SECRET).status_code == 400
        assert client.get("/http/okta").status_code == 405
    assert server.service.counts.get("okta") is None  # nothing refused was kept


def test_health_readiness_and_metrics(tmp_path):
    client, server, _ = start_server(tmp_path)
    with client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"] == {"store": "ok", "ingest": "ok"}
        client.post("/http/okta", content=json.dumps(OKTA_EVENT), headers=SECRET)
        client.post("/http/okta", content=b"garbage", headers=SECRET)
        server.service.stop()  # process and commit everything now
        metrics = client.get("/metrics").text
        assert 'onca_events_ingested_total{log_type="Okta.SystemLog",source="okta"} 1.0' in metrics
        assert 'onca_classification_failures_total{source="okta"} 1.0' in metrics
        assert 'onca_http_payloads_accepted_total{source="okta"} 2.0' in metrics
        assert "onca_spool_payloads 0.0" in metrics
        not_ready = client.get("/readyz")
        assert not_ready.status_code == 503 and not_ready.json()["checks"]["ingest"] == "not running"


def test_the_server_wide_allowlist_guards_the_api_but_not_the_sources(tmp_path):
    client, server, admin = start_server(tmp_path, allowedCidrs=["10.0.0.0/8"])
    with client:  # the test client's address is not an IP at all: outside every block
        refused = client.get("/api/v1/alerts", headers={"X-API-Key": admin.token})
        assert refused.status_code == 403 and "may not use the API" in refused.json()["message"]
        assert client.post("/graphql", json={"query": "{ metrics { spoolPayloads } }"}).status_code == 403
        assert client.post("/http/okta", content=json.dumps(OKTA_EVENT), headers=SECRET).status_code == 200
        assert client.get("/healthz").status_code == 200
    inside = TestClient(client.app, client=("10.1.2.3", 50000))
    with inside:
        assert inside.get("/api/v1/alerts", headers={"X-API-Key": admin.token}).status_code == 200
