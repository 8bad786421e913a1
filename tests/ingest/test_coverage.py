"""`onca logtypes --check-content`: which log types content names are missing, and which rule test events parse."""

from __future__ import annotations

import textwrap
from collections import Counter

import orjson
from typer.testing import CliRunner

from onca.cli.main import app
from onca.ingest.coverage import check_content
from onca.schema import Registry

FULL = ('{"eventVersion": "1.08", "eventTime": "2024-05-06T07:08:09Z", "eventSource": "s3.amazonaws.com", '
        '"eventName": "DeleteBucket", "awsRegion": "us-east-1", "sourceIPAddress": "1.2.3.4", "eventID": "e1", '
        '"eventType": "AwsApiCall", "recipientAccountId": "123456789012", "userIdentity": {"type": "Root"}}')


def write(root, relative, text):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def test_check_content_counts_parsed_partial_and_query_rows(tmp_path):
    write(tmp_path, "rules/aws/delete.yml", f"""
        AnalysisType: rule
        RuleID: Bucket.Deleted
        Filename: delete.py
        LogTypes: [AWS.CloudTrail]
        Tests:
          - Name: full event
            ExpectedResult: true
            Log: {FULL}
          - Name: partial event
            ExpectedResult: false
            Log: {{"eventName": "ListBuckets", "eventTime": "2024-05-06T07:08:09Z"}}
          - Name: declares a type no schema has
            ExpectedResult: true
            Log: {{"p_log_type": "Made.Up", "eventName": "DeleteBucket"}}
        """)
    write(tmp_path, "queries/aws/many.yml", """
        AnalysisType: scheduled_rule
        RuleID: Many.Deletes
        Filename: many.py
        ScheduledQueries: [Many Deletes]
        Tests:
          - Name: a query row
            ExpectedResult: true
            Log: {"actor": "bob", "deletes": 40}
        """)
    write(tmp_path, "data_models/x.yml", """
        AnalysisType: datamodel
        DataModelID: Unknown.Model
        LogTypes: [Nobody.Ships]
        Enabled: true
        Mappings: [{Name: actor_user, Path: user}]
        """)
    write(tmp_path, "lookup_tables/x.yml", """
        AnalysisType: lookup_table
        LookupName: corp_assets
        Schema: Custom.Assets
        Filename: assets.csv
        LogTypeMap:
          PrimaryKey: ip
          AssociatedLogTypes:
            - LogType: AWS.VPCFlow
              Selectors: [srcAddr]
            - LogType: Lookup.Only
              Selectors: [ip]
        """)
    coverage = check_content(tmp_path, Registry.builtin())
    assert coverage.missing == ["Lookup.Only", "Nobody.Ships"]
    assert coverage.query_rows == 1  # a query result row is not a log event
    assert (coverage.parsed, coverage.tested, coverage.parsed_relaxed) == (1, 3, 3)
    reasons = {f.test: f.reasons for f in coverage.failed}
    assert reasons["partial event"] == (
        "only with required fields set aside: AWS.CloudTrail: eventVersion: required field is missing",)
    # the undeclared type falls back to the rule's LogTypes
    assert reasons["declares a type no schema has"][0].startswith("only with required fields set aside: "
                                                                   "AWS.CloudTrail: ")
    # only the partial events that lack nothing but required fields are counted, per field
    assert coverage.missing_required_fields() == Counter({"AWS.CloudTrail: eventVersion": 2})


def test_check_content_groups_absent_required_fields_on_the_command_line(tmp_path):
    write(tmp_path, "rules/gcp/iam.yml", """
        AnalysisType: rule
        RuleID: GCP.IAM
        Filename: iam.py
        LogTypes: [GCP.AuditLog]
        Tests:
          - Name: no log name
            ExpectedResult: true
            Log: {"protoPayload": {"methodName": "SetIamPolicy"}, "resource": {"type": "project"}}
          - Name: a resource that is no object
            ExpectedResult: false
            Log: {"logName": "projects/p/logs/x", "resource": "project"}
        """)
    text = CliRunner().invoke(app, ["logtypes", "--check-content", str(tmp_path)])
    assert text.exit_code == 0, text.output
    assert "rule test events that parse: 0 of 2 (0.0%); with required fields set aside: 1 (50.0%)" in text.output
    assert "required fields most often absent from test events: GCP.AuditLog: logName (1)" in text.output
    assert "'a resource that is no object': GCP.AuditLog: resource: expected an object, got str" in text.output
    report = orjson.loads(CliRunner().invoke(app, ["logtypes", "--check-content", str(tmp_path), "--json"]).stdout)
    assert report["missing_required_fields"] == {"GCP.AuditLog: logName": 1}
