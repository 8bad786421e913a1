"""docs/correlation-rules.md documents every key of the Detection block."""

from __future__ import annotations

from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "correlation-rules.md"
KEYS = [
    "Group",
    "Sequence",
    "RuleID",
    "ID",
    "MinMatchCount",
    "MaxMatchCount",
    "Absence",
    "MatchCriteria",
    "Transitions",
    "WithinTimeFrameMinutes",
    "LookbackWindowMinutes",
    "EventEvaluationOrder",
    "Schedule",
    "RuleOutputs",
]


@pytest.mark.parametrize("key", KEYS)
def test_correlation_docs_name_every_key(key: str) -> None:
    assert f"`{key}" in DOC.read_text(encoding="utf-8")
