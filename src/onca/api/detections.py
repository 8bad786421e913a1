"""The detection content the server runs, read through Panther's REST paths: ``/rules``, ``/simple-rules``,
``/scheduled-rules``, ``/policies``, ``/correlation-rules``, ``/data-models`` and ``/globals`` (list and get).

Items are shaped as Panther's API returns them (``id``, ``body``, ``severity``, ``logTypes``, ``tests`` with
``resource`` as JSON text, ...). The content comes from the paths in the server's configuration.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from onca.api.auth import requires
from onca.detect.content import ContentItem, ContentSet, load_content

router = APIRouter(tags=["detections"])
MAX_LIMIT = 1000


class ContentCatalog:
    """Every item of the configured content trees, by the REST resource it belongs to."""

    def __init__(self, paths: list[Path]):
        self.sets: list[ContentSet] = [load_content(path) for path in paths]
        self.by_resource: dict[str, dict[str, ContentItem]] = {name: {} for name in RESOURCES}
        for content in self.sets:
            for item in content.items:
                resource = resource_of(item)
                if resource is not None:
                    self.by_resource[resource].setdefault(item.id, item)

    @property
    def problems(self) -> list[str]:
        return [f"{p.path}: {p.message}" for content in self.sets for p in content.problems]


def resource_of(item: ContentItem) -> str | None:
    kind = item.kind
    if kind == "rule":
        return "simple-rules" if "Detection" in item.raw and not item.raw.get("Filename") else "rules"
    return {"scheduled_rule": "scheduled-rules", "policy": "policies", "correlation_rule": "correlation-rules",
            "datamodel": "data-models", "global": "globals"}.get(kind)


def _body(item: ContentItem) -> str:
    path = item.python_path
    if path is None:
        return ""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _yaml_text(value: Any) -> str:
    if value is None:
        return ""
    import yaml

    return yaml.safe_dump(value, sort_keys=False)


def _tests(item: ContentItem) -> list[dict[str, Any]]:
    tests = []
    for test in item.tests:
        resource = test.get("Log", test.get("Resource"))
        tests.append({"name": test.get("Name", ""), "expectedResult": bool(test.get("ExpectedResult")),
                      "resource": json.dumps(resource, default=str), "mocks": test.get("Mocks") or []})
    return tests


def _common(item: ContentItem) -> dict[str, Any]:
    raw = item.raw
    return {
        "id": item.id, "displayName": raw.get("DisplayName", ""), "enabled": item.enabled,
        "severity": str(raw.get("Severity", "")).upper(), "description": raw.get("Description", ""),
        "runbook": raw.get("Runbook", ""), "reference": raw.get("Reference", ""), "tags": raw.get("Tags") or [],
        "reports": raw.get("Reports") or {}, "outputIDs": raw.get("OutputIds") or [],
        "summaryAttributes": raw.get("SummaryAttributes") or [], "managed": False, "tests": _tests(item),
    }


def rule_json(item: ContentItem) -> dict[str, Any]:
    raw = item.raw
    return {**_common(item), "body": _body(item), "logTypes": raw.get("LogTypes") or [],
            "dedupPeriodMinutes": raw.get("DedupPeriodMinutes", 60), "threshold": raw.get("Threshold", 1),
            "inlineFilters": _yaml_text(raw.get("InlineFilters"))}


def simple_rule_json(item: ContentItem) -> dict[str, Any]:
    raw = item.raw
    return {**rule_json(item), "body": "", "detection": _yaml_text(raw.get("Detection")),
            "alertTitle": raw.get("AlertTitle", ""), "alertContext": _yaml_text(raw.get("AlertContext")),
            "dynamicSeverities": _yaml_text(raw.get("DynamicSeverities")), "groupBy": _yaml_text(raw.get("GroupBy"))}


def scheduled_rule_json(item: ContentItem) -> dict[str, Any]:
    data = rule_json(item)
    data.pop("logTypes")
    return {**data, "scheduledQueries": item.raw.get("ScheduledQueries") or []}


def policy_json(item: ContentItem) -> dict[str, Any]:
    raw = item.raw
    return {**_common(item), "body": _body(item), "resourceTypes": raw.get("ResourceTypes") or [],
            "suppressions": raw.get("Suppressions") or []}


def correlation_rule_json(item: ContentItem) -> dict[str, Any]:
    return {**_common(item), "detection": _yaml_text(item.raw.get("Detection")),
            "createAlert": item.raw.get("CreateAlert", True)}


def data_model_json(item: ContentItem) -> dict[str, Any]:
    raw = item.raw
    mappings = [{"name": m.get("Name", ""), "path": m.get("Path", ""), "method": m.get("Method", "")}
                for m in raw.get("Mappings") or [] if isinstance(m, dict)]
    return {"id": item.id, "displayName": raw.get("DisplayName", ""), "enabled": item.enabled,
            "description": raw.get("Description", ""), "logTypes": raw.get("LogTypes") or [],
            "mappings": mappings, "body": _body(item)}


def global_json(item: ContentItem) -> dict[str, Any]:
    raw = item.raw
    return {"id": item.id, "description": raw.get("Description", ""), "tags": raw.get("Tags") or [],
            "body": _body(item)}


RESOURCES: dict[str, tuple[str, Callable[[ContentItem], dict[str, Any]]]] = {
    "rules": ("RuleRead", rule_json),
    "simple-rules": ("RuleRead", simple_rule_json),
    "scheduled-rules": ("RuleRead", scheduled_rule_json),
    "correlation-rules": ("RuleRead", correlation_rule_json),
    "policies": ("PolicyRead", policy_json),
    "data-models": ("RuleRead", data_model_json),
    "globals": ("RuleRead", global_json),
}
SINGULAR = {"rules": "rule", "simple-rules": "simple rule", "scheduled-rules": "scheduled rule",
            "correlation-rules": "correlation rule", "policies": "policy", "data-models": "data model",
            "globals": "global"}


def _matches(item: ContentItem, name_contains: str | None, log_type: str | None, severity: str | None,
             tag: str | None, state: str | None) -> bool:
    raw = item.raw
    if name_contains and name_contains.lower() not in f"{item.id} {raw.get('DisplayName', '')}".lower():
        return False
    if log_type and log_type not in (raw.get("LogTypes") or raw.get("ResourceTypes") or []):
        return False
    if severity and str(raw.get("Severity", "")).upper() != severity.upper():
        return False
    if tag and tag.lower() not in [str(t).lower() for t in raw.get("Tags") or []]:
        return False
    return not (state and (state == "enabled") != item.enabled)


def _add_routes(resource: str, permission: str, shape: Callable[[ContentItem], dict[str, Any]]) -> None:
    async def list_items(request: Request, cursor: str | None = None,
                         limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
                         name_contains: Annotated[str | None, Query(alias="name-contains")] = None,
                         log_type: Annotated[str | None, Query(alias="log-type")] = None,
                         severity: str | None = None, tag: str | None = None,
                         state: Annotated[str | None, Query(pattern="^(enabled|disabled)$")] = None) -> dict:
        items = sorted(request.app.state.server.content.by_resource[resource].values(), key=lambda i: i.id)
        items = [i for i in items if _matches(i, name_contains, log_type, severity, tag, state)]
        start = 0
        if cursor:
            start = next((n for n, i in enumerate(items) if i.id > cursor), len(items))
        page = items[start:start + limit]
        more = start + limit < len(items)
        return {"results": [shape(i) for i in page], "next": page[-1].id if more and page else None}

    async def get_item(id: str, request: Request) -> dict:  # noqa: A002
        item = request.app.state.server.content.by_resource[resource].get(id)
        if item is None:
            raise HTTPException(404, f"no {SINGULAR[resource]} with id {id!r}")
        return shape(item)

    # the permission as a route dependency: these handlers are closures, whose annotations FastAPI cannot resolve
    guard = [Depends(requires(permission))]
    router.add_api_route(f"/{resource}", list_items, methods=["GET"], summary=f"List {resource}",
                         dependencies=guard)
    router.add_api_route(f"/{resource}/{{id}}", get_item, methods=["GET"], summary=f"Get one of {resource}",
                         dependencies=guard)


for _resource, (_permission, _shape) in RESOURCES.items():
    _add_routes(_resource, _permission, _shape)
