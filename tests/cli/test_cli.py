from __future__ import annotations

import orjson
from typer.testing import CliRunner

from onca.cli.main import app

runner = CliRunner()

SCHEMA = """
schema: Custom.Login
fields:
  - name: time
    type: timestamp
    timeFormat: rfc3339
    isEventTime: true
    required: true
  - name: user
    type: string
    required: true
  - name: ip
    type: string
    indicators: [ip]
"""


def write_inputs(tmp_path):
    schema = tmp_path / "login.yml"
    schema.write_text(SCHEMA)
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.json").write_text('{"time": "2026-11-27T10:00:00Z", "user": "alice", "ip": "192.0.2.1"}\n'
                                 '{"time": "2026-11-27T10:05:00.25Z", "user": "bob", "ip": "192.0.2.2"}\n')
    (logs / "b.json").write_text('{"user": "no time"}\n')
    return schema, logs


def test_cli_ingest_then_query_json(tmp_path):
    schema, logs = write_inputs(tmp_path)
    data = str(tmp_path / "data")
    result = runner.invoke(app, ["ingest", str(logs), "--log-type", "Custom.Login", "--schema", str(schema),
                                 "--data-dir", data, "--quiet"])
    assert result.exit_code == 0, result.output
    assert "Custom.Login" in result.output and "classification failures" in result.output
    result = runner.invoke(app, ["query", "SELECT user FROM panther_logs.custom_login ORDER BY user",
                                 "--format", "json", "--data-dir", data])
    assert result.exit_code == 0, result.output
    assert [orjson.loads(line)["user"] for line in result.stdout.splitlines()] == ["alice", "bob"]


def test_cli_query_error_is_reported(tmp_path):
    result = runner.invoke(app, ["query", "SELECT * FROM panther_logs.nothing_here", "--data-dir",
                                 str(tmp_path)])
    assert result.exit_code == 1
    assert "nothing_here" in result.output


def test_cli_parse_prints_normalized_events(tmp_path):
    schema, logs = write_inputs(tmp_path)
    result = runner.invoke(app, ["parse", "--log-type", "Custom.Login", "--schema", str(schema),
                                 str(logs / "a.json")])
    assert result.exit_code == 0, result.output
    events = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert events[1]["p_event_time"] == "2026-11-27T10:05:00.25Z"
    assert events[0]["p_any_ip_addresses"] == ["192.0.2.1"]
    assert len(events[0]["p_row_id"]) > 0


def test_cli_parse_failure_exits_nonzero(tmp_path):
    schema, logs = write_inputs(tmp_path)
    result = runner.invoke(app, ["parse", "--log-type", "Custom.Login", "--schema", str(schema),
                                 str(logs / "b.json")])
    assert result.exit_code == 1
    assert "time: required field is missing" in result.output


def test_cli_logtypes_json_lists_builtins():
    result = runner.invoke(app, ["logtypes", "--json"])
    assert result.exit_code == 0, result.output
    types = {t["name"]: t for t in orjson.loads(result.stdout)}
    assert "AWS.CloudTrail" in types
    assert types["AWS.CloudTrail"]["table"] == "panther_logs.aws_cloudtrail"
    assert "p_any_ip_addresses" in types["AWS.CloudTrail"]["indicators"]


def test_cli_schema_validate_test_infer(tmp_path):
    schema, logs = write_inputs(tmp_path)
    assert runner.invoke(app, ["schema", "validate", str(schema)]).exit_code == 0
    bad = tmp_path / "bad.yml"
    bad.write_text("schema: Custom.Bad\nfields:\n  - name: x\n    type: nope\n")
    result = runner.invoke(app, ["schema", "validate", str(bad)])
    assert result.exit_code == 1 and "fields.x.type" in result.output
    result = runner.invoke(app, ["schema", "test", str(schema), str(logs / "a.json")])
    assert result.exit_code == 0 and "2 passed, 0 failed" in result.output
    result = runner.invoke(app, ["schema", "test", str(schema), str(logs / "b.json")])
    assert result.exit_code == 1 and "record 1: FAIL" in result.output
    out = tmp_path / "inferred.yml"
    result = runner.invoke(app, ["schema", "infer", str(logs / "a.json"), "--name", "Custom.Inf", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["schema", "validate", str(out)]).exit_code == 0
    result = runner.invoke(app, ["schema", "test", str(out), str(logs / "a.json")])
    assert "2 passed" in result.output


def test_cli_demo_ingests_samples_and_queries(tmp_path):
    result = runner.invoke(app, ["demo", "--data-dir", str(tmp_path / "demo"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "The log types with the most events" in result.output
    assert "0 classification failures" in result.output
    # the example detections ran over the samples, and their alerts are in the store
    from onca.store import open_store

    alerts, _ = open_store(f"sqlite:///{tmp_path / 'demo' / 'onca.db'}").alerts.list(limit=20)
    assert {a.detection_id for a in alerts} == {"Demo.AWS.CloudTrail.LoggingStopped", "Demo.Okta.MFADeactivated",
                                                "Demo.GitHub.Org.TwoFactorDisabled"}
    assert "Alerts raised by the example detections" in result.output


def test_cli_example_detections_pass_their_tests():
    from onca.runtime.demo import example_detections

    result = runner.invoke(app, ["test", str(example_detections())])
    assert result.exit_code == 0, result.output
    assert "Tests: 6 run, 6 passed, 0 failed, 0 errored" in result.output
