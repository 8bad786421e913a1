"""Rules written inline, loaded as the engine loads them, and what the rule index makes of them."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from onca.detect.engine import EngineContent, load_engine_content
from onca.detect.index import GuardReport, explain

LOG_TYPE = "AWS.CloudTrail"


def spec(rule_id: str, extra: str = "", filename: str | None = None) -> str:
    source = f"Filename: {filename}\n" if filename else ""
    return (
        f"AnalysisType: rule\nRuleID: {rule_id}\nEnabled: true\nSeverity: Low\n"
        f"LogTypes:\n  - {LOG_TYPE}\n{source}{textwrap.dedent(extra).strip()}\n"
    )


@pytest.fixture
def load_rules(content_tree: Callable[[dict[str, str]], Path]) -> Callable[..., EngineContent]:
    """``load_rules({"Name": python source | None}, specs={"Name": extra YAML}, files={...})``: each rule
    ``Test.Name`` (Python when a source is given, else a simple detection from its extra YAML)."""

    def load(
        rules: dict[str, str | None],
        *,
        specs: dict[str, str] | None = None,
        files: dict[str, str] | None = None,
    ) -> EngineContent:
        tree: dict[str, str] = dict(files or {})
        for name, code in rules.items():
            extra = (specs or {}).get(name, "")
            if code is None:
                tree[f"rules/{name}.yml"] = spec(f"Test.{name}", extra)
            else:
                tree[f"rules/{name}.yml"] = spec(f"Test.{name}", extra, filename=f"{name}.py")
                tree[f"rules/{name}.py"] = textwrap.dedent(code)
        content = load_engine_content([content_tree(tree)])
        assert content.problems == []
        return content

    return load


@pytest.fixture
def guard_of(load_rules: Callable[..., EngineContent]) -> Callable[..., GuardReport]:
    """The index's report for one rule: ``guard_of(code)`` or ``guard_of(None, spec=...)``."""

    def report(
        code: str | None, *, spec: str = "", files: dict[str, str] | None = None, data_model: Any = None
    ) -> GuardReport:
        content = load_rules({"Rule": code}, specs={"Rule": spec}, files=files)
        model = content.data_models.get(LOG_TYPE) if data_model is None else data_model
        (found,) = explain(content.rules_for(LOG_TYPE), model)
        return found

    return report
