"""Retention through the API: the config file's entries stay, the API sets the rest, and the retention pass
reads both."""

from __future__ import annotations

import pytest
from server_fixtures import Running, start_server

from onca.api.server import OncaServer
from onca.runtime.server_config import parse_config


@pytest.fixture
def api(tmp_path):
    client, server, admin = start_server(tmp_path / "data", retention={"panther_logs": 30})
    with client:
        yield Running(client, server, admin.token, admin.email)


def test_the_api_sets_retention_beside_the_config_file(api, tmp_path):
    assert api.get("/api/v1/retention").json() == {
        "databases": [{"database": "panther_logs", "days": 30, "managedBy": "config"}]}
    answer = api.client.put("/api/v1/retention", headers=api.headers,
                            json={"days": {"panther_rule_matches": 365, "panther_logs": 30}})
    assert answer.status_code == 200
    assert answer.json()["databases"] == [
        {"database": "panther_logs", "days": 30, "managedBy": "config"},
        {"database": "panther_rule_matches", "days": 365, "managedBy": "api"}]
    assert api.server.retention.effective() == {"panther_logs": 30, "panther_rule_matches": 365}
    # kept across restarts: a new server on the same data directory reads it
    again = OncaServer(parse_config({"retention": {"panther_logs": 30}}), data_dir=tmp_path / "data")
    try:
        assert again.retention.effective() == {"panther_logs": 30, "panther_rule_matches": 365}
    finally:
        again.store.close()
        again.service.stop()


@pytest.mark.parametrize(("days", "message"), [
    ({"panther_logs": 7}, "config file"),
    ({"panther_signals": 0}, "at least 1"),
    ({"../etc": 5}, "invalid lake database name"),
    ({"panther_signals": "forever"}, "whole number"),
])
def test_bad_retention_is_refused_with_the_reason(api, days, message):
    answer = api.client.put("/api/v1/retention", headers=api.headers, json={"days": days})
    assert answer.status_code == 400 and message in answer.json()["message"]
    assert api.server.retention.api_set() == {}
