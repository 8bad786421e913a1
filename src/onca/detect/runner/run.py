"""Run one detection over one event: filters, the matcher, then every auxiliary function.

Two modes. ``test_mode`` (what ``onca test`` uses) runs every auxiliary function whatever the
matcher said and records each error. Outside it (live evaluation) auxiliary functions run only
for an alert, and a failing one falls back to its default so the alert still goes out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from onca.detect.runner import outputs
from onca.detect.runner.detection import Detection, DetectionKind
from onca.detect.runner.errors import RunAborted
from onca.detect.runner.result import RunResult


_NOT_GIVEN: Any = object()


def run_detection(
    detection: Detection,
    event: Mapping[str, Any],
    *,
    test_mode: bool = True,
    destinations: Mapping[str, str] | None = None,
    matcher_output: Any = _NOT_GIVEN,
) -> RunResult:
    """``matcher_output``: what the matcher already returned for this event (the live engine calls a
    filterless rule's matcher itself, to skip building a result when it returns False)."""
    result = RunResult(
        detection_id=detection.id,
        detection_severity=detection.severity,
        detection_type=detection.kind.engine_type,
    )
    if detection.filters is not None and detection.kind is DetectionKind.RULE:
        try:
            result.filter_output = bool(detection.filters(event))
        except (RunAborted, KeyboardInterrupt):
            raise
        except BaseException as exc:  # noqa: BLE001 - content may raise anything, SystemExit included
            result.filter_exception = exc
    try:
        if result.filters_did_not_match:
            result.detection_output = False
        elif (result.filters_not_ran or result.all_filters_matched) and matcher_output is not _NOT_GIVEN:
            result.detection_output = outputs.require(detection.id, detection.matcher_name, matcher_output, bool)
        elif result.filters_not_ran or result.all_filters_matched:
            result.detection_output = _run_matcher(detection, event)
    except (RunAborted, KeyboardInterrupt):
        raise
    except BaseException as exc:  # noqa: BLE001
        result.detection_exception = exc
    result.trigger_alert = result.detection_output is detection.alert_value and (
        result.all_filters_matched or result.filters_not_ran
    )
    if not test_mode and not result.trigger_alert:
        return result
    _run_auxiliary(detection, event, result, test_mode, destinations)
    return result


def _run_matcher(detection: Detection, event: Mapping[str, Any]) -> bool:
    matcher = detection.function(detection.matcher_name)
    if matcher is None and detection.kind is DetectionKind.SCHEDULED_RULE:
        return True  # a scheduled rule without rule() passes every query row through
    if matcher is None:
        raise AttributeError(f"detection [{detection.id}] has no function named '{detection.matcher_name}'")
    return outputs.require(detection.id, detection.matcher_name, matcher(event), bool)


def _call(detection: Detection, name: str, event: Mapping[str, Any], expected: type) -> Any:
    function = detection.function(name)
    if function is None:
        raise AttributeError(f"detection [{detection.id}] has no function named '{name}'")
    return outputs.require(detection.id, name, function(event), expected)


def _run_auxiliary(
    detection: Detection,
    event: Mapping[str, Any],
    result: RunResult,
    test_mode: bool,
    destinations: Mapping[str, str] | None,
) -> None:
    defined = detection.defined
    did = detection.id

    def text(name: str) -> str:
        return outputs.truncate(_call(detection, name, event, str))

    def severity() -> str | None:
        return outputs.severity_output(_call(detection, "severity", event, str), detection.severity)

    def send_to() -> list[str] | None:
        function = detection.function("destinations")
        names = outputs.check_destinations(did, function(event) if function is not None else None)
        return None if names is None else outputs.destinations_output(names, destinations)

    def dedup() -> str:
        value = _call(detection, "dedup", event, str)
        return outputs.truncate(value) if value else outputs.default_dedup(did, None)

    def alert_context() -> str:
        context = _call(detection, "alert_context", event, Mapping)
        return outputs.alert_context_output(context)

    # Live evaluation replaces a failing function by what the alert would carry without it.
    fallbacks: dict[str, Callable[[BaseException], Any]] = {
        "title": lambda _exc: did,
        "description": lambda _exc: "",
        "reference": lambda _exc: "",
        "severity": lambda _exc: detection.severity.upper() if detection.severity else None,
        "runbook": lambda _exc: "",
        "destinations": lambda _exc: None,
        "dedup": lambda _exc: outputs.default_dedup(did, None),
        "alert_context": lambda exc: outputs.alert_context_error(repr(exc)),
        "unique": lambda _exc: None,
    }
    producers: dict[str, Callable[[], Any]] = {
        "title": lambda: text("title"),
        "description": lambda: text("description"),
        "reference": lambda: text("reference"),
        "severity": severity,
        "runbook": lambda: text("runbook"),
        "destinations": send_to,
        "dedup": dedup,
        "alert_context": alert_context,
        "unique": lambda: text("unique"),
    }
    for name, produce in producers.items():
        is_defined = name in defined
        setattr(result, f"{name}_defined", is_defined)
        if not is_defined:
            if name == "dedup":
                result.dedup_output = outputs.default_dedup(did, result.title_output)
            continue
        try:
            setattr(result, f"{name}_output", produce())
        except (RunAborted, KeyboardInterrupt):
            raise
        except BaseException as exc:  # noqa: BLE001
            if test_mode or not isinstance(exc, Exception):
                setattr(result, f"{name}_exception", exc)
            else:
                setattr(result, f"{name}_output", fallbacks[name](exc))
