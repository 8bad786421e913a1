"""`onca test` on the command line: summary, exit codes, JSON and JUnit output, options."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from typer.testing import CliRunner

from onca.cli.main import app

runner = CliRunner()

RULE = """AnalysisType: rule
RuleID: {id}
Filename: r.py
Enabled: {enabled}
Severity: {severity}
LogTypes: [Custom.Log]
Tests:
  - Name: positive
    ExpectedResult: true
    Log: {{user: mallory}}
  - Name: negative
    ExpectedResult: {negative}
    Log: {{user: alice}}
"""
RULE_PY = "def rule(event):\n    return event.get('user') == 'mallory'\n"


def passing_tree(content_tree):
    return content_tree({
        "rules/a.yml": RULE.format(id="Rule.A", enabled="true", severity="Low", negative="false"),
        "rules/b.yml": RULE.format(id="Rule.B", enabled="false", severity="High", negative="false"),
        "rules/r.py": RULE_PY,
    })


def invoke(*args: str):
    return runner.invoke(app, ["test", *args, "--jobs", "0"])


def test_test_command_passes_with_summary(content_tree):
    root = passing_tree(content_tree)
    result = invoke(str(root))
    assert result.exit_code == 0, result.output
    assert "Test Summary" in result.output
    assert "\tPassed: 2\n\tSkipped: 0\n\tFailed: 0\n\tInvalid: 0\n" in result.output
    assert "Tests: 4 run, 4 passed, 0 failed, 0 errored" in result.output


def test_test_command_failure_exits_1_and_lists_it(content_tree):
    root = content_tree({
        "rules/a.yml": RULE.format(id="Rule.Fails", enabled="true", severity="Low", negative="true"),
        "rules/r.py": RULE_PY,
    })
    result = invoke(str(root))
    assert result.exit_code == 1
    assert "Rule.Fails\n\t[FAIL] negative\n\t\trule() returned false, expected true" in result.output
    assert "Failed Tests Summary" in result.output and "['negative']" in result.output


def test_test_command_invalid_spec_exits_1(content_tree):
    root = passing_tree(content_tree)
    (root / "rules" / "bad.yml").write_text("AnalysisType: rule\nRuleID: Bad\nEnabled: maybe\n")
    result = invoke(str(root))
    assert result.exit_code == 1
    assert "Invalid Tests Summary" in result.output and "Enabled: Input should be a valid boolean" in result.output


def test_test_command_filters_and_skip_disabled(content_tree):
    root = passing_tree(content_tree)
    only_high = invoke(str(root), "--filter", "Severity=High")
    assert only_high.exit_code == 0 and "\tPassed: 1\n" in only_high.output
    skipped = invoke(str(root), "--skip-disabled-tests")
    assert skipped.exit_code == 0 and "\tPassed: 1\n\tSkipped: 1\n" in skipped.output
    bad_filter = invoke(str(root), "--filter", "Severity")
    assert bad_filter.exit_code == 2 and "KEY=VALUE" in bad_filter.output


def test_test_command_minimum_tests(content_tree):
    root = passing_tree(content_tree)
    result = invoke(str(root), "--minimum-tests", "3")
    assert result.exit_code == 1
    assert "Insufficient test coverage: 3 tests required but only 2 found" in result.output


def test_test_command_json_report(content_tree):
    root = passing_tree(content_tree)
    result = invoke(str(root), "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["summary"]["tests"] == {"passed": 4, "failed": 0, "error": 0}
    assert report["summary"]["tests_by_kind"] == {"rule": {"passed": 4}}
    detection = next(d for d in report["detections"] if d["id"] == "Rule.A")
    assert [c["name"] for c in detection["cases"]] == ["positive", "negative"]
    assert detection["cases"][0]["functions"][0] == {
        "name": "rule", "output": "true", "error": None, "traceback": None, "location": None, "ok": True,
    }


def test_test_command_junit_report(content_tree, tmp_path):
    root = content_tree({
        "rules/a.yml": RULE.format(id="Rule.Fails", enabled="true", severity="Low", negative="true"),
        "rules/r.py": RULE_PY,
    })
    junit = tmp_path / "report.xml"
    result = invoke(str(root), "--junit", str(junit))
    assert result.exit_code == 1
    suites = ET.parse(junit).getroot()
    suite = suites.find("testsuite")
    assert suite.get("name") == "Rule.Fails" and suite.get("tests") == "2" and suite.get("failures") == "1"
    failed = [case for case in suite.iter("testcase") if case.find("failure") is not None]
    assert [case.get("name") for case in failed] == ["negative"]
    assert failed[0].find("failure").get("message") == "rule() returned false, expected true"


def test_test_command_missing_path(tmp_path):
    result = invoke(str(tmp_path / "absent"))
    assert result.exit_code == 2 and "no such file or directory" in result.output


def test_test_command_verbose_prints_every_test(content_tree):
    root = passing_tree(content_tree)
    result = invoke(str(root), "-v")
    assert "Rule.A\n\t[PASS] positive\n\t\t[PASS] [rule] true\n" in result.output


def test_test_command_counts_an_invalid_file_once(content_tree):
    root = passing_tree(content_tree)
    (root / "rules" / "bad.yml").write_text("AnalysisType: rule\nRuleID: Bad\nEnabled: maybe\nSeverty: x\n")
    result = invoke(str(root))
    assert result.exit_code == 1 and "\tInvalid: 1\n" in result.output
    assert "bad.yml\n\t\tEnabled: Input should be a valid boolean\n" in result.output
    assert "\t\tSeverty: unknown key\n" in result.output
