"""pypanther rule classes on Onca's engine: a custom rule, then pypanther's own rules as a conformance suite."""

from __future__ import annotations

import importlib.util
import sys
import textwrap

import pytest

from onca.detect.content import SpecFilter
from onca.detect.platform import install_platform_modules
from onca.detect.testing import Status, TestOptions, run_content_tests
from onca.detect.testing.pool import run_in_workers
from onca.detect.testing.tasks import Settings

install_platform_modules()
pypanther = pytest.importorskip("pypanther")

from onca.detect.pypanther import pypanther_tasks  # noqa: E402 - after the importorskip

CUSTOM_RULE = '''
from pypanther import LogType, Rule, RuleMock, RuleTest, Severity


def lookup_owner(name):
    return "real"


class CustomRule(Rule):
    id = "Custom.PyRule"
    log_types = [LogType.AWS_CLOUDTRAIL]
    default_severity = Severity.HIGH
    include_filters = [lambda event: event.get("eventSource") == "iam.amazonaws.com"]

    def rule(self, event):
        return event.get("user") == "mallory" and lookup_owner(event.get("user")) == "mocked"

    def title(self, event):
        return f"{event.get('user')} changed IAM"

    def alert_context(self, event):
        return {"user": event.get("user")}

    tests = [
        RuleTest(
            name="hit",
            expected_result=True,
            log={"user": "mallory", "eventSource": "iam.amazonaws.com"},
            mocks=[RuleMock(object_name="lookup_owner", return_value="mocked")],
            expected_title="mallory changed IAM",
            expected_severity=Severity.HIGH,
            expected_alert_context={"user": "mallory"},
        ),
        RuleTest(
            name="filtered",
            expected_result=False,
            log='{"user": "mallory", "eventSource": "s3.amazonaws.com"}',
            mocks=[RuleMock(object_name="lookup_owner", return_value="mocked")],
        ),
        RuleTest(
            name="wrong title",
            expected_result=True,
            log={"user": "mallory", "eventSource": "iam.amazonaws.com"},
            mocks=[RuleMock(object_name="lookup_owner", return_value="mocked")],
            expected_title="something else",
        ),
        RuleTest(
            name="unmocked",
            expected_result=True,
            log={"user": "mallory", "eventSource": "iam.amazonaws.com"},
        ),
    ]
'''


def test_pypanther_custom_rule_cases(tmp_path):
    source = tmp_path / "onca_custom_pyrule.py"
    source.write_text(textwrap.dedent(CUSTOM_RULE))
    spec = importlib.util.spec_from_file_location("onca_custom_pyrule", source)
    module = importlib.util.module_from_spec(spec)
    sys.modules["onca_custom_pyrule"] = module
    try:
        spec.loader.exec_module(module)
        tasks, problems = pypanther_tasks(rules=[module.CustomRule])
        assert problems == [] and [task.id for task in tasks] == ["Custom.PyRule"]
        [outcome] = run_in_workers(tasks, {}, Settings(timeout=5), jobs=0)
    finally:
        del sys.modules["onca_custom_pyrule"]
    cases = {case.name: case for case in outcome.cases}
    assert cases["hit"].passed, cases["hit"].message
    assert cases["filtered"].passed
    assert cases["wrong title"].status is Status.FAILED
    assert cases["wrong title"].message == "title() gave 'mallory changed IAM', expected 'something else'"
    assert cases["unmocked"].message == "rule() returned false, expected true"


def test_pypanther_filters_by_spec_keys():
    tasks, _ = pypanther_tasks(filters=[SpecFilter.parse("LogTypes=Okta.SystemLog")])
    assert tasks and all("Okta.SystemLog" in task.spec["LogTypes"] for task in tasks)


def test_pypanther_managed_rules_conformance():
    report = run_content_tests(None, TestOptions(pypanther=True, jobs=2, timeout=10))
    failing = [(o.id, [c.message for c in o.cases if not c.passed], [p.message for p in o.problems])
               for o in report.outcomes if o.status is not Status.PASSED]
    assert failing == []
    assert report.problems == []
    assert len(report.outcomes) == len(pypanther.get_panther_rules())
    counts = report.case_counts()
    assert counts["failed"] == counts["error"] == 0 and counts["passed"] > 1000
