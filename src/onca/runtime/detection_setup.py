"""Build the detection stage from settings: content, engine, correlation stream, alert store, destinations."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from onca.alerts.config import DestinationSet, load_destinations
from onca.alerts.delivery import Dispatcher
from onca.alerts.manager import AlertManager
from onca.detect.content import ContentProblem, load_content
from onca.detect.correlation import CorrelationError, CorrelationStream, compile_correlation
from onca.detect.engine import Engine, EngineOptions, load_engine_content
from onca.lake import LakeWriter
from onca.runtime.detection_stage import DetectionStage
from onca.runtime.settings import DetectionSettings
from onca.schema.registry import Registry
from onca.store import open_store


@dataclass
class DetectionSetup:
    stage: DetectionStage
    rules: int
    correlation_rules: int
    problems: list[ContentProblem] = field(default_factory=list)


def _correlations(paths: Sequence[Path], problems: list[ContentProblem]) -> tuple[CorrelationStream | None, int]:
    rules = []
    for path in paths:
        for item in load_content(path).of_kind("correlation_rule"):
            if not item.enabled:
                continue
            try:
                rules.append((item.raw, compile_correlation(item.raw)))
            except CorrelationError as exc:
                problems.append(ContentProblem(item.path, f"correlation rule {item.id}: {exc}"))
    return (CorrelationStream(rules) if rules else None), len(rules)


def open_detection_stage(registry: Registry, writer: LakeWriter, settings: DetectionSettings, *,
                         clock: Callable[[], datetime] | None = None) -> DetectionSetup:
    """Everything live detection needs, started. The engine forks its workers here, before any thread starts
    (the dispatcher's thread comes after), so workers never inherit a running thread."""
    if settings.destination_set is not None:
        destinations = settings.destination_set
    elif settings.destinations_file:
        destinations = load_destinations(settings.destinations_file)
    else:
        destinations = DestinationSet()
    content = load_engine_content(settings.content)
    problems = list(content.problems)
    engine = Engine(content, EngineOptions(
        workers=settings.workers, timeout_seconds=settings.timeout_seconds, kv_url=settings.kv_url,
        use_index=settings.use_index, destinations=destinations.name_to_id() or None))
    correlations, correlation_rules = _correlations(settings.content, problems)
    store = open_store(settings.store_url)
    extra = {"clock": clock} if clock is not None else {}
    manager = AlertManager(store, storm_limit=settings.storm_limit, console_url=settings.console_url, **extra)
    dispatcher = Dispatcher(destinations, on_attempt=manager.record_attempt) if len(destinations) else None
    stage = DetectionStage(registry, writer, engine, manager, dispatcher, destinations, correlations=correlations,
                           **extra)
    return DetectionSetup(stage, len(content.detections), correlation_rules, problems)
