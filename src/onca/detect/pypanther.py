"""pypanther detections (Python rule classes with embedded tests) on Onca's engine.

Each rule class becomes a Detection whose functions are the methods of a rule instance; its
``RuleTest`` objects become test cases, including their exact-output expectations
(``expected_title`` and friends). pypanther's data model classes become Onca data models.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from pathlib import Path
from typing import Any

from onca.detect.build import BuildError
from onca.detect.content import SpecFilter
from onca.detect.datamodel import DataModel, DataModelError
from onca.detect.platform import install_platform_modules
from onca.detect.runner import AUX_FUNCTIONS, Detection, DetectionKind
from onca.detect.testing.cases import MockSpec, TestCase
from onca.detect.testing.outcome import Problem
from onca.detect.testing.tasks import Task
from onca.detect.tracebacks import content_traceback, describe_error

ORIGIN = "pypanther"
_EXPECTATIONS = ("severity", "title", "dedup", "runbook", "reference", "description", "alert_context")


def _text(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def import_pypanther() -> Any:
    """Import pypanther with Onca's platform modules in place (it imports them itself)."""
    install_platform_modules()
    return importlib.import_module("pypanther")


def spec_view(rule: type) -> dict[str, Any]:
    """The rule's settings under the YAML spec keys, so ``--filter`` works the same on both."""
    severity = _text(getattr(rule, "default_severity", None))
    return {
        "AnalysisType": "rule",
        "RuleID": rule.id,
        "DisplayName": getattr(rule, "display_name", ""),
        "Enabled": getattr(rule, "enabled", True),
        "LogTypes": [_text(t) for t in getattr(rule, "log_types", [])],
        "Severity": severity.title() if isinstance(severity, str) else severity,
        "Tags": list(getattr(rule, "tags", [])),
        "CreateAlert": getattr(rule, "create_alert", True),
    }


def rule_tests(rule: type) -> list[Any]:
    """Panther-managed rules keep their tests in ``_tests``; user rules in ``tests``."""
    return list(getattr(rule, "_tests", None) or getattr(rule, "tests", None) or [])


def test_case(test: Any) -> TestCase:
    log = test.log_data() if hasattr(test, "log_data") else test.log
    mocks = tuple(
        MockSpec(
            mock.object_name,
            mock.return_value,
            mock.side_effect,
            **({"new": mock.new} if getattr(mock, "new", None) is not None else {}),
        )
        for mock in getattr(test, "mocks", None) or ()
    )
    expectations = {
        name: getattr(test, f"expected_{name}")
        for name in _EXPECTATIONS
        if getattr(test, f"expected_{name}", None) is not None
    }
    return TestCase(name=test.name, expected=bool(test.expected_result), data=log, mocks=mocks,
                    expectations=expectations)


def _filters(instance: Any) -> Callable[[Mapping[str, Any]], bool] | None:
    include = list(getattr(instance, "include_filters", None) or [])
    exclude = list(getattr(instance, "exclude_filters", None) or [])
    if not include and not exclude:
        return None
    return lambda event: all(f(event) for f in include) and not any(f(event) for f in exclude)


def build_rule(rule: type) -> Detection:
    """Validate and instantiate a rule class; raises BuildError naming its file when it is not valid."""
    source = _source(rule)
    try:
        rule.validate()
        instance = rule()
    except Exception as exc:
        raise BuildError(source, f"rule class {rule.__name__} is not valid: {describe_error(exc)}",
                         content_traceback(exc)) from exc
    module = sys.modules.get(rule.__module__)
    severity = _text(getattr(rule, "default_severity", None))
    return Detection(
        id=rule.id,
        kind=DetectionKind.RULE,
        namespace=instance,
        defined=frozenset(name for name in AUX_FUNCTIONS if hasattr(instance, name)),
        severity=str(severity) if severity is not None else None,
        filters=_filters(instance),
        create_alert=bool(getattr(rule, "create_alert", True)),
        source=source,
        spec=spec_view(rule),
        origin=ORIGIN,
        mock_targets=tuple(target for target in (module, instance) if target is not None),
    )


def _source(rule: type) -> Path | None:
    try:
        source = inspect.getsourcefile(rule)
    except TypeError:  # defined outside any file
        return None
    return Path(source) if source else None


def data_models(models: Iterable[type]) -> tuple[dict[str, DataModel], list[Problem]]:
    by_log_type: dict[str, DataModel] = {}
    problems: list[Problem] = []
    for model in models:
        if not getattr(model, "enabled", True):
            continue
        mappings = [{"Name": m.name, "Path": m.path, "Method": m.method} for m in getattr(model, "mappings", [])]
        log_types = [str(_text(t)) for t in getattr(model, "log_types", [])]
        try:
            built = DataModel.from_mappings(model.id, mappings, log_types=log_types)
        except DataModelError as exc:
            problems.append(Problem(str(_source(model)), f"data model {model.id}: {exc}"))
            continue
        for log_type in log_types:
            by_log_type.setdefault(log_type, built)
    return by_log_type, problems


def rule_task(rule: type, models: Mapping[str, DataModel]) -> Task:
    """The test task of one rule class."""
    return Task(
        id=rule.id,
        kind="rule",
        path=str(_source(rule)),
        cases=[test_case(test) for test in rule_tests(rule)],
        build=lambda: build_rule(rule),
        spec=spec_view(rule),
        origin=ORIGIN,
        data_models=models,
    )


def pypanther_tasks(
    filters: Iterable[SpecFilter] = (), rules: Iterable[type] | None = None
) -> tuple[list[Task], list[Problem]]:
    """A test task for each rule (pypanther's own rules by default) that passes ``filters``."""
    try:
        pypanther = import_pypanther()
        from pypanther.get import get_panther_data_models
    except ImportError as exc:
        return [], [Problem("pypanther", f"--pypanther needs the pypanther package, which is not available ({exc})")]
    filters = list(filters)
    models, problems = data_models(get_panther_data_models())
    selected = pypanther.get_panther_rules() if rules is None else rules
    tasks = [
        rule_task(rule, models)
        for rule in sorted(selected, key=lambda cls: cls.id)
        if not filters or all(f.keeps(spec_view(rule)) for f in filters)
    ]
    return tasks, problems
