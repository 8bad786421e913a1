"""A broken detection is reported with its file, function and traceback, and never stops the others."""

from __future__ import annotations

import pytest

from onca.detect.testing import Status, TestOptions, run_content_tests

ONE_TEST = "Tests:\n  - Name: {name}\n    ExpectedResult: {expected}\n    Log: {{}}\n"


def rule_spec(rule_id: str, filename: str, expected: str = "true") -> str:
    return (f"AnalysisType: rule\nRuleID: {rule_id}\nFilename: {filename}\nEnabled: true\nSeverity: Low\n"
            f"LogTypes: [Custom.Log]\n" + ONE_TEST.format(name=f"{rule_id} test", expected=expected))


def tree(broken: dict[str, str]) -> dict[str, str]:
    """The broken files plus two healthy detections that must still pass."""
    files = {
        "rules/healthy_a.yml": rule_spec("Healthy.A", "healthy.py"),
        "rules/healthy_b.yml": rule_spec("Healthy.B", "healthy.py"),
        "rules/healthy.py": "def rule(event):\n    return True\n",
    }
    files.update(broken)
    return files


def outcomes_of(root, **options):
    report = run_content_tests(root, TestOptions(**{"jobs": 0, "timeout": 5, **options}))
    return report, {outcome.id: outcome for outcome in report.outcomes}


def assert_healthy_passed(outcomes):
    assert outcomes["Healthy.A"].status is Status.PASSED
    assert outcomes["Healthy.B"].status is Status.PASSED


def test_broken_syntax_error_invalid_with_location(content_tree):
    root = content_tree(tree({
        "rules/bad.yml": rule_spec("Bad.Syntax", "bad.py"),
        "rules/bad.py": "def rule(event):\n    return (\n",
    }))
    report, outcomes = outcomes_of(root)
    bad = outcomes["Bad.Syntax"]
    assert bad.status is Status.INVALID
    problem = bad.problems[0]
    assert problem.path.endswith("rules/bad.py")
    assert problem.message.startswith("module failed to import: SyntaxError")
    assert "bad.py" in problem.details and "line 2" in problem.details
    assert not report.ok and report.summary()["detections"]["invalid"] == 1
    assert_healthy_passed(outcomes)


def test_broken_import_error_with_traceback(content_tree):
    root = content_tree(tree({
        "rules/bad.yml": rule_spec("Bad.Import", "bad.py"),
        "rules/bad.py": "import helper_that_does_not_exist\ndef rule(event):\n    return True\n",
    }))
    _, outcomes = outcomes_of(root)
    problem = outcomes["Bad.Import"].problems[0]
    assert problem.message == (
        "module failed to import: ModuleNotFoundError: No module named 'helper_that_does_not_exist'"
    )
    assert 'bad.py", line 1, in <module>' in problem.details
    assert "importlib" not in problem.details
    assert_healthy_passed(outcomes)


def test_broken_missing_rule_function(content_tree):
    root = content_tree(tree({
        "rules/bad.yml": rule_spec("Bad.NoRule", "bad.py"),
        "rules/bad.py": "def title(event):\n    return 'x'\n",
    }))
    _, outcomes = outcomes_of(root)
    assert outcomes["Bad.NoRule"].status is Status.INVALID
    assert outcomes["Bad.NoRule"].problems[0].message == "detection needs to have a function named 'rule'"
    assert_healthy_passed(outcomes)


def test_broken_wrong_return_type_and_exception(content_tree):
    root = content_tree(tree({
        "rules/type.yml": rule_spec("Bad.Type", "type.py", expected="false"),
        "rules/type.py": "def rule(event):\n    return 'yes'\n",
        "rules/raise.yml": rule_spec("Bad.Raise", "raise.py", expected="false"),
        "rules/raise.py": "def rule(event):\n    return event['missing'] == 1\n",
    }))
    _, outcomes = outcomes_of(root)
    wrong = outcomes["Bad.Type"].cases[0]
    assert wrong.status is Status.FAILED
    assert wrong.message == (
        "rule() raised FunctionReturnTypeError: detection [Bad.Type] function [rule] returned [str], expected [bool]"
    )
    raised = outcomes["Bad.Raise"].cases[0]
    assert raised.message == "rule() raised KeyError: 'missing'"
    rule_function = next(f for f in raised.functions if f.name == "rule")
    assert rule_function.location.endswith("raise.py:2 in rule()")
    assert "event['missing']" in rule_function.traceback
    assert_healthy_passed(outcomes)


@pytest.mark.parametrize("jobs", [0, 2])
def test_broken_infinite_loop_times_out(content_tree, jobs):
    root = content_tree(tree({
        "rules/loop.yml": rule_spec("Bad.Loop", "loop.py"),
        "rules/loop.py": "def rule(event):\n    while True:\n        try:\n            pass\n"
                         "        except Exception:\n            pass\n",
    }))
    _, outcomes = outcomes_of(root, jobs=jobs, timeout=0.3)
    case = outcomes["Bad.Loop"].cases[0]
    assert case.status is Status.ERROR
    assert case.message == "timed out after 0.3s in Bad.Loop / Bad.Loop test"
    assert_healthy_passed(outcomes)


def test_broken_loop_at_import_times_out(content_tree):
    root = content_tree(tree({
        "rules/loop.yml": rule_spec("Bad.ImportLoop", "loop.py"),
        "rules/loop.py": "while True:\n    pass\n",
    }))
    _, outcomes = outcomes_of(root, timeout=0.3)
    assert outcomes["Bad.ImportLoop"].status is Status.INVALID
    assert outcomes["Bad.ImportLoop"].problems[0].message == "loading the detection timed out after 0.3s in importing Bad.ImportLoop"
    assert_healthy_passed(outcomes)


def test_broken_worker_crash_reported(content_tree):
    root = content_tree(tree({
        "rules/crash.yml": rule_spec("Bad.Crash", "crash.py"),
        "rules/crash.py": "import os\ndef rule(event):\n    os._exit(7)\n",
    }))
    _, outcomes = outcomes_of(root, jobs=2)
    case = outcomes["Bad.Crash"].cases[0]
    assert case.status is Status.ERROR
    assert case.message == "the worker process died (exit code 7) while running this detection"
    assert_healthy_passed(outcomes)


def test_broken_worker_ignoring_alarm_is_killed(content_tree):
    root = content_tree(tree({
        "rules/stuck.yml": rule_spec("Bad.Stuck", "stuck.py"),
        "rules/stuck.py": (
            "import signal\n"
            "def rule(event):\n"
            "    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\n"
            "    while True:\n        pass\n"
        ),
    }))
    _, outcomes = outcomes_of(root, jobs=1, timeout=0.2, grace=0.5)
    assert outcomes["Bad.Stuck"].cases[0].message == (
        "the worker stopped responding and was killed (a test ignored its time limit)"
    )
    assert_healthy_passed(outcomes)


def test_broken_global_helper_reported(content_tree):
    root = content_tree(tree({
        "global_helpers/g.yml": "AnalysisType: global\nGlobalID: broken_helpers\nFilename: g.py\n",
        "global_helpers/g.py": "raise RuntimeError('cannot start')\n",
        "rules/user.yml": rule_spec("Uses.Broken", "user.py"),
        "rules/user.py": "import broken_helpers\ndef rule(event):\n    return True\n",
    }))
    report, outcomes = outcomes_of(root)
    assert [(p.path.endswith("g.py"), p.message) for p in report.problems] == [
        (True, "module failed to import: RuntimeError: cannot start")
    ]
    assert outcomes["Uses.Broken"].status is Status.INVALID
    assert "cannot start" in outcomes["Uses.Broken"].problems[0].message
    assert_healthy_passed(outcomes)


def test_broken_test_input_reported(content_tree):
    spec = rule_spec("Bad.Input", "healthy.py").replace("    Log: {}\n", "    Log: just a string\n")
    missing = rule_spec("Bad.NoLog", "healthy.py").replace("    Log: {}\n", "")
    root = content_tree(tree({"rules/input.yml": spec, "rules/nolog.yml": missing}))
    report, outcomes = outcomes_of(root)
    case = outcomes["Bad.Input"].cases[0]
    assert case.status is Status.ERROR and case.message == "the test's event must be a mapping, got str"
    # A test without a Log is a spec error: that detection is left out, the rest runs.
    assert [p.message for p in report.problems] == ["Tests[0].Log: required key is missing"]
    assert "Bad.NoLog" not in outcomes
    assert_healthy_passed(outcomes)


def test_broken_exit_at_import_is_contained(content_tree):
    root = content_tree(tree({
        "rules/exit.yml": rule_spec("Bad.Exit", "exit.py"),
        "rules/exit.py": "import sys\nsys.exit(2)\n",
    }))
    _, outcomes = outcomes_of(root)
    assert outcomes["Bad.Exit"].problems[0].message == "module failed to import: SystemExit: 2"
    assert_healthy_passed(outcomes)
