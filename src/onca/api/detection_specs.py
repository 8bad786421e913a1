"""Panther's API fields for detections, data models and globals, turned into panther-analysis YAML specs.

The reverse of onca.api.detections' shapes: ``{"id": ..., "body": ..., "logTypes": [...]}`` becomes
``{"AnalysisType": "rule", "RuleID": ..., "LogTypes": [...]}`` plus the Python in ``body``. Fields that
Panther sends as YAML text (``detection``, ``inlineFilters``, ``alertContext``, ...) are parsed here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml


class SpecInputError(ValueError):
    """The request's fields do not make a valid item; the message names the field."""


@dataclass(frozen=True)
class ItemSpec:
    spec: dict[str, Any]
    code: str | None  # the Python module, for items that have one

    @property
    def id_key(self) -> str:
        return next(key for key in ("RuleID", "PolicyID", "DataModelID", "GlobalID") if key in self.spec)


# Optional fields every detection takes: API name -> spec key.
_COMMON = (("displayName", "DisplayName"), ("description", "Description"), ("runbook", "Runbook"),
           ("reference", "Reference"), ("tags", "Tags"), ("reports", "Reports"), ("outputIDs", "OutputIds"),
           ("summaryAttributes", "SummaryAttributes"))
_ALERTING = (("dedupPeriodMinutes", "DedupPeriodMinutes"), ("threshold", "Threshold"))
# Simple-detection fields Panther sends as YAML text.
_YAML_FIELDS = (("alertContext", "AlertContext"), ("dynamicSeverities", "DynamicSeverities"),
                ("groupBy", "GroupBy"))


def item_spec(resource: str, body: Mapping[str, Any]) -> ItemSpec:
    """The spec for ``body`` sent to ``/{resource}``; SpecInputError when a field is missing or malformed."""
    builder = _BUILDERS.get(resource)
    if builder is None:
        raise SpecInputError(f"{resource} cannot be written")
    return builder(body)


def _rule(body: Mapping[str, Any]) -> ItemSpec:
    spec = _detection("rule", "RuleID", body)
    spec["LogTypes"] = _strings(body, "logTypes")
    _inline_filters(body, spec)
    return ItemSpec(spec, _required_text(body, "body"))


def _scheduled_rule(body: Mapping[str, Any]) -> ItemSpec:
    spec = _detection("scheduled_rule", "RuleID", body)
    spec["ScheduledQueries"] = _strings(body, "scheduledQueries")
    return ItemSpec(spec, _required_text(body, "body"))


def _simple_rule(body: Mapping[str, Any]) -> ItemSpec:
    spec = _detection("rule", "RuleID", body)
    spec["LogTypes"] = _strings(body, "logTypes")
    spec["Detection"] = _yaml(body, "detection", required=True)
    if body.get("alertTitle"):
        spec["AlertTitle"] = str(body["alertTitle"])
    for api_key, spec_key in _YAML_FIELDS:
        value = _yaml(body, api_key)
        if value is not None:
            spec[spec_key] = value
    _inline_filters(body, spec)
    return ItemSpec(spec, None)


def _correlation_rule(body: Mapping[str, Any]) -> ItemSpec:
    spec = _detection("correlation_rule", "RuleID", body, alerting=False)
    spec["Detection"] = _yaml(body, "detection", required=True)
    if "createAlert" in body:
        spec["CreateAlert"] = bool(body["createAlert"])
    return ItemSpec(spec, None)


def _policy(body: Mapping[str, Any]) -> ItemSpec:
    spec = _detection("policy", "PolicyID", body, alerting=False)
    spec["ResourceTypes"] = _strings(body, "resourceTypes")
    if body.get("suppressions"):
        spec["Suppressions"] = _strings(body, "suppressions")
    return ItemSpec(spec, _required_text(body, "body"))


def _data_model(body: Mapping[str, Any]) -> ItemSpec:
    spec: dict[str, Any] = {"AnalysisType": "datamodel", "DataModelID": _id(body),
                            "Enabled": bool(body.get("enabled", True)), "LogTypes": _strings(body, "logTypes")}
    for api_key, spec_key in (("displayName", "DisplayName"), ("description", "Description")):
        if body.get(api_key):
            spec[spec_key] = str(body[api_key])
    mappings = body.get("mappings") or []
    if not isinstance(mappings, list) or not all(isinstance(m, Mapping) for m in mappings):
        raise SpecInputError("mappings: a list of objects with name and path or method")
    spec["Mappings"] = [_mapping(number, m) for number, m in enumerate(mappings)]
    code = body.get("body")
    return ItemSpec(spec, str(code) if code else None)


def _mapping(number: int, mapping: Mapping[str, Any]) -> dict[str, str]:
    name = mapping.get("name")
    if not isinstance(name, str) or not name:
        raise SpecInputError(f"mappings[{number}].name: required")
    entry = {"Name": name}
    for api_key, spec_key in (("path", "Path"), ("method", "Method")):
        if mapping.get(api_key):
            entry[spec_key] = str(mapping[api_key])
    if len(entry) != 2:
        raise SpecInputError(f"mappings[{number}]: give exactly one of path and method")
    return entry


def _global(body: Mapping[str, Any]) -> ItemSpec:
    spec: dict[str, Any] = {"AnalysisType": "global", "GlobalID": _id(body)}
    if body.get("description"):
        spec["Description"] = str(body["description"])
    if body.get("tags"):
        spec["Tags"] = _strings(body, "tags")
    return ItemSpec(spec, _required_text(body, "body"))


def _detection(kind: str, id_key: str, body: Mapping[str, Any], *, alerting: bool = True) -> dict[str, Any]:
    severity = body.get("severity")
    if not isinstance(severity, str) or not severity:
        raise SpecInputError("severity: required (INFO, LOW, MEDIUM, HIGH or CRITICAL)")
    spec: dict[str, Any] = {"AnalysisType": kind, id_key: _id(body), "Enabled": bool(body.get("enabled", True)),
                            "Severity": severity.title()}
    for api_key, spec_key in _COMMON + (_ALERTING if alerting else ()):
        if body.get(api_key) not in (None, "", [], {}):
            spec[spec_key] = body[api_key]
    tests = body.get("tests") or []
    if not isinstance(tests, list) or not all(isinstance(test, Mapping) for test in tests):
        raise SpecInputError("tests: a list of objects with name, expectedResult and resource")
    if tests:
        spec["Tests"] = [unit_test(kind, test) for test in tests]
    return spec


def unit_test(kind: str, test: Mapping[str, Any]) -> dict[str, Any]:
    """A unit test in the API's form (``resource`` as JSON text) as a spec's test case."""
    resource = test.get("resource")
    if isinstance(resource, str):
        try:
            resource = json.loads(resource or "{}")
        except json.JSONDecodeError as exc:
            raise SpecInputError(f"tests: {test.get('name')!r}: resource is not JSON ({exc})") from None
    case = {"Name": test.get("name") or "unnamed", "ExpectedResult": bool(test.get("expectedResult")),
            ("Resource" if kind == "policy" else "Log"): resource if resource is not None else {}}
    if isinstance(test.get("mocks"), list):
        case["Mocks"] = [{"objectName": m.get("objectName"), "returnValue": m.get("returnValue")}
                         for m in test["mocks"] if isinstance(m, Mapping)]
    return case


def _id(body: Mapping[str, Any]) -> str:
    value = body.get("id")
    if not isinstance(value, str) or not value.strip():
        raise SpecInputError("id: required")
    return value


def _required_text(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SpecInputError(f"{key}: required")
    return value


def _strings(body: Mapping[str, Any], key: str) -> list[str]:
    value = body.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SpecInputError(f"{key}: a list of strings")
    return list(value)


def _yaml(body: Mapping[str, Any], key: str, *, required: bool = False) -> Any:
    value = body.get(key)
    if value in (None, ""):
        if required:
            raise SpecInputError(f"{key}: required")
        return None
    if not isinstance(value, str):
        return value  # already structured
    try:
        return yaml.safe_load(value)
    except yaml.YAMLError as exc:
        raise SpecInputError(f"{key}: not YAML ({exc})") from None


def _inline_filters(body: Mapping[str, Any], spec: dict[str, Any]) -> None:
    filters = _yaml(body, "inlineFilters")
    if filters is not None:
        spec["InlineFilters"] = filters


_BUILDERS = {
    "rules": _rule, "scheduled-rules": _scheduled_rule, "simple-rules": _simple_rule,
    "correlation-rules": _correlation_rule, "policies": _policy, "data-models": _data_model, "globals": _global,
}
