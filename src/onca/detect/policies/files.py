"""Evaluating a file of resource snapshots: every good resource evaluated, every bad one reported."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from onca.detect.policies.engine import PolicyEngine
from onca.detect.policies.model import PolicyResult
from onca.detect.policies.resources import ResourceError, read_resources


@dataclass
class FileEvaluation:
    """``problems`` reads ``file:line: what is wrong`` (or ``file: item N: ...`` in a JSON array)."""

    results: list[PolicyResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    resources: int = 0  # resources evaluated

    @property
    def new_failures(self) -> list[PolicyResult]:
        return [r for r in self.results if r.status == "FAIL" and r.finding is not None]


def evaluate_file(path: str | Path, engine: PolicyEngine) -> FileEvaluation:
    """Evaluate the resources in a JSON array, a single JSON object or an NDJSON file.

    Raises ResourceFileError only when the file cannot be read at all; a bad line or item is a
    problem and the rest of the file is still evaluated.
    """
    evaluation = FileEvaluation()
    for where, resource in read_resources(path):
        if isinstance(resource, ResourceError):
            evaluation.problems.append(f"{where}: {resource}")
            continue
        try:
            evaluation.results += engine.evaluate_resource(resource)
        except ResourceError as exc:
            evaluation.problems.append(f"{where}: {exc}")
            continue
        evaluation.resources += 1
    return evaluation
