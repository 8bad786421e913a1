"""The matcher: selectors (JSON paths, top-level fields, p_any_* fields, arrays), exact and CIDR keys (IPv4 and
IPv6, the narrowest network first), the shape of p_enrichment, and enrichment through the ingest pipeline into
the lake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onca.enrich import Enricher, LookupService, LookupTableDefinition, SelectorError, build_table, \
    compile_selector, settings_from
from onca.ingest.decode import RawRecord
from onca.ingest.lake_sink import LakeSink
from onca.ingest.pipeline import Pipeline, Source
from onca.lake import LakeWriter
from onca.runtime.lake_access import open_lake
from onca.schema import Registry

NETWORKS = (b"cidr,name\n10.0.0.0/8,corp\n10.1.0.0/16,lab\n10.1.2.0/24,bench\n192.0.2.7/32,gateway\n"
            b"2001:db8::/32,v6 corp\n2001:db8:1::/48,v6 lab\n")


def table(name: str, data: bytes, key: str, selectors: dict[str, list[str]], *, enabled: bool = True, fmt="csv"):
    settings = settings_from({"lookupName": name, "primaryKey": key, "enabled": enabled,
                              "associatedLogTypes": [{"logType": t, "selectors": s} for t, s in selectors.items()]},
                             where="test")
    return build_table(LookupTableDefinition(settings, "api"), data, fmt=fmt)


def enrich(tables, log_type: str, event: dict) -> dict:
    Enricher(tables).apply(log_type, [event])
    return event


def test_selectors_read_paths_fields_and_arrays():
    event = {"client": {"ipAddress": "1.2.3.4"}, "sourceIPs": ["5.6.7.8", None, "9.9.9.9"], "a.b": "x",
             "actors": [{"ip": "1.1.1.1"}, {"ip": "2.2.2.2"}], "only": [{"ip": "3.3.3.3"}]}
    selected = compile_selector("$.client.ipAddress").select(event)
    assert (selected.values, selected.is_array, compile_selector("$.client.ipAddress").key) == (
        ["1.2.3.4"], False, "client.ipAddress")
    assert compile_selector("sourceIPs").select(event).values == ["5.6.7.8", "9.9.9.9"]
    assert compile_selector("sourceIPs").select(event).is_array
    assert compile_selector("a.b").select(event).values == ["x"]  # a top-level name holding a dot
    assert compile_selector("client.ipAddress").select(event).values == ["1.2.3.4"]  # "$." left out
    wildcard = compile_selector("$.actors[*].ip")
    assert (wildcard.select(event).values, wildcard.select(event).is_array, wildcard.key) == (
        ["1.1.1.1", "2.2.2.2"], True, "actors[*].ip")
    assert compile_selector("$.only[*].ip").select(event).values == ["3.3.3.3"]
    assert compile_selector("$.missing.path").select(event).values == []
    assert compile_selector("$.client.ipAddress.deeper").select(event).values == []
    with pytest.raises(SelectorError, match="not a valid JSON path"):
        compile_selector("$.actors[")
    with pytest.raises(SelectorError, match="non-empty"):
        compile_selector("  ")


def test_p_enrichment_has_the_row_and_p_match_per_selector():
    owners = table("owners", b"user,team\nalice,platform\nbob,security\n", "user",
                   {"Okta.SystemLog": ["$.actor.alternateId", "p_any_usernames"]})
    event = enrich([owners], "Okta.SystemLog", {"actor": {"alternateId": "alice"},
                                                "p_any_usernames": ["bob", "carol", "alice"]})
    assert event["p_enrichment"] == {"owners": {
        "actor.alternateId": {"user": "alice", "team": "platform", "p_match": "alice"},
        "p_any_usernames": [{"user": "bob", "team": "security", "p_match": "bob"},
                            {"user": "alice", "team": "platform", "p_match": "alice"}]}}
    untouched = enrich([owners], "Okta.SystemLog", {"actor": {"alternateId": "mallory"}})
    assert "p_enrichment" not in untouched
    other_type = enrich([owners], "AWS.CloudTrail", {"actor": {"alternateId": "alice"}})
    assert "p_enrichment" not in other_type


def test_cidr_keys_match_the_narrowest_network_holding_the_address():
    networks = table("networks", NETWORKS, "cidr", {"AWS.VPCFlow": ["srcAddr", "dstAddr", "p_any_ip_addresses"]})
    assert networks.index.cidr
    event = enrich([networks], "AWS.VPCFlow", {
        "srcAddr": "10.1.2.3", "dstAddr": "2001:db8:1::9", "p_any_ip_addresses": [
            "10.200.0.1", "10.1.9.9", "192.0.2.7", "192.0.2.8", "2001:db8:ffff::1", "::ffff:10.1.2.200", "x"]})
    found = event["p_enrichment"]["networks"]
    assert found["srcAddr"] == {"cidr": "10.1.2.0/24", "name": "bench", "p_match": "10.1.2.3"}
    assert found["dstAddr"] == {"cidr": "2001:db8:1::/48", "name": "v6 lab", "p_match": "2001:db8:1::9"}
    assert [(m["name"], m["p_match"]) for m in found["p_any_ip_addresses"]] == [
        ("corp", "10.200.0.1"), ("lab", "10.1.9.9"), ("gateway", "192.0.2.7"), ("v6 corp", "2001:db8:ffff::1"),
        ("bench", "::ffff:10.1.2.200")]
    lookup = networks.lookup
    assert lookup("10.1.2.0/24")["name"] == "bench" and lookup("10.9.0.0/16") is None  # networks by themselves
    assert lookup("11.0.0.1") is None and lookup("2001:db9::1") is None


def test_exact_keys_compare_as_text_and_flags_never_match():
    ports = table("ports", b'{"port": 22, "service": "ssh"}\n{"port": "443", "service": "https"}\n'
                           b'{"port": true, "service": "flag"}\n', "port", {"Zeek.Conn": ["id_resp_p"]}, fmt="jsonl")
    assert not ports.index.cidr and len(ports.rows) == 2
    assert [str(p) for p in ports.problems] == ["line 3: no value for the primary key 'port'"]
    assert ports.lookup(22)["service"] == "ssh" and ports.lookup("22")["service"] == "ssh"
    assert ports.lookup(443)["service"] == "https" and ports.lookup(True) is None
    event = enrich([ports], "Zeek.Conn", {"id_resp_p": 443})
    assert event["p_enrichment"]["ports"]["id_resp_p"]["p_match"] == 443


def test_several_tables_disabled_tables_and_enrichment_already_there():
    owners = table("owners", b"user,team\nalice,platform\n", "user", {"Okta.SystemLog": ["user"]})
    off = table("off", b"user,x\nalice,1\n", "user", {"Okta.SystemLog": ["user"]}, enabled=False)
    also = table("also", b"user,y\nalice,2\n", "user", {"Okta.SystemLog": ["user"]})
    event = enrich([owners, off, also], "Okta.SystemLog", {"user": "alice", "p_enrichment": {
        "owners": {"earlier": {"p_match": "z"}}, "ipinfo_location": {"ip": {"city": "Auckland"}}}})
    assert set(event["p_enrichment"]) == {"owners", "also", "ipinfo_location"}
    assert set(event["p_enrichment"]["owners"]) == {"earlier", "user"}


def test_the_pipeline_enriches_events_before_the_lake_and_tables_change_live(tmp_path: Path):
    registry = Registry.builtin()
    service = LookupService(registry, lake_root=tmp_path / "lake", shared_file=tmp_path / "shared.sqlite3")
    writer = LakeWriter(tmp_path / "lake")
    pipeline = Pipeline(registry, [LakeSink(registry, writer)], steps=[service])
    source = Source(("AWS.CloudTrail",))

    def ingest(event_id: str, address: str) -> None:
        record = {"eventVersion": "1.08", "eventTime": "2026-11-27T10:00:00Z", "eventSource": "s3.amazonaws.com",
                  "eventName": "GetObject", "awsRegion": "us-east-1", "sourceIPAddress": address,
                  "eventID": event_id, "eventType": "AwsApiCall", "recipientAccountId": "123456789012",
                  "userIdentity": {"type": "IAMUser", "userName": "alice"}}
        pipeline.ingest_records([RawRecord(json.dumps(record), 0)], source)
        writer.flush()

    ingest("e-1", "10.1.2.3")  # no tables yet
    service.put(table("networks", NETWORKS, "cidr", {"AWS.CloudTrail": ["sourceIPAddress", "p_any_ip_addresses"]}))
    ingest("e-2", "10.1.2.3")
    lake = open_lake(tmp_path / "lake", registry)
    rows = lake.query("SELECT eventID, p_enrichment->'$.networks.sourceIPAddress'->>'name' AS name, "
                      "json_array_length(p_enrichment->'$.networks.p_any_ip_addresses') AS n "
                      "FROM panther_logs.aws_cloudtrail ORDER BY eventID").to_pylist()
    assert rows == [{"eventID": "e-1", "name": None, "n": None}, {"eventID": "e-2", "name": "bench", "n": 1}]
    joined = lake.query("SELECT e.eventID, l.name FROM panther_logs.aws_cloudtrail e "
                        "JOIN panther_lookups.networks l ON l.cidr = '10.1.2.0/24' WHERE e.eventID = 'e-2'")
    assert joined.to_pylist() == [{"eventID": "e-2", "name": "bench"}]
    service.remove("networks")
    assert "panther_lookups.networks" not in lake.tables()
    writer.close()

