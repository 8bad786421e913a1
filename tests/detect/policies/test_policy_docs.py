"""docs/policies.md documents the policy keys the engine reads and every public name of the package."""

from __future__ import annotations

from pathlib import Path

import pytest

import onca.detect.policies as policies

DOC = Path(__file__).resolve().parents[3] / "docs" / "policies.md"
SPEC_KEYS = ["PolicyID", "Enabled", "ResourceTypes", "Suppressions", "Severity", "OutputIds", "ResourceType",
             "ResourceId"]
CONSTANTS = {"PASS", "FAIL", "ERROR", "STATUSES", "PolicyStatus"}


@pytest.mark.parametrize("name", SPEC_KEYS + sorted(set(policies.__all__) - CONSTANTS))
def test_policy_docs_name_every_key_and_public_name(name: str) -> None:
    assert f"`{name}" in DOC.read_text(encoding="utf-8")
