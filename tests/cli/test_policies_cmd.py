"""`onca policies evaluate`: compliance kept in the store across runs, alerts only for new failures."""

from __future__ import annotations

import json
import textwrap

from typer.testing import CliRunner

from onca.cli.main import app
from onca.store import open_store

POLICY_YML = """
AnalysisType: policy
PolicyID: S3.Encryption
DisplayName: S3 bucket encryption
Enabled: true
Filename: encryption.py
Severity: High
ResourceTypes: [AWS.S3.Bucket]
Suppressions: ["arn:aws:s3:::scratch-*"]
"""
POLICY_PY = """
def policy(resource):
    return bool(resource.get("EncryptionRules"))

def title(resource):
    return f"Bucket {resource['Name']} is not encrypted"
"""


def bucket(name: str, encrypted: bool) -> dict:
    return {"ResourceType": "AWS.S3.Bucket", "ResourceId": f"arn:aws:s3:::{name}", "Name": name,
            "EncryptionRules": [{"SSEAlgorithm": "AES256"}] if encrypted else []}


def run(tmp_path, resources, *extra):
    tree = tmp_path / "content" / "policies"
    tree.mkdir(parents=True, exist_ok=True)
    (tree / "encryption.yml").write_text(textwrap.dedent(POLICY_YML))
    (tree / "encryption.py").write_text(textwrap.dedent(POLICY_PY))
    snapshot = tmp_path / "resources.json"
    snapshot.write_text(json.dumps(resources) if isinstance(resources, list) else resources)
    return CliRunner().invoke(app, ["policies", "evaluate", str(snapshot), "--detections", str(tmp_path / "content"),
                                    "--data-dir", str(tmp_path / "data"), *extra])


def alerts(tmp_path):
    rows, _ = open_store(f"sqlite:///{tmp_path / 'data' / 'onca.db'}").alerts.list(limit=20)
    return rows


def test_policies_evaluate_alerts_on_new_failures_only(tmp_path):
    first = run(tmp_path, [bucket("logs", True), bucket("public", False), bucket("scratch-1", False)], "--json")
    assert first.exit_code == 0, first.output
    results = [json.loads(line) for line in first.stdout.splitlines()]
    assert {(r["resourceId"], r["status"]) for r in results} == {
        ("arn:aws:s3:::logs", "PASS"), ("arn:aws:s3:::public", "FAIL")}  # scratch-* is suppressed
    [alert] = alerts(tmp_path)
    assert (alert.type, alert.title, alert.dedup) == ("policy", "Bucket public is not encrypted",
                                                      "arn:aws:s3:::public")
    # still failing: no new alert; then fixed; then failing again: a new alert
    assert run(tmp_path, [bucket("public", False)]).exit_code == 0
    assert len(alerts(tmp_path)) == 1
    second = run(tmp_path, [bucket("public", True)], "--json")
    assert json.loads(second.stdout)["previousStatus"] == "FAIL"
    assert run(tmp_path, [bucket("public", False)]).exit_code == 0
    # within the dedup period the new failure joins the open alert, as matches of a rule do
    [again] = alerts(tmp_path)
    assert again.event_count == 2


def test_policies_evaluate_reports_bad_lines_and_goes_on(tmp_path):
    ndjson = json.dumps(bucket("a", False)) + "\n{not json\n" + json.dumps(bucket("b", True)) + "\n"
    result = run(tmp_path, ndjson, "--json")
    assert result.exit_code == 0
    assert "resources.json:2" in result.output
    assert len(result.stdout.splitlines()) == 2
