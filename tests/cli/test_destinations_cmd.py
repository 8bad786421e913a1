"""`onca destinations` against a real HTTP receiver on loopback."""

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner


from onca.cli.main import app

runner = CliRunner()


@pytest.fixture
def config(tmp_path, receiver, monkeypatch) -> Path:
    monkeypatch.setenv("SOAR_TOKEN", "tok-9")
    path = tmp_path / "destinations.yml"
    path.write_text(f"""
- kind: webhook
  name: SOAR
  id: soar-01
  url: {receiver.url}/onca
  headers: {{Authorization: "Bearer ${{SOAR_TOKEN}}"}}
  severities: [HIGH, CRITICAL]
- kind: slack
  name: SecOps
  webhook_url: https://hooks.slack.com/services/T0/B0/SECRETPART
  log_types: [AWS.CloudTrail]
""")
    return path


def test_destinations_kinds_lists_every_kind_with_required_settings():
    result = runner.invoke(app, ["destinations", "kinds"])

    assert result.exit_code == 0, result.output
    assert "webhook" in result.stdout and "url*" in result.stdout and "signing_secret" in result.stdout
    assert "pagerduty" in result.stdout


def test_destinations_kinds_json():
    result = runner.invoke(app, ["destinations", "kinds", "--json"])

    assert result.exit_code == 0, result.output
    kinds = {entry["kind"]: entry for entry in orjson.loads(result.stdout)}
    assert "slack" in kinds and "email" in kinds
    url = next(s for s in kinds["webhook"]["settings"] if s["name"] == "url")
    assert url["required"] is True and url["description"]


def test_destinations_list_shows_routing_settings_not_secrets(config):
    result = runner.invoke(app, ["destinations", "list", "--config", str(config)])

    assert result.exit_code == 0, result.output
    assert "SOAR" in result.stdout and "soar-01" in result.stdout and "SecOps" in result.stdout
    assert "AWS.CloudTrail" in result.stdout
    assert "SECRETPART" not in result.stdout and "tok-9" not in result.stdout


def test_destinations_list_json(config):
    result = runner.invoke(app, ["destinations", "list", "--config", str(config), "--json"])

    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout) == [
        {"name": "SOAR", "id": "soar-01", "kind": "webhook", "severities": ["HIGH", "CRITICAL"],
         "alert_types": ["rule", "rule_error", "policy", "correlation", "scheduled_rule"], "log_types": []},
        {"name": "SecOps", "id": "SecOps", "kind": "slack",
         "severities": ["INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"],
         "alert_types": ["rule", "rule_error", "policy", "correlation", "scheduled_rule"],
         "log_types": ["AWS.CloudTrail"]},
    ]


def test_destinations_test_sends_the_sample_alert(config, receiver):
    receiver.respond(202, {"accepted": True})

    result = runner.invoke(app, ["destinations", "test", "SOAR", "--config", str(config)])

    assert result.exit_code == 0, result.output
    assert "delivered to SOAR (webhook): HTTP 202" in result.stdout
    assert 'response: {"accepted": true}' in result.stdout
    [request] = receiver.requests
    assert request.path == "/onca" and request.headers["authorization"] == "Bearer tok-9"
    assert request.json()["title"].startswith("Onca test alert")


def test_destinations_test_by_id(config, receiver):
    result = runner.invoke(app, ["destinations", "test", "soar-01", "--config", str(config)])

    assert result.exit_code == 0, result.output
    assert len(receiver.requests) == 1


def test_destinations_test_failure_exits_1_with_the_answer(config, receiver):
    receiver.respond(401, "invalid token")

    result = runner.invoke(app, ["destinations", "test", "SOAR", "--config", str(config)])

    assert result.exit_code == 1
    assert "not delivered to SOAR (webhook): HTTP 401 (final, retrying cannot help)" in result.stdout
    assert "response: invalid token" in result.stdout


def test_destinations_test_transient_failure_says_so(config, receiver):
    receiver.respond(503, "maintenance")

    result = runner.invoke(app, ["destinations", "test", "SOAR", "--config", str(config)])

    assert result.exit_code == 1
    assert "not delivered to SOAR (webhook): HTTP 503 (transient, would be retried)" in result.stdout


def test_destinations_test_unknown_name(config):
    result = runner.invoke(app, ["destinations", "test", "Nope", "--config", str(config)])

    assert result.exit_code == 2
    assert "no destination named 'Nope'" in result.output and "SOAR, SecOps" in result.output


def test_destinations_config_problems_are_listed(tmp_path, monkeypatch):
    monkeypatch.delenv("MISSING_HOOK", raising=False)
    path = tmp_path / "bad.yml"
    path.write_text("- kind: slack\n  name: S\n  webhook_url: ${MISSING_HOOK}\n- kind: fax\n  name: F\n")

    result = runner.invoke(app, ["destinations", "list", "--config", str(path)])

    assert result.exit_code == 2
    assert "entry 1 (S): webhook_url: environment variable MISSING_HOOK is not set" in result.output
    assert "entry 2 (F): kind: unknown destination kind 'fax'" in result.output
