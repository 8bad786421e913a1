"""Fixtures for policy tests: a small policy tree written inline, its loaded policies, S3 bucket resources."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from onca.detect.build import uninstall_global_helpers
from onca.detect.policies import MemoryComplianceState, PolicyEngine, load_policies
from onca.detect.runner import Detection

VERSIONING_YML = """
AnalysisType: policy
PolicyID: S3.Versioning
DisplayName: S3 bucket versioning
Enabled: true
Filename: versioning.py
Severity: Medium
ResourceTypes:
  - AWS.S3.Bucket
Suppressions:
  - arn:aws:s3:::scratch-*
Tags: [AWS, Data Protection]
Reports:
  CIS: ["2.1.3"]
Runbook: Turn on versioning.
Reference: https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html
Description: Buckets keep old versions of objects.
OutputIds: [ops-slack]
"""

VERSIONING_PY = """
from policy_test_helpers import status_of

def policy(resource):
    return status_of(resource) == "Enabled"

def title(resource):
    return f"Versioning is off on {resource['Name']}"

def alert_context(resource):
    return {"bucket": resource["Name"], "account": resource.get("AccountId")}

def severity(resource):
    return "HIGH" if resource.get("Public") else "DEFAULT"

def destinations(resource):
    return ["security-pager"] if resource.get("Public") else []
"""

HELPERS_YML = """
AnalysisType: global
GlobalID: policy_test_helpers
Filename: policy_test_helpers.py
"""

HELPERS_PY = """
def status_of(resource):
    return (resource.get("Versioning") or {}).get("Status")
"""

TAGGED_YML = """
AnalysisType: policy
PolicyID: Any.Tagged
Enabled: true
Filename: tagged.py
Severity: Low
"""

TAGGED_PY = """
def policy(resource):
    tags = resource["Tags"]
    if not isinstance(tags, dict):
        return "not a bool"
    tags.setdefault("seen-by", "Any.Tagged")  # a careless policy changes what it reads
    return "owner" in tags
"""

DEDUP_YML = """
AnalysisType: policy
PolicyID: KMS.Rotation
Enabled: true
Filename: rotation.py
Severity: Low
ResourceTypes: [AWS.KMS.Key]
"""

DEDUP_PY = """
def policy(resource):
    return resource.get("KeyRotationEnabled") is True

def dedup(resource):
    return f"account {resource['AccountId']}"
"""

DISABLED_YML = """
AnalysisType: policy
PolicyID: Disabled.Policy
Enabled: false
Filename: disabled.py
Severity: Info
ResourceTypes: [AWS.S3.Bucket]
"""

DISABLED_PY = """
def policy(resource):
    return False
"""

RULE_YML = """
AnalysisType: rule
RuleID: Not.A.Policy
Enabled: true
Filename: rule.py
Severity: Low
LogTypes: [AWS.CloudTrail]
"""

RULE_PY = """
def rule(event):
    return True
"""

TREE = {
    "policies/versioning.yml": VERSIONING_YML,
    "policies/versioning.py": VERSIONING_PY,
    "policies/tagged.yml": TAGGED_YML,
    "policies/tagged.py": TAGGED_PY,
    "policies/rotation.yml": DEDUP_YML,
    "policies/rotation.py": DEDUP_PY,
    "policies/disabled.yml": DISABLED_YML,
    "policies/disabled.py": DISABLED_PY,
    "global_helpers/policy_test_helpers.yml": HELPERS_YML,
    "global_helpers/policy_test_helpers.py": HELPERS_PY,
    "rules/rule.yml": RULE_YML,
    "rules/rule.py": RULE_PY,
}


T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


def make_bucket(name: str, versioning: str | None = "Enabled", **extra: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "ResourceType": "AWS.S3.Bucket",
        "ResourceId": f"arn:aws:s3:::{name}",
        "Name": name,
        "AccountId": "123456789012",
        "Tags": {"owner": "data"},
        **extra,
    }
    if versioning is not None:
        resource["Versioning"] = {"Status": versioning}
    return resource


@pytest.fixture
def bucket() -> Callable[..., dict[str, Any]]:
    """``bucket(name, versioning="Enabled", **extra)``: an AWS.S3.Bucket snapshot."""
    return make_bucket


@pytest.fixture
def tree_files() -> dict[str, str]:
    """The policy tree as ``{relative path: text}``, to write with changes."""
    return dict(TREE)


@pytest.fixture
def policy_root(content_tree: Callable[[dict[str, str]], Path]) -> Path:
    return content_tree(TREE)


@pytest.fixture
def policies(policy_root: Path) -> Iterator[list[Detection]]:
    loaded, problems = load_policies([policy_root])
    assert problems == []
    yield loaded
    uninstall_global_helpers()


class Clock:
    """A clock the test moves: one minute per evaluation."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def engine(policies: list[Detection]) -> PolicyEngine:
    return PolicyEngine(policies, MemoryComplianceState(), clock=Clock())
