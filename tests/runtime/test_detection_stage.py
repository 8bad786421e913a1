"""Ingest with detection: events in, matches/signals/errors in the lake, alerts in the store and at a webhook."""

from __future__ import annotations

import io
import textwrap
import threading
from pathlib import Path

import orjson
import pytest
from loopback import Receiver

from onca.ingest.lake_sink import LakeSink
from onca.ingest.pipeline import Pipeline, Source
from onca.lake import Lake, LakeWriter
from onca.runtime.detection_setup import open_detection_stage
from onca.runtime.settings import DetectionSettings
from onca.runtime.rule_tables import detection_json_columns
from onca.schema import Registry
from onca.store import open_store

RULES = {
    "delete.yml": """
        AnalysisType: rule
        RuleID: Bucket.Deleted
        DisplayName: S3 bucket deleted
        Filename: delete.py
        Enabled: true
        Severity: High
        LogTypes: [AWS.CloudTrail]
        Tags: [S3]
        """,
    "delete.py": """
        def rule(event):
            return event.get("eventName") == "DeleteBucket"

        def title(event):
            return f"Bucket {event.deep_get('requestParameters', 'bucketName')} deleted"

        def dedup(event):
            return event.deep_get("requestParameters", "bucketName")

        def alert_context(event):
            return {"bucket": event.deep_get("requestParameters", "bucketName")}
        """,
    "listing.yml": """
        AnalysisType: rule
        RuleID: Buckets.Listed
        Filename: listing.py
        Enabled: true
        Severity: Info
        CreateAlert: false
        LogTypes: [AWS.CloudTrail]
        """,
    "listing.py": """
        def rule(event):
            return event.get("eventName") == "ListBuckets"
        """,
    "broken.yml": """
        AnalysisType: rule
        RuleID: Broken.Rule
        Filename: broken.py
        Enabled: true
        Severity: Low
        LogTypes: [AWS.CloudTrail]
        """,
    "broken.py": """
        def rule(event):
            return event["no_such_key"] == 1
        """,
}


def cloudtrail(name: str, bucket: str = "b1", second: int = 0) -> bytes:
    return orjson.dumps({
        "eventVersion": "1.08", "eventTime": f"2024-05-06T07:08:{second:02d}Z", "eventSource": "s3.amazonaws.com",
        "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.4", "eventID": f"e{second}",
        "eventType": "AwsApiCall", "recipientAccountId": "123456789012", "userIdentity": {"type": "Root"},
        "requestParameters": {"bucketName": bucket}})


@pytest.fixture
def webhook():
    receiver = Receiver()
    receiver.start()
    yield receiver
    receiver.stop()


def received(receiver):
    return [request.json() for request in receiver.requests]


def content_tree(root: Path) -> Path:
    rules = root / "content" / "rules"
    rules.mkdir(parents=True)
    for name, text in RULES.items():
        (rules / name).write_text(textwrap.dedent(text))
    return root / "content"


@pytest.mark.parametrize("workers", [0, 1])
def test_ingest_with_detection_stores_alerts_rows_and_delivers(tmp_path, webhook, workers):
    registry = Registry.builtin()
    destinations = tmp_path / "destinations.yml"
    destinations.write_text(f"- kind: webhook\n  name: SOC hook\n  url: {webhook.url}/alerts\n")
    store_url = f"sqlite:///{tmp_path / 'onca.db'}"
    writer = LakeWriter(tmp_path / "lake")
    setup = open_detection_stage(registry, writer, DetectionSettings(
        content=(content_tree(tmp_path),), store_url=store_url, kv_url=f"sqlite:///{tmp_path / 'kv.db'}",
        destinations_file=destinations, workers=workers))
    assert setup.rules == 3 and not setup.problems
    pipeline = Pipeline(registry, [LakeSink(registry, writer), setup.stage])
    lines = [cloudtrail("DeleteBucket", "b1", 1), cloudtrail("ListBuckets", second=2),
             cloudtrail("DeleteBucket", "b1", 3), cloudtrail("DeleteBucket", "b2", 4)]
    stats = pipeline.ingest(io.BytesIO(b"\n".join(lines)), Source(("AWS.CloudTrail",)))
    assert stats.events == 4
    assert setup.stage.close(timeout=30)
    writer.close()

    store = open_store(store_url)
    alerts, _ = store.alerts.list(limit=50)
    by_dedup = {(a.type, a.dedup): a for a in alerts}
    b1 = by_dedup[("rule", "b1")]
    assert (b1.title, b1.severity, b1.event_count, b1.detection_name) == ("Bucket b1 deleted", "HIGH", 2,
                                                                         "S3 bucket deleted")
    assert b1.alert_context == {"bucket": "b1"} and b1.destinations == ("SOC hook",)
    assert by_dedup[("rule", "b2")].event_count == 1
    errors = [a for a in alerts if a.type == "rule_error"]
    assert len(errors) == 1 and errors[0].detection_id == "Broken.Rule" and errors[0].event_count == 4
    assert len(alerts) == 3  # the signal rule never alerts

    # each new alert went to the webhook once, and the attempt is kept with the alert
    delivered = {body["alertId"]: body for body in received(webhook)}
    assert set(delivered) == {a.id for a in alerts}
    assert delivered[b1.id]["title"] == "Bucket b1 deleted" and delivered[b1.id]["severity"] == "HIGH"
    attempts = store.alerts.attempts(b1.id)
    assert [(a.destination_name, a.ok, a.status_code) for a in attempts] == [("SOC hook", True, 200)]

    lake = Lake(tmp_path / "lake", json_columns=detection_json_columns(list(registry)))
    matches = lake.query("SELECT eventName, p_rule_id, p_alert_id, p_alert_context->>'$.bucket' AS bucket "
                         "FROM panther_rule_matches.aws_cloudtrail ORDER BY p_event_time").to_pylist()
    assert [(m["bucket"], m["p_alert_id"]) for m in matches] == [("b1", b1.id), ("b1", b1.id),
                                                                  ("b2", by_dedup[("rule", "b2")].id)]
    signals = lake.query("SELECT p_rule_id, eventName FROM panther_signals.aws_cloudtrail").to_pylist()
    assert signals == [{"p_rule_id": "Buckets.Listed", "eventName": "ListBuckets"}]
    assert lake.query("SELECT p_rule_id FROM panther_signals.correlation_signals").to_pylist() == [
        {"p_rule_id": "Buckets.Listed"}]
    rule_errors = lake.query("SELECT p_rule_id, p_rule_error, p_alert_id FROM panther_rule_errors.aws_cloudtrail"
                             ).to_pylist()
    assert len(rule_errors) == 4 and {e["p_alert_id"] for e in rule_errors} == {errors[0].id}
    assert rule_errors[0]["p_rule_error"].startswith("rule: KeyError")


def test_cli_ingest_with_detections_raises_alerts(tmp_path, webhook):
    from typer.testing import CliRunner

    from onca.cli.main import app

    log = tmp_path / "trail.json"
    log.write_bytes(b"\n".join([cloudtrail("DeleteBucket", "b9", 1), cloudtrail("ListBuckets", second=2)]))
    destinations = tmp_path / "destinations.yml"
    destinations.write_text(f"- kind: webhook\n  name: SOC hook\n  url: {webhook.url}/alerts\n")
    data_dir = tmp_path / "data"
    result = CliRunner().invoke(app, [
        "ingest", str(log), "--log-type", "AWS.CloudTrail", "--data-dir", str(data_dir), "--quiet",
        "--detections", str(content_tree(tmp_path)), "--destinations", str(destinations), "--workers", "0",
        "--detection-metrics"])
    assert result.exit_code == 0, result.output
    assert "detection: 3 rules" in result.output
    assert "Detections by time spent" in result.output and "Bucket.Deleted" in result.output
    assert "1 matches, 1 signals, 2 rule errors; 2 new alerts" in result.output
    titles = sorted(body["title"] for body in received(webhook))
    assert len(titles) == 2 and titles[0] == "Bucket b9 deleted" and "Broken.Rule" in titles[1], titles
    alerts, _ = open_store(f"sqlite:///{data_dir / 'onca.db'}").alerts.list(limit=10)
    assert sorted(a.type for a in alerts) == ["rule", "rule_error"]


def test_detection_failing_on_its_own_thread_fails_the_ingest_that_fed_it(tmp_path):
    registry = Registry.builtin()
    writer = LakeWriter(tmp_path / "lake")
    setup = open_detection_stage(registry, writer, DetectionSettings(
        content=(content_tree(tmp_path),), store_url=f"sqlite:///{tmp_path / 'onca.db'}",
        kv_url=f"sqlite:///{tmp_path / 'kv.db'}", workers=1))
    pipeline = Pipeline(registry, [LakeSink(registry, writer), setup.stage])
    setup.stage.engine.close()  # every batch handed to the detection thread now fails

    with pytest.raises(Exception, match="the detection engine is closed"):
        pipeline.ingest(io.BytesIO(cloudtrail("DeleteBucket")), Source(("AWS.CloudTrail",)))
    setup.stage.write_events("AWS.CloudTrail", [{"eventName": "DeleteBucket"}])  # fails on the thread again
    with pytest.raises(Exception, match="the detection engine is closed"):
        setup.stage.close(timeout=5)  # says so, and still stops everything
    assert not any(t.name == "onca-detection" for t in threading.enumerate())
    writer.close()
