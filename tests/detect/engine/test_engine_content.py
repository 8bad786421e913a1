"""Loading content for the live engine: what loads, what is reported, and derived rules."""

from __future__ import annotations

from pathlib import Path

from onca.detect.engine import load_engine_content

LOG_TYPE = "AWS.CloudTrail"
TRUE_RULE = "def rule(event):\n    return True\n"


def spec(
    rule_id: str, filename: str = "", *, severity: str = "Low", enabled: bool = True, extra: str = ""
) -> str:
    lines = [
        "AnalysisType: rule",
        f"RuleID: {rule_id}",
        f"Enabled: {str(enabled).lower()}",
        f"Severity: {severity}",
    ]
    if filename:
        lines += ["LogTypes: [AWS.CloudTrail]", f"Filename: {filename}"]
    return "\n".join(lines) + "\n" + extra


def test_engine_content_reports_problems_and_loads_the_rest(content_tree):
    root = content_tree(
        {
            "rules/good.yml": spec("Good", "good.py"),
            "rules/good.py": TRUE_RULE,
            "rules/broken_import.yml": spec("BrokenImport", "broken_import.py"),
            "rules/broken_import.py": "import not_a_module_anywhere\n" + TRUE_RULE,
            "rules/no_rule.yml": spec("NoRule", "no_rule.py"),
            "rules/no_rule.py": "def title(event):\n    return 'x'\n",
            "rules/bad_spec.yml": spec("BadSpec", "good.py", severity="Urgent"),
            "rules/disabled.yml": spec("Disabled", "good.py", enabled=False),
            "rules/bad_yaml.yml": "AnalysisType: rule\nRuleID: [unclosed\n",
        }
    )
    content = load_engine_content([root])
    assert [d.id for d in content.detections] == ["Good"]
    assert content.rules_for(LOG_TYPE) == content.detections
    messages = {p.item_id or p.path.name: p.message for p in content.problems}
    assert "ModuleNotFoundError" in messages["BrokenImport"]
    assert "rule" in messages["NoRule"]
    assert "Severity" in messages["BadSpec"]
    assert "YAML" in messages["bad_yaml.yml"]
    assert all(p.path.exists() for p in content.problems)
    assert "Disabled" not in messages
    assert [d.id for d in load_engine_content([root], include_disabled=True).detections] == [
        "Disabled",
        "Good",
    ]


def test_engine_content_derived_rule_inherits_from_its_base(content_tree):
    base = spec("Base", "base.py", extra="DisplayName: Base Rule\nThreshold: 3\nTags: [base]\n")
    child = "AnalysisType: rule\nRuleID: Derived\nBaseDetection: Base\nSeverity: High\nDisplayName: Derived\n"
    root = content_tree({"rules/base.yml": base, "rules/base.py": TRUE_RULE, "rules/derived.yml": child})
    content = load_engine_content([root])
    assert [d.id for d in content.rules_for(LOG_TYPE)] == ["Base", "Derived"]
    info = content.info["Derived"]
    assert (info.name, info.severity, info.threshold, info.tags) == ("Derived", "HIGH", 3, ("base",))
    assert info.version != content.info["Base"].version


def test_engine_content_version_changes_with_the_code(content_tree):
    root = content_tree({"rules/r.yml": spec("R", "r.py"), "rules/r.py": TRUE_RULE})
    first = load_engine_content([root]).info["R"].version
    assert load_engine_content([root]).info["R"].version == first
    (root / "rules" / "r.py").write_text(TRUE_RULE + "# changed\n")
    assert load_engine_content([root]).info["R"].version != first


def test_engine_content_from_several_trees_with_helpers(tmp_path: Path, make_engine):
    def tree(name: str, files: dict[str, str]) -> Path:
        for relative, text in files.items():
            target = tmp_path / name / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        return tmp_path / name

    helper = "onca_engine_test_helper"
    helper_spec = f"AnalysisType: global\nGlobalID: {helper}\nFilename: {helper}.py\n"
    first = tree(
        "one",
        {
            f"global_helpers/{helper}.yml": helper_spec,
            f"global_helpers/{helper}.py": "def flag(event):\n    return event.get('flag') is True\n",
            "rules/r.yml": spec("Shared", "r.py"),
            "rules/r.py": f"from {helper} import flag\ndef rule(event):\n    return flag(event)\n",
        },
    )
    second = tree(
        "two",
        {
            "rules/r.yml": spec("Shared", "r.py"),
            "rules/r.py": TRUE_RULE,
            "rules/other.yml": spec("Other", "other.py"),
            "rules/other.py": TRUE_RULE,
        },
    )
    content = load_engine_content([first, second])
    assert [d.id for d in content.detections] == ["Shared", "Other"]
    assert [p.message for p in content.problems] == ["duplicate rule id 'Shared' in another tree"]
    assert content.detections[0].source == first / "rules" / "r.py"
    content.problems = []
    engine = make_engine(content, workers=1)
    findings = engine.evaluate(LOG_TYPE, [{"flag": True}, {"flag": False}])
    found = [(f.detection_id, f.event["flag"]) for f in findings]
    assert found == [("Shared", True), ("Other", True), ("Other", False)]
