"""Detection output in the lake: matches, signals and errors per log type, queryable like the log tables."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from onca.detect.findings import Finding
from onca.ingest.pipeline import Pipeline, Source
from onca.lake import Lake, LakeWriter
from onca.runtime.rule_tables import DetectionRows, detection_json_columns
from onca.schema import Registry

LINE = (b'{"eventVersion":"1.08","eventTime":"2024-05-06T07:08:09Z","eventSource":"s3.amazonaws.com",'
        b'"eventName":"DeleteBucket","awsRegion":"us-east-1","sourceIPAddress":"1.2.3.4",'
        b'"eventID":"e1","eventType":"AwsApiCall","recipientAccountId":"123456789012",'
        b'"requestParameters":{"bucketName":"b"},"userIdentity":{"type":"Root"}}')


class Capture:
    def __init__(self):
        self.events = []

    def write_events(self, log_type, events):
        self.events += events

    def write_failures(self, failures):
        pass

    def flush(self):
        pass


def _event(registry):
    capture = Capture()
    stats = Pipeline(registry, [capture]).ingest(io.BytesIO(LINE), Source(("AWS.CloudTrail",)))
    assert stats.failures == 0
    return capture.events[0]


def _finding(event, kind, **extra):
    return Finding(kind=kind, detection_id="Bucket.Deleted", detection_type="rule", log_type="AWS.CloudTrail",
                   event=event, event_time=event["p_event_time"], severity="HIGH", title="deleted",
                   dedup="b", alert_context={"bucket": "b"}, tags=("S3",),
                   reports={"MITRE ATT&CK": ["TA0040:T1485"]}, **extra)


def test_matches_signals_and_errors_are_queryable(tmp_path):
    registry = Registry.builtin()
    event = _event(registry)
    rows = DetectionRows(registry.get("AWS.CloudTrail"))
    created = datetime(2024, 5, 6, 7, 9, tzinfo=UTC)
    with LakeWriter(tmp_path) as writer:
        writer.write("panther_rule_matches", rows.table, rows.schema_for("match"),
                     [rows.row(_finding(event, "match"), alert_id="a1", alert_created=created, updated=created)])
        writer.write("panther_signals", rows.table, rows.schema_for("signal"),
                     [rows.row(_finding(event, "signal"), alert_id=None, alert_created=None, updated=created)])
        writer.write("panther_rule_errors", rows.table, rows.schema_for("error"),
                     [rows.row(_finding(event, "error", error="rule: KeyError: 'x'"), alert_id="e1",
                               alert_created=created, updated=created)])
    lake = Lake(tmp_path, json_columns=detection_json_columns(list(registry)))
    match = lake.query("SELECT eventName, p_rule_id, p_alert_id, p_alert_context->>'$.bucket' AS bucket, "
                       "p_rule_tags, p_rule_reports->>'$.\"MITRE ATT&CK\"[0]' AS mitre, p_any_ip_addresses "
                       "FROM panther_rule_matches.public.aws_cloudtrail").to_pylist()
    assert match == [{"eventName": "DeleteBucket", "p_rule_id": "Bucket.Deleted", "p_alert_id": "a1",
                      "bucket": "b", "p_rule_tags": ["S3"], "mitre": "TA0040:T1485",
                      "p_any_ip_addresses": ["1.2.3.4"]}]
    signals = lake.query("SELECT p_rule_id, p_alert_id, p_log_type FROM panther_signals.public.correlation_signals "
                         "WHERE list_contains(p_any_ip_addresses, '1.2.3.4')").to_pylist()
    assert signals == [{"p_rule_id": "Bucket.Deleted", "p_alert_id": None, "p_log_type": "AWS.CloudTrail"}]
    errors = lake.query("SELECT p_rule_error FROM panther_rule_errors.aws_cloudtrail").to_pylist()
    assert errors == [{"p_rule_error": "rule: KeyError: 'x'"}]
    every = lake.query("SELECT p_rule_id FROM panther_views.all_rule_matches").to_pylist()
    assert every == [{"p_rule_id": "Bucket.Deleted"}]
