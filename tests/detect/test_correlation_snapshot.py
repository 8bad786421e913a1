"""Every correlation rule test shipped in the panther-analysis snapshot gives its ExpectedResult."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from onca.detect.correlation import compile_correlation, run_correlation_test

SNAPSHOT = Path("/work/panther-analysis")
# Most live in correlation_rules/, a few sit beside the rules they correlate.
MARKER = "AnalysisType: correlation_rule"


def _rules() -> list[tuple[Path, dict[str, Any]]]:
    if not SNAPSHOT.is_dir():
        return []
    loader = YAML(typ="safe", pure=True)  # YAML 1.2, as the content is written for
    found = []
    for path in sorted(SNAPSHOT.rglob("*.yml")):
        text = path.read_text(encoding="utf-8")
        if MARKER in text:
            spec = loader.load(text)
            if isinstance(spec, dict) and spec.get("AnalysisType") == "correlation_rule":
                found.append((path, spec))
    return found


RULES = _rules()
CASES = [(path, spec, case) for path, spec in RULES for case in spec.get("Tests", [])]
needs_snapshot = pytest.mark.skipif(not RULES, reason="panther-analysis snapshot not present")


@needs_snapshot
@pytest.mark.parametrize(("path", "spec", "case"), CASES, ids=[f"{p.stem}:{c['Name']}" for p, _, c in CASES])
def test_correlation_snapshot_case(path: Path, spec: dict[str, Any], case: dict[str, Any]) -> None:
    assert run_correlation_test(spec, case) is case["ExpectedResult"]


@needs_snapshot
def test_correlation_snapshot_all_pass() -> None:
    passed = 0
    for _, spec, case in CASES:
        rule = compile_correlation(spec)
        passed += run_correlation_test(rule, case) is case["ExpectedResult"]
    assert (len(RULES), len(CASES), passed) == (31, 91, 91)
