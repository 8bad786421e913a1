"""Per-test verdicts of `onca test` on small inline content trees (run in this process)."""

from __future__ import annotations

import sys

import pytest

from onca.detect.testing import Status, TestOptions, run_content_tests


def spec(kind: str, detection_id: str, filename: str, tests: str, extra: str = "") -> str:
    id_key = "PolicyID" if kind == "policy" else "RuleID"
    target = "ResourceTypes: [AWS.S3.Bucket]" if kind == "policy" else (
        "ScheduledQueries: [Q]" if kind == "scheduled_rule" else "LogTypes: [Custom.Log]")
    return (f"AnalysisType: {kind}\n{id_key}: {detection_id}\nFilename: {filename}\nEnabled: true\n"
            f"Severity: Medium\n{target}\n{extra}Tests:\n{tests}")


def run(root, **options):
    report = run_content_tests(root, TestOptions(jobs=0, timeout=5, **options))
    return report, {outcome.id: outcome for outcome in report.outcomes}


def cases(outcome):
    return {case.name: case for case in outcome.cases}


BASIC_TESTS = """
  - Name: alerts as expected
    ExpectedResult: true
    Log: {user: mallory}
  - Name: quiet as expected
    ExpectedResult: false
    Log: {user: alice}
  - Name: should alert but does not
    ExpectedResult: true
    Log: {user: alice}
  - Name: should be quiet but alerts
    ExpectedResult: false
    Log: {user: mallory}
"""


def test_verdict_rule_expected_results(content_tree):
    root = content_tree({
        "rules/r.yml": spec("rule", "Basic", "r.py", BASIC_TESTS),
        "rules/r.py": "def rule(event):\n    return event.get('user') == 'mallory'\n",
    })
    report, outcomes = run(root)
    got = cases(outcomes["Basic"])
    assert got["alerts as expected"].passed and got["quiet as expected"].passed
    assert got["should alert but does not"].status is Status.FAILED
    assert got["should alert but does not"].message == "rule() returned false, expected true"
    assert got["should be quiet but alerts"].message == "rule() returned true, expected false"
    assert outcomes["Basic"].status is Status.FAILED and not report.ok
    assert report.case_counts() == {"passed": 2, "failed": 2, "error": 0}


def test_verdict_aux_errors_fail_only_alerting_tests(content_tree):
    root = content_tree({
        "rules/r.yml": spec("rule", "Aux", "r.py", BASIC_TESTS.split("  - Name: should alert")[0]),
        "rules/r.py": (
            "def rule(event):\n    return event.get('user') == 'mallory'\n"
            "def title(event):\n    return 1 / 0\n"
        ),
    })
    _, outcomes = run(root)
    got = cases(outcomes["Aux"])
    alerting = got["alerts as expected"]
    assert alerting.status is Status.FAILED
    assert alerting.message == "title() raised ZeroDivisionError: division by zero"
    title = next(f for f in alerting.functions if f.name == "title")
    assert title.location.endswith("r.py:4 in title()") and "1 / 0" in title.traceback
    assert got["quiet as expected"].passed  # title() ran and failed, but no alert would be made


def test_verdict_policies_invert(content_tree):
    tests = """
  - Name: compliant
    ExpectedResult: true
    Resource: {encrypted: true}
  - Name: non-compliant
    ExpectedResult: false
    Resource: {encrypted: false}
  - Name: wrongly compliant
    ExpectedResult: false
    Resource: {encrypted: true}
"""
    root = content_tree({
        "policies/p.yml": spec("policy", "Encrypted", "p.py", tests),
        "policies/p.py": (
            "def policy(resource):\n"
            "    assert type(resource) is dict  # policies read plain dicts\n"
            "    return resource['encrypted']\n"
            "def title(resource):\n    return 'unencrypted'\n"
        ),
    })
    _, outcomes = run(root)
    got = cases(outcomes["Encrypted"])
    assert got["compliant"].passed and got["non-compliant"].passed
    assert got["wrongly compliant"].message == "policy() returned true, expected false"


def test_verdict_mocks_are_magicmocks_returning_raw_values(content_tree):
    tests = """
  - Name: mocked
    ExpectedResult: true
    Log: {user: alice}
    Mocks:
      - objectName: lookup_user
        returnValue: '{"admin": true}'
      - objectName: is_enabled
        returnValue: true
  - Name: real functions again
    ExpectedResult: false
    Log: {user: alice}
"""
    root = content_tree({
        "rules/r.yml": spec("rule", "Mocked", "r.py", tests),
        "rules/r.py": (
            "import json\n"
            "from unittest.mock import MagicMock\n"
            "def lookup_user(name):\n    return '{}'\n"
            "def is_enabled():\n    return False\n"
            "def rule(event):\n"
            "    raw = lookup_user(event.get('user'))\n"
            "    if isinstance(lookup_user, MagicMock):\n"
            "        assert raw == '{\"admin\": true}' and is_enabled() is True\n"
            "    return json.loads(raw).get('admin', False)\n"
        ),
    })
    _, outcomes = run(root)
    assert outcomes["Mocked"].status is Status.PASSED


def test_verdict_mock_of_missing_name_is_an_error(content_tree):
    tests = """
  - Name: bad mock
    ExpectedResult: false
    Log: {}
    Mocks:
      - objectName: not_there
        returnValue: x
"""
    root = content_tree({
        "rules/r.yml": spec("rule", "BadMock", "r.py", tests),
        "rules/r.py": "def rule(event):\n    return False\n",
    })
    _, outcomes = run(root)
    case = outcomes["BadMock"].cases[0]
    assert case.status is Status.ERROR
    assert case.message == "mock 'not_there': the detection's module has no attribute 'not_there'"


def test_verdict_module_state_persists_across_tests(content_tree):
    tests = "".join(f"  - Name: call {n}\n    ExpectedResult: {str(n == 3).lower()}\n    Log: {{}}\n" for n in (1, 2, 3))
    root = content_tree({
        "rules/r.yml": spec("rule", "Stateful", "r.py", tests),
        "rules/r.py": "CALLS = []\ndef rule(event):\n    CALLS.append(1)\n    return len(CALLS) == 3\n",
    })
    _, outcomes = run(root)
    assert outcomes["Stateful"].status is Status.PASSED


def test_verdict_data_models_globals_and_caching(content_tree):
    tests = """
  - Name: first login
    ExpectedResult: false
    Log: {p_log_type: Custom.Log, who: {name: alice}}
  - Name: second login
    ExpectedResult: true
    Log: {p_log_type: Custom.Log, who: {name: alice}}
  - Name: other log type has no model
    ExpectedResult: false
    Log: {p_log_type: Other.Log, who: {name: alice}}
"""
    rule_py = (
        "from panther_detection_helpers.caching import add_to_string_set, get_string_set\n"
        "from my_helpers import normalize\n"
        "def rule(event):\n"
        "    user = event.udm('actor_user')\n"
        "    if user is None:\n"
        "        return False\n"
        "    seen = get_string_set('logins')\n"
        "    add_to_string_set('logins', normalize(user))\n"
        "    return normalize(user) in seen\n"
    )
    root = content_tree({
        "rules/r.yml": spec("rule", "Logins", "r.py", tests),
        "rules/r.py": rule_py,
        "rules/again.yml": spec("rule", "LoginsAgain", "r.py", tests),  # same file, fresh module and store
        "global_helpers/h.yml": "AnalysisType: global\nGlobalID: my_helpers\nFilename: h.py\n",
        "global_helpers/h.py": "def normalize(name):\n    return name.upper()\n",
        "data_models/dm.yml": (
            "AnalysisType: datamodel\nDataModelID: Custom.DM\nEnabled: true\nLogTypes: [Custom.Log]\n"
            "Filename: dm.py\nMappings:\n  - Name: actor_user\n    Method: get_actor\n"
        ),
        "data_models/dm.py": "def get_actor(event):\n    return event.deep_get('who', 'name')\n",
    })
    report, outcomes = run(root)
    assert report.problems == []
    assert outcomes["Logins"].status is Status.PASSED, outcomes["Logins"]
    assert outcomes["LoginsAgain"].status is Status.PASSED


def test_verdict_scheduled_rules_read_rows_without_data_model(content_tree):
    tests = """
  - Name: any row alerts
    ExpectedResult: true
    Log: {p_log_type: Custom.Log, user: x}
"""
    root = content_tree({
        "queries/s.yml": spec("scheduled_rule", "Sched", "s.py", tests),
        "queries/s.py": "def title(row):\n    return f\"{row.udm('user')} and {row.data_model}\"\n",
        "data_models/dm.yml": (
            "AnalysisType: datamodel\nDataModelID: DM\nEnabled: true\nLogTypes: [Custom.Log]\n"
            "Mappings:\n  - Name: user\n    Path: nothing.here\n"
        ),
    })
    _, outcomes = run(root)
    case = outcomes["Sched"].cases[0]
    assert case.passed
    assert next(f.output for f in case.functions if f.name == "title") == "x and None"


def test_verdict_simple_detection_and_inline_filters(content_tree):
    simple = """AnalysisType: rule
RuleID: Simple.Archived
Enabled: true
Severity: Info
LogTypes: [GitHub.Audit]
Detection:
  - Key: action
    Condition: Equals
    Value: repo.archived
AlertTitle: "Repository [{repo}] archived"
Tests:
  - Name: archived
    ExpectedResult: true
    Log: {action: repo.archived, repo: org/x}
  - Name: created
    ExpectedResult: false
    Log: {action: repo.create, repo: org/x}
"""
    filtered_tests = """
  - Name: filtered out
    ExpectedResult: false
    Log: {user: mallory, source: internal}
  - Name: kept
    ExpectedResult: true
    Log: {user: mallory, source: external}
"""
    root = content_tree({
        "rules/simple.yml": simple,
        "rules/f.yml": spec("rule", "Filtered", "f.py", filtered_tests,
                            "InlineFilters:\n  - Key: source\n    Condition: Equals\n    Value: external\n"),
        "rules/f.py": "def rule(event):\n    return event.get('user') == 'mallory'\n",
    })
    _, outcomes = run(root)
    archived = cases(outcomes["Simple.Archived"])["archived"]
    assert archived.passed and outcomes["Simple.Archived"].status is Status.PASSED
    assert next(f.output for f in archived.functions if f.name == "title") == "Repository [org/x] archived"
    assert outcomes["Filtered"].status is Status.PASSED


def test_verdict_correlation_rule_tests(content_tree):
    correlation = """AnalysisType: correlation_rule
RuleID: Corr.Absence
Enabled: true
Severity: High
Detection:
  - Group:
      - ID: SSO
        RuleID: Okta.SSO
        Absence: true
      - ID: Login
        RuleID: AWS.Login
    MatchCriteria:
      user:
        - GroupID: SSO
          Match: actor
        - GroupID: Login
          Match: userName
    Schedule:
      RateMinutes: 60
      TimeoutMinutes: 5
    LookbackWindowMinutes: 120
Tests:
  - Name: login after sso
    ExpectedResult: false
    RuleOutputs:
      - ID: SSO
        Matches: {actor: {alice: [0]}}
      - ID: Login
        Matches: {userName: {alice: [2]}}
  - Name: login without sso
    ExpectedResult: true
    RuleOutputs:
      - ID: Login
        Matches: {userName: {alice: [2]}}
  - Name: wrong expectation
    ExpectedResult: true
    RuleOutputs:
      - ID: SSO
        Matches: {actor: {alice: [0]}}
"""
    root = content_tree({"correlation_rules/c.yml": correlation})
    _, outcomes = run(root)
    got = cases(outcomes["Corr.Absence"])
    assert got["login after sso"].passed and got["login without sso"].passed
    assert got["wrong expectation"].status is Status.FAILED
    assert outcomes["Corr.Absence"].kind == "correlation_rule"


def test_verdict_output_captured_and_derived_detection(content_tree):
    tests = "  - Name: prints\n    ExpectedResult: true\n    Log: {}\n"
    root = content_tree({
        "rules/r.yml": spec("rule", "Printer", "r.py", tests),
        "rules/r.py": "def rule(event):\n    print('hello from rule')\n    return True\n",
        "rules/d.yml": "AnalysisType: rule\nRuleID: Printer.Derived\nBaseDetection: Printer\nSeverity: High\n",
    })
    _, outcomes = run(root)
    assert outcomes["Printer"].cases[0].stdout == "hello from rule\n"
    assert outcomes["Printer.Derived"].status is Status.PASSED  # inherits the base's tests and code
    assert [c.name for c in outcomes["Printer.Derived"].cases] == ["prints"]


def test_verdict_minimum_tests_and_skip_disabled(content_tree):
    one_test = "  - Name: only positive\n    ExpectedResult: true\n    Log: {}\n"
    root = content_tree({
        "rules/r.yml": spec("rule", "Thin", "r.py", one_test),
        "rules/r.py": "def rule(event):\n    return True\n",
        "rules/off.yml": spec("rule", "Off", "r.py", one_test).replace("Enabled: true", "Enabled: false"),
    })
    report, outcomes = run(root, minimum_tests=2, skip_disabled=True)
    assert outcomes["Off"].status is Status.SKIPPED and outcomes["Off"].cases == []
    messages = [p.message for p in outcomes["Thin"].problems]
    assert messages == [
        "Insufficient test coverage: 2 tests required but only 1 found",
        "Insufficient test coverage: expected at least one positive and one negative test",
    ]
    assert outcomes["Thin"].status is Status.FAILED and not report.ok
    assert report.summary()["detections"] == {"passed": 0, "failed": 1, "skipped": 1, "invalid": 0}


@pytest.mark.parametrize("jobs", [0, 2])
def test_verdict_same_in_workers_and_in_process(content_tree, jobs):
    root = content_tree({
        "rules/r.yml": spec("rule", "Basic", "r.py", BASIC_TESTS),
        "rules/r.py": "def rule(event):\n    return event.get('user') == 'mallory'\n",
    })
    report = run_content_tests(root, TestOptions(jobs=jobs, timeout=5))
    assert [case.status for case in report.outcomes[0].cases] == [
        Status.PASSED, Status.PASSED, Status.FAILED, Status.FAILED
    ]


def test_verdict_missing_engine_modules_reported(content_tree, monkeypatch):
    # As if the simple-detection and correlation packages were not installed.
    monkeypatch.setitem(sys.modules, "onca.detect.simple", None)
    monkeypatch.setitem(sys.modules, "onca.detect.correlation", None)
    root = content_tree({
        "rules/simple.yml": "AnalysisType: rule\nRuleID: Simple\nEnabled: true\nSeverity: Info\nLogTypes: [X]\n"
                            "Detection:\n  - Key: a\n    Condition: Exists\n"
                            "Tests:\n  - Name: t\n    ExpectedResult: true\n    Log: {a: 1}\n",
        "correlation_rules/c.yml": "AnalysisType: correlation_rule\nRuleID: Corr\nEnabled: true\nSeverity: Info\n"
                                   "Detection: []\nTests:\n  - Name: t\n    ExpectedResult: true\n"
                                   "    RuleOutputs:\n      - ID: a\n",
    })
    _, outcomes = run(root)
    assert outcomes["Simple"].status is Status.INVALID
    assert outcomes["Simple"].problems[0].message.startswith(
        "simple detections need onca.detect.simple, which is not available"
    )
    case = outcomes["Corr"].cases[0]
    assert case.status is Status.ERROR
    assert case.message.startswith("correlation rule tests need onca.detect.correlation, which is not available")
