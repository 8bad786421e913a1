"""Testing a detection through the API (Panther's run-tests-only): it runs against the server's global helpers
in a separate process and saves nothing."""

from __future__ import annotations

import json
import textwrap

import pytest
from server_fixtures import Running, start_server

HELPER_SPEC = "AnalysisType: global\nGlobalID: corp_helpers\nFilename: corp_helpers.py\n"
HELPER_CODE = "def is_break_glass(name):\n    return name.startswith('breakglass-')\n"
RULE_BODY = textwrap.dedent("""
    from corp_helpers import is_break_glass

    def rule(event):
        return event.get("eventName") == "ConsoleLogin" and is_break_glass(event.deep_get("userIdentity", "userName"))

    def title(event):
        return f"break-glass login by {event.deep_get('userIdentity', 'userName')}"
""")


def rule(tests):
    return {"id": "Corp.BreakGlass", "body": RULE_BODY, "severity": "HIGH", "logTypes": ["AWS.CloudTrail"],
            "tests": tests}


def case(name, expected, user):
    return {"name": name, "expectedResult": expected,
            "resource": json.dumps({"eventName": "ConsoleLogin", "userIdentity": {"userName": user}})}


@pytest.fixture
def api(tmp_path):
    content = tmp_path / "content"
    (content / "global_helpers").mkdir(parents=True)
    (content / "global_helpers" / "corp_helpers.yml").write_text(HELPER_SPEC)
    (content / "global_helpers" / "corp_helpers.py").write_text(HELPER_CODE)
    client, server, admin = start_server(tmp_path / "data", detections=[str(content)])
    with client:
        yield Running(client, server, admin.token, admin.email)


def test_passing_tests_answer_204_and_save_nothing(api):
    answer = api.post("/api/v1/rules", params={"run-tests-only": "true"},
                      json=rule([case("break glass", True, "breakglass-1"), case("normal", False, "alice")]))
    assert answer.status_code == 204, answer.text
    assert api.get("/api/v1/rules/Corp.BreakGlass").status_code == 404


def test_failing_tests_answer_400_with_each_result(api):
    answer = api.post("/api/v1/rules", params={"run-tests-only": "true"},
                      json=rule([case("wrong expectation", False, "breakglass-2"), case("normal", False, "bob")]))
    assert answer.status_code == 400
    body = answer.json()
    assert "1 of 2 tests failed: wrong expectation" in body["message"]
    first = body["testResults"][0]
    assert first["name"] == "wrong expectation" and first["passed"] is False and first["triggerAlert"] is True
    assert first["functions"]["detection"] == {"output": "true", "error": None}
    assert body["testResults"][1]["passed"] is True


def test_run_tests_only_saves_nothing(api):
    answer = api.post("/api/v1/rules", params={"run-tests-only": "true"},
                      json=rule([case("break-glass login", True, "breakglass-ann")]))
    assert answer.status_code == 204
    assert api.get("/api/v1/rules/Corp.BreakGlass").status_code == 404
