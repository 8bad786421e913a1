"""The inner loop, the same in a worker process and in-process: events x candidate rules -> findings.

Each run of one detection on one event is bounded by the Alarm (the process's main thread only) and,
inside workers, announced on a shared heartbeat so the engine can tell which run a dying or stuck worker
was in.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from onca.detect.datamodel import DataModel
from onca.detect.engine.alarm import Alarm
from onca.detect.engine.outcomes import error_finding, finding_of
from onca.detect.engine.rules import RuleInfo
from onca.detect.event import DetectionEvent, ImmutableCaseInsensitiveDict
from onca.detect.findings import Finding
from onca.detect.platform.lookups import lookup_function
from onca.detect.runner import Detection, DetectionKind, DetectionTimeout, RunAborted, run_detection

log = logging.getLogger(__name__)

# (event index in the batch, rule position, finding, whether it is a timeout)
Emit = Callable[[int, int, Finding, bool], None]
COUNTER_FIELDS = 2  # per rule and slot: events evaluated, CPU seconds
RULE = DetectionKind.RULE
_MISSING: Any = object()


class PassThroughNames(Mapping[str, str]):
    """Resolves every destination name to itself: routing, not the engine, decides what a name means."""

    def __getitem__(self, key: str) -> str:
        if isinstance(key, str):
            return key
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:  # present, though it lists nothing: the runner must not replace it by {}
        return True


@dataclass
class LogTypeRules:
    """The rules of one log type, in content order (a rule's position is its index here)."""

    log_type: str
    detections: list[Detection]
    infos: list[RuleInfo]
    data_model: DataModel | None = None
    index: Any = None  # onca.detect.index.RuleIndex, when available
    counter_ids: list[int] = field(default_factory=list)  # position -> the rule's number among all rules
    positions: dict[int, int] = field(default_factory=dict)  # id(detection) -> position
    _index_failed: bool = False

    def __post_init__(self) -> None:
        self.positions = {id(detection): position for position, detection in enumerate(self.detections)}
        self.every_position = tuple(range(len(self.detections)))

    @property
    def reads_plain_events(self) -> bool:
        """Whether the index answers for events as given when they render as plain JSON (the rule
        index does; anything else gets the rendered event)."""
        return self.index is not None and getattr(self.index, "reads_plain_events", False)

    def candidates(self, event: DetectionEvent) -> Sequence[Detection]:
        """The rules that may match ``event``; all of them without an index, or when it cannot answer."""
        detections = self.detections
        return [detections[position] for position in self.candidate_positions(event.raw_view())]

    def candidate_positions(self, raw: Mapping[str, Any]) -> Sequence[int]:
        """The positions of the rules that may match the rendered event ``raw`` (or the event as given,
        see ``reads_plain_events``): every one without an index, for an event of another log type, or
        when the index cannot answer."""
        index = self.index
        if index is None:
            return self.every_position
        log_type = raw.get("p_log_type", _MISSING) if raw.__class__ is dict else _MISSING
        if log_type is _MISSING:  # read as the event reads it: whatever the key's case
            log_type = ImmutableCaseInsensitiveDict(raw).get("p_log_type")
        if log_type != self.log_type:
            return self.every_position
        try:
            positions = getattr(index, "positions", None)
            if positions is not None:
                return positions(raw, self.data_model)
            found = index.candidates(DetectionEvent(raw, self.data_model))
            return sorted(self.positions[id(detection)] for detection in found)
        except Exception as exc:  # noqa: BLE001 - the index is an optimisation: never lose a verdict to it
            if not self._index_failed:
                self._index_failed = True
                log.warning("rule index failed for %s (%s); evaluating every rule", self.log_type, exc)
            return self.every_position


class Evaluator:
    """``counters`` holds, per rule (its counter id), the events it ran on and its CPU seconds; in workers
    it is shared memory (one region per slot), so counts survive a worker that dies mid-batch."""

    def __init__(
        self,
        rules: Mapping[str, LogTypeRules],
        counters: Any,
        *,
        alarm: Alarm,
        destinations: Mapping[str, str] | None = None,
        heartbeat: Any = None,
        slot: int = 0,
        counter_base: int = 0,
    ) -> None:
        self.rules = rules
        self.counters = counters
        self.alarm = alarm
        self.destinations = destinations if destinations is not None else PassThroughNames()
        self.heartbeat = heartbeat  # shared doubles: [task, event, position, started] per slot
        self.base = slot * HEARTBEAT_FIELDS
        self.counter_base = counter_base

    def run(
        self,
        log_type: str,
        events: Sequence[Mapping[str, Any]],
        emit: Emit,
        *,
        task: int = 0,
        start: tuple[int, int] = (0, -1),
        skip: frozenset[int] = frozenset(),
    ) -> None:
        """Evaluate ``events`` (rendered) from ``start`` = (event, last position already done) on."""
        rules = self.rules[log_type]
        counters, counter_base, counter_ids = self.counters, self.counter_base, rules.counter_ids
        beat, base = self.heartbeat, self.base
        first_event, done_position = start
        lookup = lookup_function()  # event.lookup's rows (onca.detect.platform.lookups)
        data_model, infos, detections = rules.data_model, rules.infos, rules.detections
        candidate_positions = rules.candidate_positions
        # A batch decoded event by event (render.RenderedEvents): the index reads events that render as
        # plain JSON as they were given, and the others are decoded only for the rules that run on them.
        plain_event = getattr(events, "plain_event", None) if rules.reads_plain_events else None
        with self.alarm.ticking():
            for index in range(first_event, len(events)):
                raw = plain_event(index) if plain_event is not None else None
                if raw is None:
                    raw = events[index]
                positions = candidate_positions(raw)
                if not positions:
                    continue  # the index spared every rule: nothing to decode, wrap, time or count
                event = DetectionEvent(events[index], data_model)
                if lookup is not None:
                    event._add_lookup_function(lookup)
                # CPU time is a system call to read: read it once per event and share it out among the
                # event's rules by their wall-clock time, which is cheap to read per run.
                cpu_started = time.process_time()
                walls: list[tuple[int, float]] = []
                for position in positions:
                    if (index == first_event and position <= done_position) or position in skip:
                        continue
                    started = time.monotonic()
                    if beat is not None:
                        beat[base], beat[base + 1], beat[base + 2] = task, index, position
                        beat[base + 3] = started
                    finding, timed_out = self._run_one(
                        detections[position], infos[position], event, log_type, started
                    )
                    at = counter_base + counter_ids[position] * COUNTER_FIELDS
                    counters[at] += 1
                    walls.append((at, time.monotonic() - started))
                    if finding is not None:
                        emit(index, position, finding, timed_out)
                    if beat is not None:
                        beat[base + 3] = 0.0
                if walls:
                    _share_cpu(counters, walls, time.process_time() - cpu_started)

    def _run_one(
        self, detection: Detection, info: RuleInfo, event: DetectionEvent, log_type: str, started: float
    ) -> tuple[Finding | None, bool]:
        alarm = self.alarm
        try:
            alarm.started = started
            matcher = detection.function("rule") if detection.filters is None and detection.kind is RULE else None
            if callable(matcher):
                # Most runs of a filterless rule return False: that needs no result object at all.
                try:
                    output = matcher(event)
                except (RunAborted, KeyboardInterrupt):
                    raise
                except BaseException as exc:  # noqa: BLE001 - content may raise anything, as in run_detection
                    alarm.started = 0.0
                    return error_finding(info, log_type, detection.matcher_name, exc), False
                if output is False:
                    alarm.started = 0.0
                    return None, False
                result = run_detection(
                    detection, event, test_mode=False, destinations=self.destinations, matcher_output=output
                )
            else:
                result = run_detection(detection, event, test_mode=False, destinations=self.destinations)
            alarm.started = 0.0  # inside the try: a tick landing just before this is still caught below
        except DetectionTimeout as exc:
            return error_finding(info, log_type, detection.matcher_name, exc), True
        except RunAborted as exc:
            alarm.started = 0.0
            return error_finding(info, log_type, detection.matcher_name, exc), False
        try:
            return finding_of(result, detection, info, log_type), False
        except Exception as exc:  # noqa: BLE001 - turning a result into a finding failed: still the rule's error
            return error_finding(info, log_type, "engine", exc), False


def _share_cpu(counters: Any, walls: list[tuple[int, float]], cpu: float) -> None:
    total = sum(wall for _, wall in walls)
    for at, wall in walls:
        counters[at + 1] += cpu * wall / total if total > 0 else cpu / len(walls)


HEARTBEAT_FIELDS = 4
