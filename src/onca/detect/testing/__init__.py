"""Running detections' unit tests (``onca test``): verdicts as Panther's CLI gives them, in parallel."""

from onca.detect.testing.cases import MockSpec, TestCase, cases_from_spec
from onca.detect.testing.execute import run_case, run_correlation_case
from onca.detect.testing.outcome import CaseOutcome, DetectionOutcome, FunctionOutcome, Problem, Status
from onca.detect.testing.render import detection_lines, summary_lines, write_junit
from onca.detect.testing.report import TestReport
from onca.detect.testing.session import TestOptions, run_content_tests
from onca.detect.testing.verdict import judge

__all__ = [
    "CaseOutcome",
    "DetectionOutcome",
    "FunctionOutcome",
    "MockSpec",
    "Problem",
    "Status",
    "TestCase",
    "TestOptions",
    "TestReport",
    "cases_from_spec",
    "detection_lines",
    "judge",
    "run_case",
    "run_content_tests",
    "run_correlation_case",
    "summary_lines",
    "write_junit",
]
