"""The ingest service: spooled payloads reach the lake and detection; nothing acknowledged is lost."""

from __future__ import annotations

import gzip
import json

import pytest

from onca.runtime.demo import example_detections
from onca.runtime.http_sources import HttpSource
from onca.runtime.lake_access import open_lake
from onca.runtime.service import IngestService, UnknownSource
from onca.runtime.settings import DetectionSettings
from onca.schema import Registry
from onca.store import open_store

REGISTRY = Registry.builtin()
OKTA = {"uuid": "u-1", "published": "2026-11-27T10:00:00.000Z", "eventType": "user.session.start",
        "version": "0", "severity": "INFO", "legacyEventType": "core.user_auth.login_success",
        "displayMessage": "User login to Okta", "actor": {"id": "00u1", "type": "User",
                                                          "alternateId": "alice@example.com"}}


def okta_event(n: int) -> dict:
    return {**OKTA, "uuid": f"u-{n}"}


def okta_source(**settings) -> HttpSource:
    return HttpSource.model_validate({"integrationId": "okta", "integrationLabel": "Okta",
                                      "logTypes": ["Okta.SystemLog"], **settings})


def service_at(tmp_path, **options) -> IngestService:
    service = IngestService(REGISTRY, tmp_path / "lake", tmp_path / "spool", **options)
    service.add_source(okta_source())
    return service


def lake_rows(tmp_path, sql):
    return open_lake(tmp_path / "lake", REGISTRY).query(sql).to_pylist()


def test_payloads_of_every_shape_reach_the_lake_and_bad_lines_become_failures(tmp_path):
    service = service_at(tmp_path)
    service.accept("okta", json.dumps(okta_event(1)).encode())  # one object
    service.accept("okta", b"\n".join(json.dumps(okta_event(n)).encode() for n in (2, 3)))  # NDJSON
    service.accept("okta", json.dumps([okta_event(4), okta_event(5)]).encode())  # an array
    service.accept("okta", gzip.compress(json.dumps(okta_event(6)).encode() + b"\nnot json at all\n"))
    assert service.stop()
    rows = lake_rows(tmp_path, "SELECT uuid, p_source_id, p_source_label FROM panther_logs.okta_systemlog "
                               "ORDER BY uuid")
    assert [r["uuid"] for r in rows] == [f"u-{n}" for n in range(1, 7)]
    assert {(r["p_source_id"], r["p_source_label"]) for r in rows} == {("okta", "Okta")}
    failures = lake_rows(tmp_path, "SELECT raw, p_source_id FROM onca_system.classification_failures")
    assert failures == [{"raw": "not json at all", "p_source_id": "okta"}]
    assert service.spool.depth() == (0, 0)
    assert service.counts["okta"].events == {"Okta.SystemLog": 6}
    assert service.counts["okta"].failures == 1 and service.counts["okta"].payloads == 4


def test_payloads_accepted_before_a_crash_are_ingested_after_the_restart(tmp_path):
    crashed = service_at(tmp_path)
    crashed.accept("okta", json.dumps(okta_event(1)).encode())
    crashed.process_pending()  # ingested, but never committed: the rows died with the process
    restarted = service_at(tmp_path)
    assert restarted.stop()
    assert lake_rows(tmp_path, "SELECT uuid FROM panther_logs.okta_systemlog") == [{"uuid": "u-1"}]


def test_a_running_service_commits_on_its_own_and_stop_drains_the_spool(tmp_path):
    service = service_at(tmp_path, commit_seconds=0.01)
    service.start()
    for n in range(20):
        service.accept("okta", json.dumps(okta_event(n)).encode())
    assert service.stop()
    assert lake_rows(tmp_path, "SELECT count(*) AS n FROM panther_logs.okta_systemlog") == [{"n": 20}]
    assert service.spool.depth() == (0, 0)


def test_stream_types_lines_and_envelope_field(tmp_path):
    service = IngestService(REGISTRY, tmp_path / "lake", tmp_path / "spool")
    service.add_source(okta_source(integrationId="wrapped", logStreamType="JsonArray",
                                   logStreamTypeOptions={"jsonArrayEnvelopeField": "data.events"}))
    service.add_source(HttpSource.model_validate({
        "integrationId": "syslog", "integrationLabel": "Syslog", "logTypes": ["Syslog.RFC5424"],
        "logStreamType": "Lines"}))
    service.accept("wrapped", json.dumps({"data": {"events": [okta_event(1), okta_event(2)]}}).encode())
    service.accept("wrapped", json.dumps({"data": {}}).encode())
    service.accept("syslog", b"<165>1 2026-11-27T22:14:15.003Z host app 42 ID47 - hello\n"
                             b"<165>1 2026-11-27T22:14:16.003Z host app 42 ID47 - again\n")
    assert service.stop()
    assert lake_rows(tmp_path, "SELECT count(*) AS n FROM panther_logs.okta_systemlog") == [{"n": 2}]
    assert lake_rows(tmp_path, "SELECT count(*) AS n FROM panther_logs.syslog_rfc5424") == [{"n": 2}]
    reasons = lake_rows(tmp_path, "SELECT reasons FROM onca_system.classification_failures")
    assert "no JSON array at 'data.events'" in reasons[0]["reasons"][0]


def test_payloads_of_a_source_deleted_meanwhile_are_kept_as_failures(tmp_path):
    service = service_at(tmp_path)
    service.accept("okta", json.dumps(okta_event(1)).encode())
    service.remove_source("okta")
    with pytest.raises(UnknownSource, match="no HTTP log source 'okta'"):
        service.accept("okta", b"{}")
    assert service.stop()
    failures = lake_rows(tmp_path, "SELECT reasons, p_source_id FROM onca_system.classification_failures")
    assert failures[0]["p_source_id"] == "okta"
    assert "has no log types" in failures[0]["reasons"][0]


def test_unknown_log_types_are_refused_when_a_source_is_added(tmp_path):
    service = IngestService(REGISTRY, tmp_path / "lake", tmp_path / "spool")
    with pytest.raises(ValueError, match="unknown log types: Nope.Log"):
        service.add_source(okta_source(logTypes=["Nope.Log"]))
    service.stop()


def test_detection_runs_on_spooled_payloads_and_raises_alerts(tmp_path):
    store_url = f"sqlite:///{tmp_path / 'onca.db'}"
    settings = DetectionSettings(content=(example_detections(),), store_url=store_url, workers=0)
    service = IngestService(REGISTRY, tmp_path / "lake", tmp_path / "spool", detection=settings)
    service.add_source(HttpSource.model_validate({"integrationId": "trail", "integrationLabel": "CloudTrail",
                                                  "logTypes": ["AWS.CloudTrail"]}))
    stop = {"eventVersion": "1.08", "eventTime": "2026-11-27T10:00:00Z", "eventSource": "cloudtrail.amazonaws.com",
            "eventName": "StopLogging", "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7", "eventID": "e-1", "eventType": "AwsApiCall", "recipientAccountId": "123456789012",
            "requestParameters": {"name": "main"}, "userIdentity": {"type": "IAMUser", "userName": "mallory"}}
    service.accept("trail", json.dumps({"Records": [stop]}).encode())
    assert service.stop()
    with open_store(store_url) as store:
        alerts, _ = store.alerts.list()
    assert [a.detection_id for a in alerts] == ["Demo.AWS.CloudTrail.LoggingStopped"]
    matches = lake_rows(tmp_path, "SELECT p_rule_id, p_alert_id FROM panther_rule_matches.aws_cloudtrail")
    assert matches == [{"p_rule_id": "Demo.AWS.CloudTrail.LoggingStopped", "p_alert_id": alerts[0].id}]
