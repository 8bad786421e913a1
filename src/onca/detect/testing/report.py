"""The result of a whole ``onca test`` run, and its summary counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from onca.detect.testing.outcome import DetectionOutcome, Problem, Status


@dataclass
class TestReport:
    __test__ = False  # not a pytest test class

    root: str
    outcomes: list[DetectionOutcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # files that did not load as content
    seconds: float = 0.0

    def detections_with(self, status: Status) -> list[DetectionOutcome]:
        return [outcome for outcome in self.outcomes if outcome.status is status]

    @property
    def invalid(self) -> list[Problem]:
        """Every invalid spec: files that did not load, and detections that did not build."""
        built = [problem for outcome in self.detections_with(Status.INVALID) for problem in outcome.problems]
        return self.problems + built

    def invalid_files(self) -> dict[str, list[Problem]]:
        """The invalid specs grouped by file (a file with three bad keys is one invalid spec)."""
        grouped: dict[str, list[Problem]] = {}
        for problem in self.invalid:
            grouped.setdefault(problem.path, []).append(problem)
        return grouped

    @property
    def ok(self) -> bool:
        return not self.invalid and not self.detections_with(Status.FAILED)

    def case_counts(self) -> dict[str, int]:
        counts = Counter(case.status.value for outcome in self.outcomes for case in outcome.cases)
        return {status.value: counts.get(status.value, 0) for status in (Status.PASSED, Status.FAILED, Status.ERROR)}

    def case_counts_by_kind(self) -> dict[str, dict[str, int]]:
        by_kind: dict[str, Counter[str]] = {}
        for outcome in self.outcomes:
            counter = by_kind.setdefault(outcome.kind, Counter())
            counter.update(case.status.value for case in outcome.cases)
        return {kind: dict(counter) for kind, counter in sorted(by_kind.items())}

    def summary(self) -> dict[str, Any]:
        return {
            "detections": {
                "passed": len(self.detections_with(Status.PASSED)),
                "failed": len(self.detections_with(Status.FAILED)),
                "skipped": len(self.detections_with(Status.SKIPPED)),
                "invalid": len(self.invalid_files()),
            },
            "tests": self.case_counts(),
            "tests_by_kind": self.case_counts_by_kind(),
            "seconds": round(self.seconds, 3),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "ok": self.ok,
            "summary": self.summary(),
            "invalid": [asdict(problem) for problem in self.invalid],
            "detections": [outcome.to_dict() for outcome in self.outcomes],
        }
