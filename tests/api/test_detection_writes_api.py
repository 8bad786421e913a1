"""Detections, data models and globals written through the API: saved to the managed tree and live at once."""

from __future__ import annotations

import json
import time
import textwrap

import pytest
from server_fixtures import STOP_LOGGING, Running, start_server

RULE_BODY = "def rule(event):\n    return event.get('eventName') == 'StopLogging'\n"
OTHER_BODY = "def rule(event):\n    return event.get('eventName') == 'DeleteTrail'\n"


def rule(rule_id="Corp.StopLogging", body=RULE_BODY, **extra):
    return {"id": rule_id, "body": body, "severity": "HIGH", "logTypes": ["AWS.CloudTrail"], **extra}


def alerts_of(api: Running, detection_id: str, *, wait: float = 10.0) -> list[dict]:
    deadline = time.monotonic() + wait
    while True:
        found = [a for a in api.get("/api/v1/alerts").json()["results"] if a["detection"]["id"] == detection_id]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def send(api: Running, event: dict) -> None:
    assert api.client.post("/http/trail", content=json.dumps({"Records": [event]})).status_code == 200
    api.settle()


@pytest.fixture
def configured(tmp_path):
    """A content tree named in the server's configuration, holding one rule."""
    tree = tmp_path / "configured"
    (tree / "rules").mkdir(parents=True)
    (tree / "rules" / "kept.yml").write_text(
        "AnalysisType: rule\nRuleID: Configured.Rule\nEnabled: true\nSeverity: Low\nLogTypes: [AWS.CloudTrail]\n"
        "Filename: kept.py\n")
    (tree / "rules" / "kept.py").write_text("def rule(event):\n    return False\n")
    return tree


@pytest.fixture
def api(tmp_path, configured):
    client, server, admin = start_server(tmp_path / "data", detections=[str(configured)])
    with client:
        yield Running(client, server, admin.token, admin.email)


def test_a_rule_created_through_the_api_alerts_on_the_next_event(api):
    created = api.post("/api/v1/rules", json=rule(displayName="Logging stopped", tags=["cis"]))
    assert created.status_code == 200, created.text
    assert created.json()["id"] == "Corp.StopLogging" and created.json()["displayName"] == "Logging stopped"
    assert created.json()["severity"] == "HIGH" and created.json()["body"] == RULE_BODY
    assert api.get("/api/v1/rules/Corp.StopLogging").json()["tags"] == ["cis"]
    send(api, STOP_LOGGING)
    assert len(alerts_of(api, "Corp.StopLogging")) == 1
    assert api.post("/api/v1/rules", json=rule()).status_code == 409  # the id is taken


def test_put_replaces_and_delete_removes(api):
    assert api.client.put("/api/v1/rules/Corp.StopLogging", json=rule(), headers=api.headers).status_code == 201
    replaced = api.client.put("/api/v1/rules/Corp.StopLogging", json=rule(body=OTHER_BODY), headers=api.headers)
    assert replaced.status_code == 200 and replaced.json()["body"] == OTHER_BODY
    send(api, STOP_LOGGING)  # the old code would match this one
    assert alerts_of(api, "Corp.StopLogging", wait=1.0) == []
    assert api.delete("/api/v1/rules/Corp.StopLogging").status_code == 204
    assert api.get("/api/v1/rules/Corp.StopLogging").status_code == 404
    assert api.delete("/api/v1/rules/Corp.StopLogging").status_code == 404
    assert api.server.service.detection.stage.engine.rules_for("AWS.CloudTrail") == ["Configured.Rule"]


def test_bad_items_are_refused_with_what_is_wrong_and_nothing_changes(api):
    assert api.post("/api/v1/rules", json=rule()).status_code == 200
    syntax = api.client.put("/api/v1/rules/Corp.StopLogging", headers=api.headers,
                            json=rule(body="def rule(event):\n    return (\n"))
    assert syntax.status_code == 400 and "line 2" in syntax.json()["message"]
    missing = api.post("/api/v1/rules", json={"id": "Corp.NoSeverity", "body": RULE_BODY})
    assert missing.status_code == 400 and "severity" in missing.json()["message"]
    spec = api.post("/api/v1/rules", json=rule("Corp.BadThreshold", threshold="many"))
    assert spec.status_code == 400 and "Threshold" in spec.json()["message"]
    raises = api.client.put("/api/v1/rules/Corp.StopLogging", headers=api.headers,
                            json=rule(body="raise RuntimeError('broken at import')\n"))
    assert raises.status_code == 400 and "broken at import" in raises.json()["message"]
    assert api.get("/api/v1/rules/Corp.StopLogging").json()["body"] == RULE_BODY  # the previous version stays
    send(api, STOP_LOGGING)
    assert len(alerts_of(api, "Corp.StopLogging")) == 1


def test_items_of_configured_trees_are_read_only(api):
    answer = api.client.put("/api/v1/rules/Configured.Rule", json=rule("Configured.Rule"), headers=api.headers)
    assert answer.status_code == 409 and "configuration" in answer.json()["message"]
    assert api.delete("/api/v1/rules/Configured.Rule").status_code == 409
    assert api.post("/api/v1/policies", json={"id": "Corp.StopLogging", "body": "def policy(r):\n    return True\n",
                                              "severity": "LOW"}).status_code == 200
    wrong_kind = api.client.put("/api/v1/rules/Corp.StopLogging", json=rule(), headers=api.headers)
    assert wrong_kind.status_code == 409 and "policies" in wrong_kind.json()["message"]


def test_run_tests_first_saves_only_when_the_tests_pass(api):
    failing = [{"name": "misses", "expectedResult": True, "resource": json.dumps({"eventName": "Other"})}]
    answer = api.post("/api/v1/rules", params={"run-tests-first": "true"}, json=rule(tests=failing))
    assert answer.status_code == 400 and answer.json()["testResults"][0]["passed"] is False
    assert api.get("/api/v1/rules/Corp.StopLogging").status_code == 404
    passing = [{"name": "hits", "expectedResult": True, "resource": json.dumps(STOP_LOGGING)}]
    answer = api.post("/api/v1/rules", params={"run-tests-first": "true"}, json=rule(tests=passing))
    assert answer.status_code == 200 and answer.json()["tests"][0]["name"] == "hits"


def test_globals_data_models_simple_and_correlation_rules(api):
    helper = {"id": "corp_names", "body": "def is_admin(name):\n    return name.startswith('admin-')\n"}
    assert api.post("/api/v1/globals", json=helper).status_code == 200
    body = textwrap.dedent("""
        from corp_names import is_admin

        def rule(event):
            return is_admin(event.udm('actor_user') or '')
    """)
    model = {"id": "Corp.CloudTrail", "logTypes": ["AWS.CloudTrail"],
             "mappings": [{"name": "actor_user", "path": "$.userIdentity.userName"}]}
    assert api.client.put("/api/v1/data-models/Corp.CloudTrail", json=model, headers=api.headers).status_code == 201
    assert api.post("/api/v1/rules", json=rule("Corp.AdminAction", body=body)).status_code == 200
    simple = {"id": "Corp.Simple", "severity": "LOW", "logTypes": ["AWS.CloudTrail"],
              "detection": "- KeyPath: eventName\n  Condition: Equals\n  Value: StopLogging\n"}
    made = api.post("/api/v1/simple-rules", json=simple)
    assert made.status_code == 200 and "StopLogging" in made.json()["detection"]
    correlation = {"id": "Corp.Sequence", "severity": "HIGH", "detection": yaml_sequence()}
    made = api.post("/api/v1/correlation-rules", json=correlation)
    assert made.status_code == 200, made.text
    event = {**STOP_LOGGING, "userIdentity": {"type": "IAMUser", "userName": "admin-bob"}}
    send(api, event)
    assert len(alerts_of(api, "Corp.AdminAction")) == 1
    assert len(alerts_of(api, "Corp.Simple")) == 1
    listed = api.get("/api/v1/data-models").json()["results"]
    assert [m["id"] for m in listed] == ["Corp.CloudTrail"] and listed[0]["mappings"][0]["name"] == "actor_user"
    assert api.delete("/api/v1/globals/corp_names").status_code == 204


def yaml_sequence() -> str:
    return textwrap.dedent("""
        - Sequence:
            - ID: first
              RuleID: Corp.Simple
            - ID: second
              RuleID: Corp.AdminAction
          Transitions:
            - ID: first to second
              From: first
              To: second
              WithinTimeFrameMinutes: 15
          LookbackWindowMinutes: 15
          Schedule:
            RateMinutes: 5
            TimeoutMinutes: 1
    """)


def test_reload_forks_new_workers_from_the_template(tmp_path, configured):
    client, server, admin = start_server(tmp_path / "data", detections=[str(configured)], detectionWorkers=1)
    with client:
        api = Running(client, server, admin.token, admin.email)
        assert api.post("/api/v1/rules", json=rule()).status_code == 200
        send(api, STOP_LOGGING)
        assert len(alerts_of(api, "Corp.StopLogging")) == 1
        metrics = server.service.detection.stage.engine.metrics()
        assert metrics["Corp.StopLogging"].matches == 1


def test_graphql_lists_detections_of_every_kind(api):
    assert api.post("/api/v1/rules", json=rule()).status_code == 200
    policy = {"id": "Corp.Bucket", "body": "def policy(resource):\n    return True\n", "severity": "LOW",
              "resourceTypes": ["AWS.S3.Bucket"]}
    assert api.post("/api/v1/policies", json=policy).status_code == 200
    query = """query($input: DetectionsInput) { detections(input: $input) {
        edges { node } pageInfo { hasNextPage endCursor } } }"""

    def ask(**filters):
        answer = api.post("/public/graphql", json={"query": query, "variables": {"input": filters}}).json()
        return answer["data"]["detections"]

    everything = ask()
    assert [(e["node"]["id"], e["node"]["analysisType"]) for e in everything["edges"]] == [
        ("Configured.Rule", "RULE"), ("Corp.Bucket", "POLICY"), ("Corp.StopLogging", "RULE")]
    assert [e["node"]["id"] for e in ask(analysisTypes=["POLICY"])["edges"]] == ["Corp.Bucket"]
    assert [e["node"]["id"] for e in ask(logTypes=["AWS.CloudTrail"], severity=["HIGH"])["edges"]] == [
        "Corp.StopLogging"]
    first = ask(pageSize=2)
    assert first["pageInfo"] == {"hasNextPage": True, "endCursor": "Corp.Bucket"}
    assert [e["node"]["id"] for e in ask(pageSize=2, cursor="Corp.Bucket")["edges"]] == ["Corp.StopLogging"]
    one = api.post("/public/graphql", json={"query": 'query { detection(id: "Corp.Bucket") }'}).json()
    assert one["data"]["detection"]["resourceTypes"] == ["AWS.S3.Bucket"]
