"""`onca ingest --detections`: the lookup tables of the content trees enrich the events before the lake and the
rules, and answer event.lookup in the detection workers."""

from __future__ import annotations

import orjson
import pytest
from typer.testing import CliRunner

from onca.cli.main import app
from onca.detect.platform import lookup_function, use_lookup_function

runner = CliRunner()

SCHEMA = """
schema: Custom.Login
fields:
  - name: user
    type: string
    required: true
  - name: ip
    type: string
    indicators: [ip]
"""
TABLE = """AnalysisType: lookup_table
LookupName: office_networks
Enabled: true
Filename: offices.csv
Schema: Custom.Offices
LogTypeMap:
  PrimaryKey: cidr
  AssociatedLogTypes:
    - LogType: Custom.Login
      Selectors: [ip, p_any_ip_addresses]
"""
RULE_YML = """AnalysisType: rule
RuleID: Test.OfficeLogin
Filename: office_login.py
Enabled: true
Severity: Low
LogTypes: [Custom.Login]
"""
RULE_PY = """
def rule(event):
    return event.deep_get("p_enrichment", "office_networks", "ip", "office") == "Berlin"


def alert_context(event):
    return {"looked_up": event.lookup("office_networks", event.get("ip"))}
"""


@pytest.fixture(autouse=True)
def keep_lookup_function():
    previous = lookup_function()
    yield
    use_lookup_function(previous)


def test_cli_ingest_enriches_with_content_tables(tmp_path):
    content = tmp_path / "content"
    (content / "lookup_tables").mkdir(parents=True)
    (content / "lookup_tables" / "offices.yml").write_text(TABLE)
    (content / "lookup_tables" / "offices.csv").write_text("cidr,office\n192.0.2.0/24,Berlin\nnot-a-cidr,x\n")
    (content / "rules").mkdir()
    (content / "rules" / "office_login.yml").write_text(RULE_YML)
    (content / "rules" / "office_login.py").write_text(RULE_PY)
    schema = tmp_path / "login.yml"
    schema.write_text(SCHEMA)
    logs = tmp_path / "logins.json"
    logs.write_text('{"user": "alice", "ip": "192.0.2.9"}\n{"user": "bob", "ip": "198.51.100.1"}\n')
    data = str(tmp_path / "data")
    result = runner.invoke(app, ["ingest", str(logs), "--log-type", "Custom.Login", "--schema", str(schema),
                                 "--data-dir", data, "--quiet", "--detections", str(content), "--workers", "1"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # the console wraps long lines
    assert "lookup tables: 1 (1 rows)" in said, said
    assert "line 3: the primary key 'cidr' is 'not-a-cidr', not an IP network" in said

    def query(sql: str) -> list[dict]:
        answer = runner.invoke(app, ["query", sql, "--format", "json", "--data-dir", data])
        assert answer.exit_code == 0, answer.output
        return [orjson.loads(line) for line in answer.stdout.splitlines()]

    rows = query("SELECT user, p_enrichment->'$.office_networks.ip'->>'office' AS office "
                 "FROM panther_logs.custom_login ORDER BY user")
    assert rows == [{"user": "alice", "office": "Berlin"}, {"user": "bob", "office": None}]
    matches = query("SELECT user, p_alert_context->'$.looked_up'->>'office' AS office "
                    "FROM panther_rule_matches.custom_login")
    assert matches == [{"user": "alice", "office": "Berlin"}]
    assert query("SELECT office FROM panther_lookups.office_networks") == [{"office": "Berlin"}]
