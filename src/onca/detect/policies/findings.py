"""Policy findings: an alert-worthy failure of a policy on a resource, or a policy that raised."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from onca.detect.findings import Finding
from onca.detect.runner import Detection, RunResult
from onca.detect.runner.outputs import default_dedup


def _spec_text(detection: Detection, key: str) -> str:
    value = detection.spec.get(key)
    return str(value) if value else ""


def _common(detection: Detection) -> dict[str, Any]:
    spec = detection.spec
    reports = spec.get("Reports") or {}
    return {
        "detection_id": detection.id,
        "detection_type": "policy",
        "detection_name": _spec_text(detection, "DisplayName"),
        "destination_overrides": tuple(str(o) for o in spec.get("OutputIds") or ()),
        "tags": tuple(str(t) for t in spec.get("Tags") or ()),
        "reports": {str(name): [str(v) for v in values or ()] for name, values in reports.items()},
    }


def _severity(detection: Detection) -> str:
    return (detection.severity or "INFO").upper()


def _destinations(detection: Detection, resource: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The names ``destinations()`` returned (routing resolves them); () sends nowhere, None: not decided."""
    function = detection.function("destinations")
    if function is None:
        return None
    try:
        names = function(copy.deepcopy(dict(resource)))
    except Exception:  # noqa: BLE001 - as for the other functions, the alert still goes out
        return None
    if not isinstance(names, list):
        return None
    return tuple(name for name in names if isinstance(name, str))


def failure_finding(
    detection: Detection,
    resource: Mapping[str, Any],
    resource_id: str,
    resource_type: str,
    result: RunResult,
    now: datetime,
) -> Finding:
    """A new FAIL. Policy alerts are deduplicated per resource unless the policy defines ``dedup()``."""
    dedup = resource_id
    if "dedup" in detection.defined and result.dedup_output not in (None, "", default_dedup(detection.id, None)):
        dedup = str(result.dedup_output)
    context = json.loads(result.alert_context_output) if result.alert_context_output else {}
    return Finding(
        kind="match",
        log_type=resource_type,
        event=dict(resource),
        event_time=now,
        severity=result.severity_output or _severity(detection),
        title=result.title_output or f"{detection.id} failed on {resource_id}",
        dedup=dedup,
        alert_context=context if isinstance(context, dict) else {},
        destinations=_destinations(detection, resource),
        description=result.description_output or _spec_text(detection, "Description"),
        reference=result.reference_output or _spec_text(detection, "Reference"),
        runbook=result.runbook_output or _spec_text(detection, "Runbook"),
        **_common(detection),
    )


def error_finding(
    detection: Detection,
    resource: Mapping[str, Any],
    resource_id: str,
    resource_type: str,
    error: str,
    now: datetime,
) -> Finding:
    return Finding(
        kind="error",
        log_type=resource_type,
        event=dict(resource),
        event_time=now,
        severity=_severity(detection),
        title=f"{detection.id} raised an error on {resource_id}",
        dedup=resource_id,
        description=_spec_text(detection, "Description"),
        reference=_spec_text(detection, "Reference"),
        runbook=_spec_text(detection, "Runbook"),
        error=error,
        **_common(detection),
    )
