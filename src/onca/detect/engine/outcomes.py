"""One detection's run over one event, as a Finding (or nothing).

Findings are built without their event: the worker that ran the rule holds only the rendered copy, and
the engine attaches the normalized event (and its time) when the finding reaches it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from onca.detect.engine.rules import RuleInfo
from onca.detect.findings import Finding
from onca.detect.runner import Detection, DetectionTimeout, RunResult
from onca.detect.runner.outputs import default_dedup
from onca.detect.tracebacks import content_traceback, describe_error

PLACEHOLDER_TIME = datetime(1970, 1, 1, tzinfo=UTC)
TRACEBACK_KEY = "traceback"


def finding_of(result: RunResult, detection: Detection, info: RuleInfo, log_type: str) -> Finding | None:
    """A match or signal when the rule alerted, an error when its filters or matcher raised, else None."""
    if result.trigger_alert:
        return _alert(result, detection, info, log_type)
    if result.filter_exception is not None:
        return error_finding(info, log_type, "filters", result.filter_exception)
    if result.detection_exception is not None:
        return error_finding(info, log_type, detection.matcher_name, result.detection_exception)
    return None


def _alert(result: RunResult, detection: Detection, info: RuleInfo, log_type: str) -> Finding:
    return Finding(
        kind="match" if detection.create_alert else "signal",
        detection_id=info.id,
        detection_type="rule",
        log_type=log_type,
        event={},
        event_time=PLACEHOLDER_TIME,
        severity=result.severity_output or info.severity,
        title=result.title_output or info.default_title,
        dedup=result.dedup_output or default_dedup(info.id, result.title_output),
        detection_version=info.version,
        detection_name=info.name,
        dedup_period_minutes=info.dedup_period_minutes,
        threshold=info.threshold,
        alert_context=_context(result.alert_context_output),
        destinations=tuple(result.destinations_output) if result.destinations_output is not None else None,
        destination_overrides=info.overrides,
        description=result.description_output or info.description,
        reference=result.reference_output or info.reference,
        runbook=result.runbook_output or info.runbook,
        tags=info.tags,
        reports=dict(info.reports),
    )


def _context(encoded: str | None) -> dict[str, Any]:
    if not encoded:
        return {}
    try:
        context = json.loads(encoded)  # not orjson: it would turn integers past 64 bits into floats
    except ValueError:
        return {"_error": "alert_context did not produce JSON"}
    return context if isinstance(context, dict) else {"_error": "alert_context did not produce an object"}


def error_finding(info: RuleInfo, log_type: str, function: str, error: BaseException) -> Finding:
    """The rule raised: ``error`` reads ``<function>: <Type>: <message>``; the traceback, its frames."""
    if isinstance(error, DetectionTimeout):
        return failure_finding(
            info, log_type, f"timed out after {error.seconds:g}s", content_traceback(error)
        )
    return failure_finding(info, log_type, f"{function}: {describe_error(error)}", content_traceback(error))


def failure_finding(info: RuleInfo, log_type: str, error: str, traceback: str = "") -> Finding:
    """A rule error that has a message but perhaps no exception (a worker that died, a rule skipped)."""
    return Finding(
        kind="error",
        detection_id=info.id,
        detection_type="rule",
        log_type=log_type,
        event={},
        event_time=PLACEHOLDER_TIME,
        severity=info.severity,  # Panther raises rule errors at the rule's own severity
        title=f"{info.default_title}: {error}",
        dedup=error,  # the same error of the same rule gathers into one alert
        detection_version=info.version,
        detection_name=info.name,
        dedup_period_minutes=info.dedup_period_minutes,
        alert_context={TRACEBACK_KEY: traceback},
        destination_overrides=info.overrides,
        description=info.description,
        reference=info.reference,
        runbook=info.runbook,
        tags=info.tags,
        reports=dict(info.reports),
        error=error,
    )


def with_event(finding: Finding, event: Mapping[str, Any], when: datetime) -> Finding:
    """The finding carrying the normalized event it came from."""
    return replace(finding, event=event if isinstance(event, dict) else dict(event), event_time=when)
