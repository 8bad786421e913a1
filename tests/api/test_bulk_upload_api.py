"""Bulk upload of a content tree: REST (zip or base64 JSON), GraphQL (Panther's uploadDetectionEntities),
and `onca upload` against a real server on loopback. All or nothing."""

from __future__ import annotations

import base64
import io
import json
import socket
import threading
import time
import zipfile
from pathlib import Path

import pytest
import uvicorn
from server_fixtures import STOP_LOGGING, Running, start_server
from typer.testing import CliRunner

from onca.cli.main import app as cli
from onca.detect.content.archive import pack_tree

RULE_SPEC = ("AnalysisType: rule\nRuleID: Up.StopLogging\nEnabled: true\nSeverity: High\n"
             "LogTypes: [AWS.CloudTrail]\nFilename: stop_logging.py\n")
RULE_CODE = ("from up_helpers import wanted\n\ndef rule(event):\n"
             "    return wanted(event.get('eventName'))\n")
HELPER_SPEC = "AnalysisType: global\nGlobalID: up_helpers\nFilename: up_helpers.py\n"
HELPER_CODE = "def wanted(name):\n    return name == 'StopLogging'\n"


def tree(root: Path, **overrides: str) -> Path:
    files = {"rules/aws/stop_logging.yml": RULE_SPEC, "rules/aws/stop_logging.py": RULE_CODE,
             "global_helpers/up_helpers.yml": HELPER_SPEC, "global_helpers/up_helpers.py": HELPER_CODE,
             **overrides}
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


@pytest.fixture
def api(tmp_path):
    configured = tmp_path / "configured"
    (configured / "rules").mkdir(parents=True)
    (configured / "rules" / "c.yml").write_text(RULE_SPEC.replace("Up.StopLogging", "Configured.One")
                                                .replace("stop_logging.py", "c.py"))
    (configured / "rules" / "c.py").write_text("def rule(event):\n    return False\n")
    client, server, admin = start_server(tmp_path / "data", detections=[str(configured)])
    with client:
        yield Running(client, server, admin.token, admin.email)


def upload(api: Running, data: bytes):
    return api.post("/api/v1/bulk-upload", content=data, headers={"Content-Type": "application/zip"})


def test_an_uploaded_tree_runs_at_once_and_counts_what_changed(api, tmp_path):
    answer = upload(api, pack_tree(tree(tmp_path / "v1")))
    assert answer.status_code == 200, answer.text
    stats = answer.json()
    assert stats["rules"] == {"new": 1, "newIds": ["Up.StopLogging"], "modified": 0, "modifiedIds": [],
                              "deleted": 0, "deletedIds": [], "total": 1}
    assert stats["globalHelpers"]["newIds"] == ["up_helpers"]
    assert api.client.post("/http/trail", content=json.dumps({"Records": [STOP_LOGGING]})).status_code == 200
    api.settle()
    deadline = time.monotonic() + 10
    while not api.get("/api/v1/alerts").json()["results"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [a["detection"]["id"] for a in api.get("/api/v1/alerts").json()["results"]] == ["Up.StopLogging"]

    again = upload(api, pack_tree(tree(tmp_path / "v1"))).json()
    assert again["rules"]["new"] == 0 and again["rules"]["modified"] == 0 and again["rules"]["total"] == 1
    changed = tree(tmp_path / "v2", **{"global_helpers/up_helpers.py": HELPER_CODE.replace("Stop", "Start")})
    assert upload(api, pack_tree(changed)).json()["globalHelpers"]["modifiedIds"] == ["up_helpers"]
    assert api.get("/api/v1/globals/up_helpers").json()["body"] == HELPER_CODE.replace("Stop", "Start")


def test_a_bad_upload_changes_nothing_and_names_every_problem(api, tmp_path):
    assert upload(api, pack_tree(tree(tmp_path / "good"))).status_code == 200
    bad_spec = tree(tmp_path / "bad", **{"rules/aws/stop_logging.yml": RULE_SPEC.replace("High", "Severe")})
    answer = upload(api, pack_tree(bad_spec))
    assert answer.status_code == 400 and "Severity" in answer.json()["message"]
    assert any("stop_logging.yml" in problem for problem in answer.json()["problems"])

    broken = tree(tmp_path / "broken", **{"global_helpers/up_helpers.py": "raise ValueError('helper broke')\n"})
    answer = upload(api, pack_tree(broken))
    assert answer.status_code == 400 and "helper broke" in answer.json()["message"]
    assert api.get("/api/v1/globals/up_helpers").json()["body"] == HELPER_CODE  # as before the upload
    assert api.server.service.detection.stage.engine.rules_for("AWS.CloudTrail") == ["Configured.One",
                                                                                      "Up.StopLogging"]

    owned = tree(tmp_path / "owned", **{"rules/aws/stop_logging.yml": RULE_SPEC.replace("Up.StopLogging",
                                                                                         "Configured.One")})
    answer = upload(api, pack_tree(owned))
    assert answer.status_code == 400 and "Configured.One" in answer.json()["message"]


def test_unsafe_or_unreadable_archives_are_refused(api):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../escape/rules/x.yml", RULE_SPEC)
    answer = upload(api, buffer.getvalue())
    assert answer.status_code == 400 and "outside" in answer.json()["message"]
    assert upload(api, b"not a zip").json()["message"].startswith("nothing was uploaded: not a zip archive")
    answer = api.post("/api/v1/bulk-upload", json={"data": "%%%"})
    assert answer.status_code == 400 and "base64" in answer.json()["message"]


def test_json_base64_and_graphql_uploads(api, tmp_path):
    data = base64.b64encode(pack_tree(tree(tmp_path / "t"))).decode()
    assert api.post("/api/v1/bulk-upload", json={"data": data}).json()["rules"]["new"] == 1
    mutation = """mutation($input: UploadDetectionEntitiesInput!) {
        uploadDetectionEntities(input: $input) { rules { new modified total } globalHelpers { total } } }"""
    answer = api.post("/public/graphql", json={"query": mutation, "variables": {"input": {"data": data}}}).json()
    assert answer["data"]["uploadDetectionEntities"] == {"rules": {"new": 0, "modified": 0, "total": 1},
                                                         "globalHelpers": {"total": 1}}
    start = """mutation($input: UploadDetectionEntitiesInput!) {
        uploadDetectionEntitiesAsync(input: $input) { receiptId } }"""
    receipt = api.post("/public/graphql", json={"query": start, "variables": {"input": {"data": data}}}).json()
    receipt_id = receipt["data"]["uploadDetectionEntitiesAsync"]["receiptId"]
    status_query = """query($id: ID!) { detectionEntitiesUploadStatus(receiptId: $id) {
        status error result { rules { total } } } }"""
    deadline = time.monotonic() + 30
    while True:
        status = api.post("/public/graphql", json={"query": status_query, "variables": {"id": receipt_id}}).json()
        status = status["data"]["detectionEntitiesUploadStatus"]
        if status["status"] != "PENDING" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert status == {"status": "COMPLETED", "error": None, "result": {"rules": {"total": 1}}}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_onca_upload_sends_a_tree_to_a_running_server(tmp_path):
    _, server, admin = start_server(tmp_path / "data")
    from onca.api.app import create_app

    port = _free_port()
    web = uvicorn.Server(uvicorn.Config(create_app(server), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not web.started and time.monotonic() < deadline:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}"
        result = CliRunner().invoke(cli, ["upload", str(tree(tmp_path / "t")), "--url", url, "--json"],
                                    env={"ONCA_API_KEY": admin.token})
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["rules"]["newIds"] == ["Up.StopLogging"]
        refused = CliRunner().invoke(cli, ["upload", str(tree(tmp_path / "t")), "--url", url,
                                           "--api-key", "onca_wrong"])
        assert refused.exit_code == 1
        assert "Up.StopLogging" in [d.id for d in server.service.detection.stage.engine.content.detections]
    finally:
        web.should_exit = True
        thread.join(30)
