from __future__ import annotations

from pathlib import Path

import pytest

from onca.detect.content import SpecFilter, load_content

RULE = """
AnalysisType: rule
RuleID: {id}
Filename: {file}
Enabled: {enabled}
Severity: {severity}
LogTypes: [{log_types}]
Tags: [{tags}]
"""


def rule(rule_id: str, file: str = "a.py", *, enabled: str = "true", severity: str = "Low",
         log_types: str = "Custom.A", tags: str = "") -> str:
    return RULE.format(id=rule_id, file=file, enabled=enabled, severity=severity, log_types=log_types, tags=tags)


TREE = {
    "rules/a.yml": rule("Rule.A", tags="Alpha, Shared"),
    "rules/a.py": "def rule(event):\n    return True\n",
    "rules/b.yml": rule("Rule.B", severity="High", log_types="Custom.B, Custom.A", enabled="false"),
    "rules/dup.yml": rule("Rule.A"),
    "rules/missing.yml": rule("Rule.Missing", "nowhere.py"),
    "rules/broken.yml": "AnalysisType: rule\nRuleID: [unclosed\n",
    "rules/other.yml": "just: some config\n",
    "rules/typo.yml": rule("Rule.Typo") + "Severty: Low\n",
    "rules/derived.yml": "AnalysisType: rule\nRuleID: Rule.Derived\nBaseDetection: Rule.A\nSeverity: High\n",
    "rules/orphan.yml": "AnalysisType: rule\nRuleID: Rule.Orphan\nBaseDetection: Rule.Nope\n",
    "global_helpers/helpers.yml": "AnalysisType: global\nGlobalID: my_helpers\nFilename: helpers.py\n",
    "global_helpers/helpers.py": "X = 1\n",
    "data_models/dm.yml": "AnalysisType: datamodel\nDataModelID: DM\nEnabled: true\nLogTypes: [Custom.A]\n"
                          "Mappings:\n  - Name: user\n    Path: user\n",
    "packs/pack.yml": "AnalysisType: pack\nPackID: Pack\nPackDefinition:\n  IDs: [Rule.A, Rule.Gone]\n",
    "templates/example.yml": rule("Template.Rule"),
    ".hidden/x.yml": rule("Hidden.Rule"),
}


def problems_by_file(content) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in content.problems:
        found.setdefault(Path(problem.path).name, []).append(problem.message)
    return found


def test_content_loads_valid_items_and_reports_each_problem(content_tree):
    root = content_tree(TREE)
    content = load_content(root)
    ids = {item.id for item in content.items}
    assert ids == {"Rule.A", "Rule.B", "Rule.Derived", "my_helpers", "DM", "Pack"}
    found = problems_by_file(content)
    assert any("duplicate id 'Rule.A'" in m for m in found["dup.yml"])
    assert any("Filename: 'nowhere.py' does not exist" in m for m in found["missing.yml"])
    assert any(m.startswith(("invalid YAML: line 2", "invalid YAML: line 3")) for m in found["broken.yml"])
    assert found["typo.yml"] == ["Severty: unknown key"]
    assert found["orphan.yml"] == ["BaseDetection: no rule with id 'Rule.Nope'"]
    assert found["pack.yml"] == ["PackDefinition.IDs: pack (Pack) includes items that do not exist (Rule.Gone)"]
    assert "other.yml" not in found  # not an analysis item: ignored, not an error
    assert all(str(problem).startswith(str(root)) for problem in content.problems)


def test_content_root_skips_non_content_directories(content_tree):
    content = load_content(content_tree(TREE))
    assert "Template.Rule" not in {item.id for item in content.items}
    assert "Hidden.Rule" not in {item.id for item in content.items}


def test_content_subdirectory_and_single_file_bring_helpers(content_tree, tmp_path):
    root = content_tree(TREE)
    only_rules = load_content(root / "rules", cwd=tmp_path)
    assert {"my_helpers", "DM", "Rule.A"} <= {item.id for item in only_rules.items}
    assert "Pack" not in {item.id for item in only_rules.items}
    single = load_content(root / "rules" / "a.yml", cwd=tmp_path)
    assert {item.id for item in single.items} == {"Rule.A", "my_helpers", "DM"}
    assert single.problems == []


def test_content_item_properties(content_tree):
    root = content_tree(TREE)
    item = load_content(root).by_id()["Rule.A"]
    assert item.kind == "rule" and item.enabled and item.python_path == root / "rules" / "a.py"
    assert item.raw["Tags"] == ["Alpha", "Shared"] and item.spec.Severity == "Low"


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["RuleID=Rule.A"], {"Rule.A"}),
        (["RuleID=rule.a,rule.b"], {"Rule.A", "Rule.B"}),  # values are case-insensitive, OR-ed
        (["Severity=High"], {"Rule.B", "Rule.Derived"}),
        (["LogTypes=Custom.B"], {"Rule.B"}),  # list keys match any entry
        (["Tags=alpha", "Severity=Low"], {"Rule.A"}),  # filters are AND-ed
        (["Severity!=High", "AnalysisType=rule"], {"Rule.A"}),
        (["RuleID=Rule.Derived"], {"Rule.Derived"}),  # its base stays available for building
        (["Enabled=false"], {"Rule.B"}),
    ],
)
def test_content_filters(content_tree, texts, expected):
    content = load_content(content_tree(TREE), filters=[SpecFilter.parse(t) for t in texts])
    rules = {item.id for item in content.items if item.kind == "rule"}
    assert rules == expected
    assert {"my_helpers", "DM"} <= {item.id for item in content.items}  # always loaded


def test_content_filter_syntax_checked():
    with pytest.raises(ValueError, match="KEY=VALUE"):
        SpecFilter.parse("RuleID")


def test_content_missing_path_reported(tmp_path):
    content = load_content(tmp_path / "nope")
    assert [p.message for p in content.problems] == ["no such file or directory"]
