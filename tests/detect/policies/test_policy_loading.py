"""load_policies: enabled policies from content trees, their helpers, and a problem for each bad one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from onca.detect.build import uninstall_global_helpers
from onca.detect.policies import load_policies
from onca.detect.runner import DetectionKind


@pytest.fixture(autouse=True)
def _forget_helpers() -> Iterator[None]:
    yield
    uninstall_global_helpers()


def test_load_policies_takes_enabled_policies_only(policy_root: Path) -> None:
    policies, problems = load_policies([policy_root])
    assert problems == []
    assert sorted(p.id for p in policies) == ["Any.Tagged", "KMS.Rotation", "S3.Versioning"]
    assert all(p.kind is DetectionKind.POLICY for p in policies)
    everything, _ = load_policies([policy_root], include_disabled=True)
    assert "Disabled.Policy" in {p.id for p in everything}


def test_load_policies_writes_no_bytecode_into_the_tree(policy_root: Path) -> None:
    load_policies([policy_root])
    assert not list(policy_root.rglob("__pycache__"))


def test_load_policies_reports_broken_policies_and_keeps_the_rest(
    content_tree: Callable[[dict[str, str]], Path], tree_files: dict[str, str]
) -> None:
    root = content_tree({
        **tree_files,
        "policies/tagged.py": "def policy(resource):\n    return (\n",  # syntax error
        "policies/bad.yml": "AnalysisType: policy\nPolicyID: Bad\nEnabled: true\nSeverity: Low\n",  # no Filename
    })
    policies, problems = load_policies([root])
    assert sorted(p.id for p in policies) == ["KMS.Rotation", "S3.Versioning"]
    messages = {p.path.name: p.message for p in problems}
    assert "SyntaxError" in messages["tagged.py"]
    assert "Filename" in messages["bad.yml"]


def test_load_policies_from_several_trees_rejects_duplicate_ids(policy_root: Path, tmp_path: Path) -> None:
    root = policy_root
    other = tmp_path / "other"
    other.mkdir()
    (other / "versioning.yml").write_text((root / "policies/versioning.yml").read_text())
    (other / "versioning.py").write_text("def policy(resource):\n    return True\n")
    (other / "extra.yml").write_text(
        "AnalysisType: policy\nPolicyID: Extra\nEnabled: true\nFilename: extra.py\nSeverity: Low\n"
    )
    (other / "extra.py").write_text("def policy(resource):\n    return True\n")
    policies, problems = load_policies([root, other])
    assert "Extra" in {p.id for p in policies}
    assert [p.id for p in policies].count("S3.Versioning") == 1
    (problem,) = problems
    assert problem.item_id == "S3.Versioning" and "duplicate id" in problem.message


def test_load_policies_missing_path_is_a_problem(tmp_path: Path) -> None:
    policies, problems = load_policies([tmp_path / "nowhere"])
    assert policies == []
    assert [p.message for p in problems] == ["no such file or directory"]
