"""Every panther-analysis policy test without mocks gives its ExpectedResult through PolicyEngine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from onca.detect.build import uninstall_global_helpers
from onca.detect.policies import MemoryComplianceState, PolicyEngine, load_policies

SNAPSHOT = Path("/work/panther-analysis")


@pytest.fixture(scope="module")
def snapshot_policies() -> Iterator[list[Any]]:
    if not SNAPSHOT.is_dir():
        pytest.skip("panther-analysis snapshot not present")
    policies, problems = load_policies([SNAPSHOT], include_disabled=True)
    assert problems == []
    yield policies
    uninstall_global_helpers()


def _resource(policy: Any, case: dict[str, Any]) -> dict[str, Any]:
    """The test's Resource, with the identity a scanner would give it; most tests leave it out."""
    resource = dict(case["Resource"])
    resource.setdefault("ResourceType", (policy.spec.get("ResourceTypes") or ["Test.Resource"])[0])
    resource.setdefault("ResourceId", f"test:{case['Name']}")
    return resource


@pytest.mark.slow
def test_policy_snapshot_tests_give_expected_results(snapshot_policies: list[Any]) -> None:
    wrong: list[str] = []
    cases = 0
    for policy in snapshot_policies:
        engine = PolicyEngine([policy], MemoryComplianceState())
        for case in policy.spec.get("Tests") or []:
            if case.get("Mocks"):
                continue
            cases += 1
            results = engine.evaluate([_resource(policy, case)])
            expected = "PASS" if case["ExpectedResult"] else "FAIL"
            if [r.status for r in results] != [expected]:
                wrong.append(f"{policy.id} / {case['Name']}: {[(r.status, r.error) for r in results]}")
    assert (len(snapshot_policies), cases, wrong) == (119, 380, [])
