"""Lookup tables over REST on a running server: created, filled and changed through the API, they enrich the
next events sent to an HTTP source (p_enrichment in the rule match, event.lookup in the rule); tables of content
trees and of the config file are listed but change only in their files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from server_fixtures import STOP_LOGGING, Running, start_server

from onca.runtime.lake_access import open_lake

RULE_PY = '''
def rule(event):
    return event.deep_get("p_enrichment", "bad_ips", "sourceIPAddress", "owner") is not None


def title(event):
    row = event.lookup("bad_ips", event.get("sourceIPAddress")) or {}
    return f"{event.get('sourceIPAddress')} belongs to {row.get('owner')}"


def alert_context(event):
    return {"owner": event.deep_get("p_enrichment", "bad_ips", "sourceIPAddress", "owner")}
'''
RULE_YML = """AnalysisType: rule
RuleID: Test.BadIp
Filename: bad_ip.py
Enabled: true
Severity: High
LogTypes: [AWS.CloudTrail]
"""
CONTENT_TABLE = """AnalysisType: lookup_table
LookupName: aws_accounts
Enabled: true
Filename: accounts.csv
Schema: Custom.NotInTheRegistry
LogTypeMap:
  PrimaryKey: account_id
  AssociatedLogTypes:
    - LogType: AWS.CloudTrail
      Selectors: [recipientAccountId]
"""
TABLE = {"lookupName": "bad_ips", "primaryKey": "ip", "description": "known bad addresses",
         "associatedLogTypes": [{"logType": "AWS.CloudTrail", "selectors": ["sourceIPAddress"]}]}


@pytest.fixture
def running(tmp_path):
    content = tmp_path / "content"
    (content / "rules").mkdir(parents=True)
    (content / "rules" / "bad_ip.yml").write_text(RULE_YML)
    (content / "rules" / "bad_ip.py").write_text(RULE_PY)
    (content / "lookup_tables").mkdir()
    (content / "lookup_tables" / "accounts.yml").write_text(CONTENT_TABLE)
    (content / "lookup_tables" / "accounts.csv").write_text("account_id,team\n123456789012,platform\n")
    vpns = tmp_path / "vpns.jsonl"
    vpns.write_text('{"cidr": "203.0.113.0/24", "provider": "ExampleVPN"}\n')
    config_table = {"lookupName": "vpns", "primaryKey": "cidr", "file": str(vpns),
                    "associatedLogTypes": [{"logType": "AWS.CloudTrail", "selectors": ["sourceIPAddress"]}]}
    client, server, admin = start_server(tmp_path / "data", detections=[str(content)], lookupTableMaxBytes=2048,
                                         lookupTables=[config_table])
    with client:
        yield Running(client, server, admin.token, admin.email)


def send(running, **changes) -> None:
    body = json.dumps({"Records": [{**STOP_LOGGING, **changes}]})
    assert running.client.post("/http/trail", content=body).status_code == 200
    running.settle()


def enrichment_in_lake(running, event_id: str) -> dict | None:
    lake = open_lake(running.server.paths.lake, running.server.registry)
    rows = lake.query(f"SELECT p_enrichment FROM panther_logs.aws_cloudtrail WHERE eventID = '{event_id}'")
    value = rows.to_pylist()[0]["p_enrichment"]
    return json.loads(value) if value else None


def test_a_table_created_and_filled_through_the_api_enriches_the_next_events(running):
    created = running.post("/api/v1/lookup-tables", json=TABLE)
    assert created.status_code == 201, created.text
    table = created.json()
    assert table["lookupName"] == "bad_ips" and table["managedBy"] == "api" and table["isManaged"] is False
    assert table["rowCount"] == 0 and table["lakeTable"] == "panther_lookups.bad_ips"
    uploaded = running.post(f"/api/v1/lookup-tables/{table['id']}/data",
                            content=b"ip,owner\n198.51.100.7,mallory\n198.51.100.8\n",
                            headers={"Content-Type": "text/csv"})
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["rowCount"] == 1
    assert uploaded.json()["dataProblems"] == [{"line": 3, "message": "has 1 value; the header names 2 columns"}]

    send(running, eventID="e-1")
    alert = running.first_alert()
    assert alert["title"] == "198.51.100.7 belongs to mallory"  # event.lookup in the rule
    events = running.get(f"/api/v1/alerts/{alert['id']}/events").json()["results"]
    assert json.loads(events[0]["p_enrichment"])["bad_ips"]["sourceIPAddress"] == {
        "ip": "198.51.100.7", "owner": "mallory", "p_match": "198.51.100.7"}
    # the content table (untyped: its schema is not a log type) and the config table (CIDR) enriched it too
    enrichment = enrichment_in_lake(running, "e-1")
    assert enrichment["aws_accounts"]["recipientAccountId"]["team"] == "platform"

    # new rows reach the very next event, in the lake and in event.lookup
    running.post(f"/api/v1/lookup-tables/{table['id']}/data",
                 content=b'{"ip": "198.51.100.7", "owner": "eve"}\n', headers={"Content-Type": "application/x-ndjson"})
    send(running, eventID="e-2")
    assert enrichment_in_lake(running, "e-2")["bad_ips"]["sourceIPAddress"]["owner"] == "eve"
    assert running.server.lookups.lookup_function()(None, "bad_ips", "198.51.100.7") == {
        "ip": "198.51.100.7", "owner": "eve"}
    lake = open_lake(running.server.paths.lake, running.server.registry)
    assert lake.query("SELECT owner FROM panther_lookups.bad_ips").to_pylist() == [{"owner": "eve"}]

    send(running, eventID="e-3", sourceIPAddress="203.0.113.9")
    assert enrichment_in_lake(running, "e-3")["vpns"]["sourceIPAddress"] == {
        "cidr": "203.0.113.0/24", "provider": "ExampleVPN", "p_match": "203.0.113.9"}


def test_tables_are_listed_paged_changed_and_deleted(running):
    listed = running.get("/api/v1/lookup-tables").json()
    assert {(t["lookupName"], t["managedBy"]) for t in listed["results"]} == {
        ("aws_accounts", "content"), ("vpns", "config")}
    content_table = next(t for t in listed["results"] if t["managedBy"] == "content")
    assert content_table["isManaged"] and content_table["rowCount"] == 1 and content_table["schema"] == \
        "Custom.NotInTheRegistry" and content_table["definedIn"].endswith("accounts.yml")
    assert running.get("/api/v1/lookup-tables/vpns").json()["matchesCidr"] is True

    table = running.post("/api/v1/lookup-tables", json=TABLE).json()
    first = running.get("/api/v1/lookup-tables?limit=2").json()
    rest = running.get(f"/api/v1/lookup-tables?limit=2&cursor={first['next']}").json()
    assert [t["lookupName"] for t in first["results"] + rest["results"]] == ["aws_accounts", "bad_ips", "vpns"]
    assert rest["next"] is None

    rows = ("ip,owner\n" + "".join(f"10.0.0.{n},o{n}\n" for n in range(1, 4))).encode()
    running.post(f"/api/v1/lookup-tables/{table['id']}/data?format=csv", content=rows)
    page = running.get(f"/api/v1/lookup-tables/{table['id']}/data?limit=2").json()
    more = running.get(f"/api/v1/lookup-tables/{table['id']}/data?limit=2&cursor={page['next']}").json()
    assert [r["owner"] for r in page["results"] + more["results"]] == ["o1", "o2", "o3"] and more["next"] is None

    changed = running.client.put(f"/api/v1/lookup-tables/{table['id']}", headers=running.headers,
                                 json={**TABLE, "lookupName": "bad_hosts", "enabled": False})
    assert changed.status_code == 200 and changed.json()["rowCount"] == 3 and changed.json()["enabled"] is False
    lake = open_lake(running.server.paths.lake, running.server.registry)
    assert "panther_lookups.bad_hosts" in lake.tables() and "panther_lookups.bad_ips" not in lake.tables()

    assert running.delete(f"/api/v1/lookup-tables/{table['id']}").status_code == 204
    assert running.get(f"/api/v1/lookup-tables/{table['id']}").status_code == 404
    assert "panther_lookups.bad_hosts" not in lake.tables()
    assert running.server.store.lookup_tables.get(table["id"]) is None


def test_bad_requests_are_refused_with_what_is_wrong(running):
    table = running.post("/api/v1/lookup-tables", json=TABLE).json()
    url = f"/api/v1/lookup-tables/{table['id']}/data"
    running.post(url, content=b"ip,owner\n198.51.100.7,mallory\n")

    nothing_usable = running.post(url, content=b'not json\n["x"]\n', params={"format": "jsonl"})
    assert nothing_usable.status_code == 400
    assert "line 1: not valid JSON (column 1" in nothing_usable.json()["message"]
    assert "line 2: expected a JSON object, got a JSON array" in nothing_usable.json()["message"]
    no_key = running.post(url, content=b'{"owner": "x"}\n{"ip": ""}\n', params={"format": "jsonl"})
    assert no_key.status_code == 400 and "line 1: no value for the primary key 'ip'" in no_key.json()["message"]
    assert running.get(url).json()["results"] == [{"ip": "198.51.100.7", "owner": "mallory"}]  # kept its rows
    not_utf8 = running.post(url, content=b"ip,owner\n\xff\xfe,x\n")
    assert not_utf8.status_code == 400 and "line 2" in not_utf8.json()["message"]
    too_big = running.post(url, content=b"ip,owner\n" + b"1.2.3.4,x\n" * 300)
    assert too_big.status_code == 413 and "2,048" in too_big.json()["message"]
    assert running.post(url, content=b"  ").status_code == 400
    assert running.post(url, content=b"ip\n1.2.3.4\n", params={"format": "xml"}).status_code == 400

    for body, expected in [
        ({**TABLE, "associatedLogTypes": [{"logType": "Nope.Nothing", "selectors": ["ip"]}]}, "unknown log types"),
        ({**TABLE, "lookupName": "other", "schema": "Nope.Nothing"}, "is not a log type"),
        ({**TABLE, "lookupName": "BAD IPS"}, "already has this name or lake table"),
        ({**TABLE, "lookupName": "vpns"}, "already has this name"),
    ]:
        refused = running.post("/api/v1/lookup-tables", json=body)
        assert refused.status_code in (400, 409) and expected in refused.json()["message"], refused.text
    invalid = running.post("/api/v1/lookup-tables", json={**TABLE, "associatedLogTypes": [
        {"logType": "AWS.CloudTrail", "selectors": ["$.a[["]}]})
    assert invalid.status_code == 422 and "not a valid JSON path" in invalid.json()["message"]

    for method, path in [("PUT", "/api/v1/lookup-tables/aws_accounts"), ("DELETE", "/api/v1/lookup-tables/vpns"),
                         ("POST", "/api/v1/lookup-tables/vpns/data")]:
        answer = running.client.request(method, path, headers=running.headers, json=TABLE)
        assert answer.status_code == 409 and "managed in" in answer.json()["message"], (method, path)
    assert running.get("/api/v1/lookup-tables", params={"cursor": "%%%"}).status_code == 400


def test_api_tables_are_loaded_again_on_start(tmp_path):
    client, server, admin = start_server(tmp_path / "data")
    with client:
        running = Running(client, server, admin.token, admin.email)
        table = running.post("/api/v1/lookup-tables", json=TABLE).json()
        running.post(f"/api/v1/lookup-tables/{table['id']}/data", content=b"ip,owner\n198.51.100.7,mallory\n")
    client, server, _ = start_server(tmp_path / "data")
    with client:
        again = server.lookups.find(table["id"])
        assert again.name == "bad_ips" and again.data_source == "upload" and len(again.rows) == 1
        assert server.lookups.lookup_function()(None, "bad_ips", "198.51.100.7")["owner"] == "mallory"


def test_a_config_table_whose_file_is_missing_stops_the_start(tmp_path):
    table = {**TABLE, "file": str(Path(tmp_path) / "missing.csv")}
    with pytest.raises(ValueError, match="missing.csv"):
        start_server(tmp_path / "data", lookupTables=[table])
