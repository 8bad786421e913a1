"""Turn loaded content items into runnable detections and data models."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from onca.detect.build.errors import BuildError, missing_module_error
from onca.detect.build.modules import import_file
from onca.detect.content.model import ContentItem, ContentSet
from onca.detect.datamodel import DataModel, DataModelError
from onca.detect.runner import AUX_FUNCTIONS, Detection, DetectionKind, RunAborted

SIMPLE_MODULE = "onca.detect.simple"


def _simple_api(path: Path | None, feature: str) -> ModuleType:
    try:
        return importlib.import_module(SIMPLE_MODULE)
    except ImportError as exc:
        raise missing_module_error(path, feature, SIMPLE_MODULE, exc) from exc


def _compile(path: Path, feature: str, compile_: Callable[[], Any]) -> Any:
    try:
        return compile_()
    except ValueError as exc:  # SimpleDetectionError derives from ValueError
        raise BuildError(path, f"{feature}: {exc}") from exc


def inline_filters(item: ContentItem) -> Callable[[Mapping[str, Any]], bool] | None:
    expr = item.raw.get("InlineFilters")
    if expr is None:
        return None
    simple = _simple_api(item.path, "InlineFilters")
    return _compile(item.path, "InlineFilters", lambda: simple.compile_match(expr, where="InlineFilters"))


def simple_namespace(item: ContentItem) -> SimpleNamespace:
    """The functions of a YAML-only detection: Detection, AlertTitle, AlertContext, DynamicSeverities."""
    raw = item.raw
    simple = _simple_api(item.path, "simple detections")
    matcher = _compile(item.path, "Detection", lambda: simple.compile_match(raw["Detection"], where="Detection"))
    namespace = SimpleNamespace(rule=matcher)
    if "AlertTitle" in raw:
        template = raw["AlertTitle"]
        namespace.title = lambda event: simple.render_alert_title(template, event)
    if "AlertContext" in raw:
        context = raw["AlertContext"]
        namespace.alert_context = lambda event: simple.build_alert_context(context, event)
    if "DynamicSeverities" in raw:
        severities = raw["DynamicSeverities"]
        namespace.severity = lambda event: simple.dynamic_severity(severities, event) or "DEFAULT"
    return namespace


def build_detection(item: ContentItem, content: ContentSet | Mapping[str, ContentItem]) -> Detection:
    """Import (or compile) one detection. Raises BuildError naming the file and what went wrong."""
    by_id = content.by_id() if isinstance(content, ContentSet) else content
    raw = item.raw
    kind = DetectionKind(item.kind)
    detection = Detection(
        id=item.id,
        kind=kind,
        severity=raw.get("Severity"),
        create_alert=bool(raw.get("CreateAlert", True)),
        source=item.path,
        spec=raw,
    )
    if kind is DetectionKind.CORRELATION_RULE:
        return detection  # evaluated over signals by the correlation engine, not by functions
    code_item = item
    if raw.get("BaseDetection"):
        code_item = by_id[raw["BaseDetection"]]
        detection.severity = raw.get("Severity") or code_item.raw.get("Severity")
    if "Detection" in code_item.raw:
        namespace: Any = simple_namespace(code_item)
    else:
        python = code_item.python_path
        assert python is not None  # validated: a rule has Filename or Detection
        try:
            namespace = import_file(item.id, python)
        except (RunAborted, KeyboardInterrupt):
            raise
        except BaseException as exc:  # content may raise anything at import, SystemExit included
            raise BuildError.from_exception(python, "module failed to import", exc) from exc
        detection.source = python
        detection.mock_targets = (namespace,)
    detection.namespace = namespace
    detection.defined = frozenset(name for name in AUX_FUNCTIONS if hasattr(namespace, name))
    if not hasattr(namespace, detection.matcher_name) and kind is not DetectionKind.SCHEDULED_RULE:
        raise BuildError(detection.source, f"detection needs to have a function named '{detection.matcher_name}'")
    detection.filters = inline_filters(item)
    return detection


def build_data_models(content: ContentSet) -> tuple[dict[str, DataModel], list[BuildError]]:
    """The enabled data model of each log type (at most one), and an error for each that failed."""
    by_log_type: dict[str, DataModel] = {}
    errors: list[BuildError] = []
    for item in content.data_models:
        raw = item.raw
        if not raw.get("Enabled"):
            continue
        module = None
        if item.python_path is not None:
            try:
                module = import_file(item.id, item.python_path)
            except (RunAborted, KeyboardInterrupt):
                raise
            except BaseException as exc:  # noqa: BLE001 - content code may raise anything
                errors.append(BuildError.from_exception(item.python_path, "module failed to import", exc))
                continue
        try:
            model = DataModel.from_mappings(item.id, raw["Mappings"], log_types=raw["LogTypes"], module=module)
        except DataModelError as exc:
            errors.append(BuildError(item.path, str(exc)))
            continue
        for log_type in raw["LogTypes"]:
            if log_type in by_log_type:
                errors.append(
                    BuildError(item.path, f"Conflicting Enabled LogType [{log_type}] in Data Model [{item.id}]")
                )
                continue
            by_log_type[log_type] = model
    return by_log_type, errors


def global_helper_files(content: ContentSet) -> dict[str, Path]:
    return {item.id: item.python_path for item in content.globals if item.python_path is not None}
