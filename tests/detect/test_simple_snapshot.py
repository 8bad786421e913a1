"""The simple detection and the InlineFilters blocks shipped in the panther-analysis snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from onca.detect.simple import compile_match, compile_simple_detection

SNAPSHOT = Path("/work/panther-analysis")
SNAPSHOT_RULE = SNAPSHOT / "rules" / "github_rules" / "github_repo_archived.yml"


@pytest.mark.skipif(not SNAPSHOT_RULE.exists(), reason="panther-analysis snapshot not present")
def test_simple_snapshot_github_repo_archived() -> None:
    spec = YAML(typ="safe", pure=True).load(SNAPSHOT_RULE.read_text())
    detection = compile_simple_detection(spec)
    assert spec["Tests"], "the snapshot rule carries its own tests"
    for case in spec["Tests"]:
        assert detection.matches(case["Log"]) is case["ExpectedResult"], case["Name"]
    archived = next(case["Log"] for case in spec["Tests"] if case["ExpectedResult"])
    assert (
        detection.title is not None and detection.title(archived) == "Repository [my-org/my-repo] archived."
    )
    assert detection.alert_context is not None
    assert detection.alert_context(archived) == {
        "action": "repo.archived",
        "actor": "cat",
        "org": "my-org",
        "repo": "my-org/my-repo",
        "user": None,
        "actor_location": None,
    }


@pytest.mark.skipif(not SNAPSHOT.is_dir(), reason="panther-analysis snapshot not present")
def test_simple_snapshot_inline_filters_compile() -> None:
    loader = YAML(typ="safe", pure=True)
    blocks = []
    for path in sorted(SNAPSHOT.rglob("*.yml")):
        text = path.read_text(encoding="utf-8")
        if "InlineFilters" in text:
            spec = loader.load(text)
            if isinstance(spec, dict) and "InlineFilters" in spec:
                blocks.append((path.name, compile_match(spec["InlineFilters"], where="InlineFilters")))
    assert len(blocks) >= 10
    event = {"environment": "Production", "p_log_type": "AWS.CloudTrail"}
    # The shipped blocks are empty "All" groups (which pass everything) or the template's
    # StartsWith filter, which only lets Sandbox environments through.
    results = {name: matcher(event) for name, matcher in blocks}
    assert results.pop("example_rule.yml", False) is False
    assert all(results.values())
