"""Test results as plain records: they cross process boundaries and become text, JSON or JUnit."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"  # a test's verdict went the wrong way
    ERROR = "error"  # the test could not run: timeout, crash, bad test input, missing module
    INVALID = "invalid"  # the detection itself could not be loaded
    SKIPPED = "skipped"


@dataclass
class FunctionOutcome:
    """One function's part in a test: its output (as text) or its error."""

    name: str
    output: str | None = None
    error: str | None = None
    traceback: str | None = None
    location: str | None = None
    ok: bool = True


@dataclass
class CaseOutcome:
    name: str
    status: Status
    expected: bool | None = None
    matcher_output: bool | None = None
    message: str = ""
    functions: list[FunctionOutcome] = field(default_factory=list)
    stdout: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED


@dataclass
class Problem:
    """A file that could not be used as content, or a detection-level failure (test coverage)."""

    path: str
    message: str
    details: str = ""
    item_id: str | None = None


@dataclass
class DetectionOutcome:
    id: str
    kind: str
    path: str
    origin: str = "panther-analysis"
    status: Status = Status.PASSED
    cases: list[CaseOutcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    def settle(self) -> DetectionOutcome:
        """Derive the detection's status from its cases and problems."""
        if self.status in (Status.INVALID, Status.SKIPPED):
            return self
        if any(case.status is not Status.PASSED for case in self.cases) or self.problems:
            self.status = Status.FAILED
        else:
            self.status = Status.PASSED
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
