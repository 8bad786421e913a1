"""Data-lake queries: asynchronous over REST and through Panther's GraphQL calls."""

from __future__ import annotations

import json
import time

from server_fixtures import OKTA_EVENT

SECRET = {"X-Okta-Secret": "s3cret"}


def ingest_okta(running, n=3):
    for i in range(n):
        running.client.post("/http/okta", content=json.dumps({**OKTA_EVENT, "uuid": f"u-{i}"}), headers=SECRET)
    running.settle()


def wait_done(running, query_id):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body = running.get(f"/api/v1/data-lake/queries/{query_id}", params={"limit": 2}).json()
        if body["status"] != "running":
            return body
        time.sleep(0.02)
    raise AssertionError("the query did not finish")


def test_rest_query_runs_and_pages(running):
    ingest_okta(running)
    started = running.post("/api/v1/data-lake/queries",
                           json={"sql": "SELECT uuid FROM okta_systemlog ORDER BY uuid"})
    assert started.status_code == 202
    done = wait_done(running, started.json()["id"])
    assert done["status"] == "succeeded", done["message"]
    assert done["results"] == [{"uuid": "u-0"}, {"uuid": "u-1"}] and done["next"] == "2"
    assert done["columnInfo"]["order"] == ["uuid"] and done["stats"]["rowCount"] == 3
    rest = running.get(f"/api/v1/data-lake/queries/{started.json()['id']}", params={"cursor": "2"}).json()
    assert rest["results"] == [{"uuid": "u-2"}] and rest["next"] is None


def test_failed_query_says_why(running):
    started = running.post("/api/v1/data-lake/queries", json={"sql": "SELECT FROM WHERE"})
    done = wait_done(running, started.json()["id"])
    assert done["status"] == "failed" and "syntax" in done["message"].lower()
    assert running.get("/api/v1/data-lake/queries/unknown").status_code == 404


def test_panther_graphql_data_lake_calls(running):
    ingest_okta(running, n=2)
    execute = running.post("/public/graphql", json={
        "query": "mutation Run($input: ExecuteDataLakeQueryInput!) { executeDataLakeQuery(input: $input) { id } }",
        "variables": {"input": {"sql": "SELECT uuid, p_log_type FROM panther_logs.okta_systemlog ORDER BY uuid",
                                "databaseName": "panther_logs"}}}).json()
    query_id = execute["data"]["executeDataLakeQuery"]["id"]
    poll = """query Poll($id: ID!) { dataLakeQuery(id: $id) { status message
        results(input: {pageSize: 1}) { edges { node } pageInfo { hasNextPage endCursor }
                                        columnInfo { order types } stats { rowCount executionTime } } } }"""
    deadline = time.monotonic() + 30
    while True:
        data = running.post("/public/graphql", json={"query": poll, "variables": {"id": query_id}}).json()["data"]
        if data["dataLakeQuery"]["status"] != "running" or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    result = data["dataLakeQuery"]
    assert result["status"] == "succeeded", result["message"]
    page = result["results"]
    assert page["edges"] == [{"node": {"uuid": "u-0", "p_log_type": "Okta.SystemLog"}}]
    assert page["pageInfo"] == {"hasNextPage": True, "endCursor": "1"}
    assert page["columnInfo"]["order"] == ["uuid", "p_log_type"] and page["stats"]["rowCount"] == 2
