"""Policies over resource snapshots: which policies apply, PASS / FAIL / ERROR, and what is new.

A policy applies to a resource when the resource's ``ResourceType`` is one of the policy's
``ResourceTypes`` (a policy that lists none applies to every type) and the resource id matches none of
its ``Suppressions`` patterns. ``policy(resource)`` returning True is a PASS, False a FAIL, and an
exception (or a value that is not a boolean) an ERROR. Only a change to FAIL makes an alert-worthy
finding: a resource that keeps failing is already alerted on.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

from onca.detect.policies.findings import error_finding, failure_finding
from onca.detect.policies.model import ERROR, FAIL, PASS, ComplianceRecord, PolicyResult
from onca.detect.policies.resources import ResourceError, resource_identity
from onca.detect.policies.state import ComplianceState
from onca.detect.runner import Detection, DetectionKind, RunAborted, RunResult, run_detection
from onca.detect.testing.timeouts import time_limit
from onca.detect.tracebacks import describe_error

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Policy:
    detection: Detection
    resource_types: frozenset[str] | None  # None: every type
    suppressions: tuple[str, ...]

    @classmethod
    def of(cls, detection: Detection) -> _Policy:
        types = detection.spec.get("ResourceTypes") or ()
        patterns = detection.spec.get("Suppressions") or ()
        return cls(detection, frozenset(str(t) for t in types) or None, tuple(str(p) for p in patterns))

    def applies_to(self, resource_type: str) -> bool:
        return self.resource_types is None or resource_type in self.resource_types

    def suppresses(self, resource_id: str) -> bool:
        return any(fnmatchcase(resource_id, pattern) for pattern in self.suppressions)


class PolicyEngine:
    """Evaluates policies on resources and records each status in ``state``.

    ``clock`` gives the evaluation time (the findings' event time); ``timeout`` bounds each policy run
    in seconds where the platform allows it (the main thread), turning a hang into an ERROR.
    """

    def __init__(
        self,
        policies: Sequence[Detection],
        state: ComplianceState,
        *,
        clock: Callable[[], datetime] = _now,
        timeout: float | None = None,
    ) -> None:
        seen: set[str] = set()
        for detection in policies:
            if detection.kind is not DetectionKind.POLICY:
                raise ValueError(f"{detection.id} is a {detection.kind.value}, not a policy")
            if detection.id in seen:
                raise ValueError(f"policy {detection.id!r} is given twice")
            seen.add(detection.id)
        self._policies = [_Policy.of(d) for d in policies]
        self._by_type: dict[str, list[_Policy]] = {}
        self.state = state
        self.clock = clock
        self.timeout = timeout

    @property
    def policies(self) -> list[Detection]:
        return [p.detection for p in self._policies]

    def policies_for(self, resource_type: str) -> list[Detection]:
        return [p.detection for p in self._applicable(resource_type)]

    def _applicable(self, resource_type: str) -> list[_Policy]:
        found = self._by_type.get(resource_type)
        if found is None:
            found = self._by_type[resource_type] = [p for p in self._policies if p.applies_to(resource_type)]
        return found

    def evaluate(
        self,
        resources: Iterable[Any],
        *,
        on_problem: Callable[[int, ResourceError], None] | None = None,
    ) -> list[PolicyResult]:
        """Results for every applicable, unsuppressed (policy, resource) pair. A resource that cannot be
        evaluated is passed to ``on_problem`` with its position (logged when there is none) and the
        others are still evaluated."""
        results: list[PolicyResult] = []
        for index, resource in enumerate(resources):
            try:
                results += self.evaluate_resource(resource)
            except ResourceError as exc:
                if on_problem is None:
                    log.warning("resource %d skipped: %s", index + 1, exc)
                else:
                    on_problem(index, exc)
        return results

    def evaluate_resource(self, resource: Any) -> list[PolicyResult]:
        """Results for one resource; ResourceError when it has no usable ResourceType or ResourceId."""
        resource_type, resource_id = resource_identity(resource)
        now = self.clock()
        results = []
        for policy in self._applicable(resource_type):
            if policy.suppresses(resource_id):
                continue
            results.append(self._evaluate(policy.detection, resource, resource_type, resource_id, now))
        return results

    def _evaluate(
        self, detection: Detection, resource: Mapping[str, Any], resource_type: str, resource_id: str,
        now: datetime,
    ) -> PolicyResult:
        result, error = self._run(detection, resource)
        if error:
            status = ERROR
        else:
            status = PASS if result.detection_output else FAIL
        previous = self.state.put(ComplianceRecord(detection.id, resource_id, resource_type, status, now, error))
        finding = None
        if status == FAIL and previous != FAIL:
            finding = failure_finding(detection, resource, resource_id, resource_type, result, now)
        elif status == ERROR:
            finding = error_finding(detection, resource, resource_id, resource_type, error, now)
        return PolicyResult(detection.id, resource_id, resource_type, status, error, previous, finding)

    def _run(self, detection: Detection, resource: Mapping[str, Any]) -> tuple[RunResult, str]:
        """The run, and the error that made it an ERROR ("" if none)."""
        # Policies read a plain dict, as in their tests; each gets its own copy so none can change
        # what the next one sees, or the resource the finding carries.
        seen = copy.deepcopy(dict(resource))
        try:
            with time_limit(self.timeout, f"{detection.id} on {resource.get('ResourceId')}"):
                result = run_detection(detection, seen, test_mode=False)
        except RunAborted as exc:
            return RunResult(detection.id, detection.severity, detection.kind.engine_type), f"policy: {exc}"
        if result.detection_exception is not None:
            return result, f"policy: {describe_error(result.detection_exception)}"
        return result, ""
