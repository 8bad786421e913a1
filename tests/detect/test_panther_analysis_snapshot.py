"""The whole panther-analysis snapshot, when this machine has it: every test case must pass."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from onca.detect.content import load_content
from onca.detect.testing import TestOptions, run_content_tests

PANTHER_ANALYSIS = Path("/work/panther-analysis")  # a snapshot, when this machine has one


pytestmark = pytest.mark.skipif(not PANTHER_ANALYSIS.is_dir(), reason="no panther-analysis snapshot")


def test_snapshot_inventory():
    content = load_content(PANTHER_ANALYSIS)
    assert content.problems == []
    assert Counter(item.kind for item in content.items) == {
        "rule": 866, "scheduled_rule": 57, "policy": 119, "correlation_rule": 31, "scheduled_query": 77,
        "saved_query": 18, "datamodel": 34, "global": 44, "lookup_table": 12, "pack": 64,
    }
    assert sum(len(item.tests) for item in content.detections) == 3595


@pytest.mark.slow
def test_snapshot_every_test_case_passes():
    report = run_content_tests(PANTHER_ANALYSIS, TestOptions(timeout=30))
    not_passed = [(o.id, [(c.name, c.message) for c in o.cases if not c.passed], [p.message for p in o.problems])
                  for o in report.outcomes if o.status.value != "passed"]
    assert not_passed == [] and report.problems == []
    assert report.ok
    assert report.case_counts_by_kind() == {
        "correlation_rule": {"passed": 91},
        "policy": {"passed": 390},
        "rule": {"passed": 3003},
        "scheduled_rule": {"passed": 111},
    }
    assert len(report.outcomes) == 866 + 57 + 119 + 31


@pytest.mark.slow
def test_snapshot_global_helper_unit_tests_pass_on_onca_platform(tmp_path):
    """panther-analysis's own tests of its helpers (which build events) pass against Onca's event classes."""
    script = (
        "import sys, unittest\n"
        "sys.dont_write_bytecode = True\n"
        "from onca.detect.platform import install_platform_modules\n"
        "install_platform_modules()\n"
        f"helpers = {str(PANTHER_ANALYSIS / 'global_helpers')!r}\n"
        "sys.path.insert(0, helpers)\n"
        "suite = unittest.defaultTestLoader.discover(helpers, pattern='*_test.py', top_level_dir=helpers)\n"
        "result = unittest.TextTestRunner(verbosity=0).run(suite)\n"
        "print('RAN', result.testsRun, len(result.failures), len(result.errors))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          check=False)
    assert "RAN 173 0 0" in done.stdout, done.stdout + done.stderr
