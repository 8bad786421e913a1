"""The content live detection runs: every enabled rule of one or more panther-analysis trees.

Loading never raises for content: a file that does not validate, a module that fails to import, two
trees defining the same id: each becomes a ContentProblem naming the file, and the rest still loads.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from onca.detect.build import BuildError, build_data_models, build_detection, install_global_helpers
from onca.detect.content import ContentItem, ContentProblem, ContentSet, load_content
from onca.detect.datamodel import DataModel
from onca.detect.engine.rules import RuleInfo, content_version, effective_spec
from onca.detect.platform import install_platform_modules
from onca.detect.runner import Detection, RunAborted
from onca.detect.testing.timeouts import time_limit
from onca.detect.tracebacks import describe_error

LOAD_TIMEOUT_SECONDS = 30.0  # for importing one module: content that hangs at import must not hang loading


@dataclass
class EngineContent:
    """``detections`` in load order; ``by_log_type`` keeps that order within each log type."""

    detections: list[Detection] = field(default_factory=list)
    info: dict[str, RuleInfo] = field(default_factory=dict)
    by_log_type: dict[str, list[Detection]] = field(default_factory=dict)
    data_models: dict[str, DataModel] = field(default_factory=dict)
    problems: list[ContentProblem] = field(default_factory=list)

    def rules_for(self, log_type: str) -> list[Detection]:
        return self.by_log_type.get(log_type, [])

    @property
    def log_types(self) -> list[str]:
        return sorted(self.by_log_type)

    def add(self, detection: Detection, info: RuleInfo) -> None:
        self.detections.append(detection)
        self.info[detection.id] = info
        for log_type in info.log_types:
            self.by_log_type.setdefault(log_type, []).append(detection)


@contextmanager
def _no_bytecode() -> Iterator[None]:
    """Content trees may be read-only, or someone's checkout: write no __pycache__ into them."""
    saved = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        yield
    finally:
        sys.dont_write_bytecode = saved


def load_engine_content(
    paths: Sequence[str | Path],
    *,
    pypanther_rules: Iterable[type] = (),
    include_disabled: bool = False,
    load_timeout: float | None = LOAD_TIMEOUT_SECONDS,
) -> EngineContent:
    """Every enabled rule under ``paths`` (Python, simple YAML, derived through BaseDetection), plus
    ``pypanther_rules`` (pypanther rule classes), with the data models of their log types.

    The trees' global helpers become importable by their GlobalID (replacing helpers installed before).
    """
    install_platform_modules()
    engine = EngineContent()
    trees = [load_content(path) for path in paths]
    for tree in trees:
        engine.problems += tree.problems
    with _no_bytecode():
        _install_helpers(trees, engine, load_timeout)
        _load_data_models(trees, engine, load_timeout)
        by_id: dict[str, ContentItem] = {}
        for tree in trees:
            for item_id, item in tree.by_id().items():
                by_id.setdefault(item_id, item)
        for tree in trees:
            for item in tree.of_kind("rule"):
                _load_rule(item, by_id, engine, include_disabled, load_timeout)
        _load_pypanther(list(pypanther_rules), engine)
    return engine


def _install_helpers(trees: list[ContentSet], engine: EngineContent, timeout: float | None) -> None:
    helpers: dict[str, Path] = {}
    for tree in trees:
        for item in tree.globals:
            if item.python_path is None:
                continue
            if item.id in helpers and helpers[item.id] != item.python_path:
                engine.problems.append(
                    ContentProblem(
                        item.path,
                        f"duplicate global helper {item.id!r} (also defined in {helpers[item.id]})",
                        item.id,
                    )
                )
                continue
            helpers[item.id] = item.python_path
    install_global_helpers(helpers)
    for name, path in helpers.items():  # imported once here, so forked workers share them
        try:
            with time_limit(timeout, f"importing {name}"):
                __import__(name)
        except RunAborted as exc:
            engine.problems.append(ContentProblem(path, f"global helper {exc}", name))
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - content code may raise anything, SystemExit included
            engine.problems.append(
                ContentProblem(path, f"module failed to import: {describe_error(exc)}", name)
            )


def _load_data_models(trees: list[ContentSet], engine: EngineContent, timeout: float | None) -> None:
    for tree in trees:
        try:
            with time_limit(timeout, "importing data models"):
                models, errors = build_data_models(tree)
        except RunAborted as exc:
            engine.problems.append(ContentProblem(tree.root, f"data models: {exc}"))
            continue
        engine.problems += [ContentProblem(error.path or tree.root, error.message) for error in errors]
        for log_type, model in models.items():
            if log_type in engine.data_models:
                engine.problems.append(
                    ContentProblem(
                        tree.root,
                        f"data model {model.id!r}: log type {log_type} already has data model "
                        f"{engine.data_models[log_type].id!r}",
                        model.id,
                    )
                )
                continue
            engine.data_models[log_type] = model


def _load_rule(
    item: ContentItem,
    by_id: dict[str, ContentItem],
    engine: EngineContent,
    include_disabled: bool,
    timeout: float | None,
) -> None:
    base = by_id.get(item.raw["BaseDetection"]) if item.raw.get("BaseDetection") else None
    spec = effective_spec(item.raw, base.raw if base is not None else None)
    if not (include_disabled or spec.get("Enabled")):
        return
    if item.id in engine.info:
        engine.problems.append(
            ContentProblem(item.path, f"duplicate rule id {item.id!r} in another tree", item.id)
        )
        return
    if not spec.get("LogTypes"):
        engine.problems.append(ContentProblem(item.path, "LogTypes: the rule names no log type", item.id))
        return
    try:
        with time_limit(timeout, f"importing {item.id}"):
            detection = build_detection(item, by_id)
    except BuildError as exc:
        engine.problems.append(ContentProblem(exc.path or item.path, exc.message, item.id))
        return
    except RunAborted as exc:
        engine.problems.append(ContentProblem(item.path, f"loading the rule {exc}", item.id))
        return
    except Exception as exc:  # noqa: BLE001 - one broken rule never stops the others loading
        engine.problems.append(
            ContentProblem(item.path, f"loading the rule failed: {describe_error(exc)}", item.id)
        )
        return
    detection.spec = spec  # derived rules: LogTypes and the rest as inherited, for the engine and the index
    code = base if base is not None else item
    files = [item.path] + ([code.path] if code is not item else []) + [code.python_path]
    engine.add(detection, RuleInfo.from_spec(item.id, spec, content_version(files)))


def _load_pypanther(rules: list[type], engine: EngineContent) -> None:
    if not rules:
        return
    from onca.detect import pypanther  # imported only when asked: it needs the pypanther package

    try:
        from pypanther.get import get_panther_data_models

        models, problems = pypanther.data_models(get_panther_data_models())
    except ImportError as exc:
        engine.problems.append(ContentProblem(Path("pypanther"), f"pypanther is not available ({exc})"))
        return
    engine.problems += [ContentProblem(Path(p.path), p.message) for p in problems]
    for log_type, model in models.items():
        engine.data_models.setdefault(log_type, model)
    for rule in rules:
        source = _source_of(rule)
        rule_id = str(getattr(rule, "id", rule.__name__))
        if rule_id in engine.info:
            engine.problems.append(ContentProblem(source, f"duplicate rule id {rule_id!r}", rule_id))
            continue
        if not getattr(rule, "enabled", True):
            continue
        try:
            detection = pypanther.build_rule(rule)
        except BuildError as exc:
            engine.problems.append(ContentProblem(exc.path or source, exc.message, rule_id))
            continue
        spec: dict[str, Any] = {**pypanther.spec_view(rule), **_pypanther_settings(rule)}
        detection.spec = spec
        engine.add(detection, RuleInfo.from_spec(detection.id, spec, content_version([detection.source])))


def _pypanther_settings(rule: type) -> dict[str, Any]:
    """The settings a rule class carries beyond what ``spec_view`` gives, under the spec's keys."""
    names = {
        "DedupPeriodMinutes": "dedup_period_minutes",
        "Threshold": "threshold",
        "OutputIds": "default_destinations",
        "Description": "default_description",
        "Reference": "default_reference",
        "Runbook": "default_runbook",
        "Reports": "reports",
    }
    settings = {key: getattr(rule, attribute, None) for key, attribute in names.items()}
    return {key: value for key, value in settings.items() if value and not callable(value)}


def _source_of(rule: type) -> Path:
    module = sys.modules.get(rule.__module__)
    filename = getattr(module, "__file__", None)
    return Path(filename) if filename else Path(rule.__module__)
