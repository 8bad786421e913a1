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
from onca.detect.platform import use_lookup_function
from onca.enrich import SharedLookup
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


def _engine_names(destinations: DestinationSet) -> dict[str, str] | None:
    """What the engine resolves destinations() names with. A live set may change after the workers start, so
    its names are left to routing, which resolves them against the destinations of the moment."""
    return None if destinations.live else destinations.name_to_id() or None


def reload_detection(setup: DetectionSetup, paths: Sequence[Path]) -> list[ContentProblem]:
    """Run the content under ``paths`` from now on (call it from the thread that feeds the stage). Correlation
    rules whose spec did not change keep what they remembered; changed ones start again."""
    setup.stage.wait()  # nothing of the old content still evaluating
    content = setup.stage.engine.reload(paths)
    problems = list(content.problems)
    correlations, setup.correlation_rules = _correlations(paths, problems)
    if correlations is not None and setup.stage.correlations is not None:
        correlations.keep_state_of(setup.stage.correlations)
    setup.stage.correlations = correlations
    setup.rules = len(content.detections)
    setup.problems = problems
    return problems


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
    if settings.lookup_file is not None:  # before the engine forks: its workers inherit it
        use_lookup_function(SharedLookup(settings.lookup_file))
    engine = Engine(content, EngineOptions(
        workers=settings.workers, timeout_seconds=settings.timeout_seconds, kv_url=settings.kv_url,
        use_index=settings.use_index, destinations=_engine_names(destinations), reloadable=settings.reloadable))
    correlations, correlation_rules = _correlations(settings.content, problems)
    store = open_store(settings.store_url)
    extra = {"clock": clock} if clock is not None else {}
    manager = AlertManager(store, storm_limit=settings.storm_limit, console_url=settings.console_url, **extra)
    dispatcher = (Dispatcher(destinations, on_attempts=manager.record_attempts)
                  if len(destinations) or destinations.live else None)
    # with rule workers, detection overlaps parsing: the ingest thread goes on while workers evaluate
    stage = DetectionStage(registry, writer, engine, manager, dispatcher, destinations, correlations=correlations,
                           background=settings.workers > 0, **extra)
    return DetectionSetup(stage, len(content.detections), correlation_rules, problems)
