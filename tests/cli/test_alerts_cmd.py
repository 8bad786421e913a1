"""`onca alerts` on a real SQLite store in a data directory."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from onca.alerts.manager import AlertManager
from onca.cli.alerts_cmd import alerts_app
from onca.cli.main import app
from onca.detect.findings import Finding
from onca.store import DeliveryAttempt, open_store

runner = CliRunner()
T0 = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
DOC = Path(__file__).resolve().parents[2] / "docs" / "alerts.md"


def _finding(dedup: str, **changes) -> Finding:
    base = Finding(kind="match", detection_id="AWS.Root.Login", detection_type="rule", log_type="AWS.CloudTrail",
                   event={"eventName": "ConsoleLogin"}, event_time=T0, severity="HIGH",
                   title=f"Root login by {dedup}", dedup=dedup, detection_name="Root Login")
    return replace(base, **changes)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory whose store holds three alerts: two HIGH from one detection, one LOW from another."""
    directory = tmp_path / "data"
    clock = [T0]
    with open_store(f"sqlite:///{directory / 'onca.db'}") as store:
        manager = AlertManager(store, clock=lambda: clock[0])
        for finding in (_finding("alice"), _finding("bob"),
                        _finding("s3", detection_id="AWS.S3.Public", severity="LOW", title="Bucket made public")):
            manager.process([finding])
            clock[0] += timedelta(minutes=1)
    return directory


def _invoke(*args: str):
    return runner.invoke(app, ["alerts", *args])


def _ids(data_dir: Path) -> dict[str, str]:
    with open_store(f"sqlite:///{data_dir / 'onca.db'}") as store:
        return {row.title: row.id for row in store.alerts.list()[0]}


def test_alerts_list_table(data_dir):
    result = _invoke("list", "--data-dir", str(data_dir))

    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if "Root login" in line or "Bucket" in line]
    assert ["Bucket" in lines[0], "bob" in lines[1], "alice" in lines[2]] == [True, True, True]
    assert "more:" not in result.stdout


def test_alerts_list_filters_and_json(data_dir):
    result = _invoke("list", "--data-dir", str(data_dir), "--severity", "high", "--status", "OPEN", "--json")

    assert result.exit_code == 0, result.output
    listing = orjson.loads(result.stdout)
    assert [a["title"] for a in listing["alerts"]] == ["Root login by bob", "Root login by alice"]
    assert listing["next_cursor"] is None
    assert listing["alerts"][0]["created_at"] == "2025-06-01T09:01:00Z"

    by_detection = _invoke("list", "--data-dir", str(data_dir), "--detection", "AWS.S3.Public", "--json")
    assert [a["title"] for a in orjson.loads(by_detection.stdout)["alerts"]] == ["Bucket made public"]
    by_text = _invoke("list", "--data-dir", str(data_dir), "--text", "ALICE", "--json")
    assert [a["title"] for a in orjson.loads(by_text.stdout)["alerts"]] == ["Root login by alice"]


def test_alerts_list_pages_with_the_printed_cursor(data_dir):
    first = _invoke("list", "--data-dir", str(data_dir), "--limit", "2")
    assert first.exit_code == 0, first.output
    cursor = re.search(r"more: --cursor (\S+)", first.stdout).group(1)

    second = _invoke("list", "--data-dir", str(data_dir), "--limit", "2", "--cursor", cursor, "--json")

    assert [a["title"] for a in orjson.loads(second.stdout)["alerts"]] == ["Root login by alice"]


def test_alerts_list_bad_values_are_named(data_dir):
    result = _invoke("list", "--data-dir", str(data_dir), "--status", "done")
    assert result.exit_code == 2 and "alert status 'done' is not one of" in result.output
    result = _invoke("list", "--data-dir", str(data_dir), "--cursor", "nope")
    assert result.exit_code == 2 and "cursor 'nope'" in result.output


def test_alerts_missing_store_is_an_error_not_a_new_database(tmp_path):
    result = _invoke("list", "--data-dir", str(tmp_path / "empty"))

    assert result.exit_code == 2 and "no metadata store at" in result.output
    assert not (tmp_path / "empty").exists()


def test_alerts_store_option_takes_a_url(data_dir):
    result = _invoke("list", "--store", f"sqlite:///{data_dir / 'onca.db'}", "--json")
    assert result.exit_code == 0, result.output
    assert len(orjson.loads(result.stdout)["alerts"]) == 3
    bad = _invoke("list", "--store", "mysql://x@y/z")
    assert bad.exit_code == 2 and "unsupported store URL" in bad.output


def test_alerts_update_and_show(data_dir):
    alert_id = _ids(data_dir)["Root login by alice"]
    with open_store(f"sqlite:///{data_dir / 'onca.db'}") as store:
        store.alerts.record_attempt(DeliveryAttempt(alert_id=alert_id, destination_name="SOAR",
                                                    destination_kind="webhook", attempt=1, at=T0, ok=False,
                                                    retryable=True, status_code=503, error="HTTP 503"))

    updated = _invoke("update", alert_id, "--data-dir", str(data_dir), "--status", "triaged", "--assignee", "ana",
                      "--comment", "Checking with the account owner", "--actor", "bob")
    assert updated.exit_code == 0, updated.output
    assert f"alert {alert_id}: status triaged, assignee ana, comment added" in updated.stdout

    shown = _invoke("show", alert_id, "--data-dir", str(data_dir))
    assert shown.exit_code == 0, shown.output
    for text in ("Root login by alice", "triaged", "ana", "SOAR", "transient failure", "503",
                 "Checking with the account owner", "open", "assignee"):
        assert text in shown.stdout

    document = orjson.loads(_invoke("show", alert_id, "--data-dir", str(data_dir), "--json").stdout)
    assert document["status"] == "triaged" and document["assignee"] == "ana"
    assert [c["body"] for c in document["comments"]] == ["Checking with the account owner"]
    assert [a["status_code"] for a in document["delivery_attempts"]] == [503]
    assert [(h["actor"], h["action"], h["field"]) for h in document["history"]] == [
        ("onca", "create", "status"), ("bob", "update", "status"), ("bob", "update", "assignee"),
        ("bob", "comment", "")]


def test_alerts_update_errors(data_dir):
    alert_id = _ids(data_dir)["Root login by bob"]

    nothing = _invoke("update", alert_id, "--data-dir", str(data_dir))
    assert nothing.exit_code == 2 and "nothing to update" in nothing.output
    bad = _invoke("update", alert_id, "--data-dir", str(data_dir), "--status", "fixed", "--comment", "x")
    assert bad.exit_code == 1 and "alert status 'fixed'" in bad.output
    unknown = _invoke("update", "0" * 32, "--data-dir", str(data_dir), "--status", "resolved")
    assert unknown.exit_code == 1 and "no alert with id" in unknown.output
    with open_store(f"sqlite:///{data_dir / 'onca.db'}") as store:
        assert store.alerts.comments(alert_id) == []  # the failed update changed nothing


def test_alerts_show_unknown_id(data_dir):
    result = _invoke("show", "f" * 32, "--data-dir", str(data_dir))
    assert result.exit_code == 1 and "no alert with id" in result.output


def test_alerts_resume_detection(data_dir):
    with open_store(f"sqlite:///{data_dir / 'onca.db'}") as store:
        store.detections.suspend("AWS.Root.Login", at=T0, reason="alert storm")

    result = _invoke("resume-detection", "AWS.Root.Login", "--data-dir", str(data_dir))

    assert result.exit_code == 0, result.output
    assert "AWS.Root.Login resumed" in result.stdout
    with open_store(f"sqlite:///{data_dir / 'onca.db'}") as store:
        assert not store.detections.get("AWS.Root.Login").alerting_suspended
    again = _invoke("resume-detection", "AWS.Root.Login", "--data-dir", str(data_dir))
    assert "was not suspended" in again.stdout


def test_alerts_docs_cover_every_command_and_option():
    doc = DOC.read_text()
    for command in alerts_app.registered_commands:
        name = command.name or command.callback.__name__
        assert f"onca alerts {name}" in doc, name
        result = runner.invoke(app, ["alerts", name, "--help"], terminal_width=200)
        for option in set(re.findall(r"(--[a-z][a-z-]+)", result.stdout)) - {"--help"}:
            assert option in doc, f"{name} {option}"
