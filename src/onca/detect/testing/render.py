"""Print a test report as Panther's CLI does (per-detection lines, then a summary), or as JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from onca.detect.testing.outcome import CaseOutcome, DetectionOutcome, Status
from onca.detect.testing.report import TestReport

Write = Callable[[str], None]


def _case_lines(case: CaseOutcome, verbose: bool) -> list[str]:
    mark = "PASS" if case.passed else ("ERROR" if case.status is Status.ERROR else "FAIL")
    lines = [f"\t[{mark}] {case.name}"]
    if not case.passed and case.message:
        lines.append(f"\t\t{case.message}")
    for function in case.functions:
        if function.error is not None:
            where = f" ({function.location})" if function.location else ""
            lines.append(f"\t\t[FAIL] [{function.name}] {function.error}{where}")
            if not case.passed and function.traceback:
                lines.extend("\t\t\t" + line for line in function.traceback.splitlines())
        elif verbose:
            lines.append(f"\t\t[{'PASS' if function.ok else 'FAIL'}] [{function.name}] {function.output}")
    if case.stdout and (verbose or not case.passed):
        lines.extend("\t\t| " + line for line in case.stdout.rstrip().splitlines())
    return lines


def detection_lines(outcome: DetectionOutcome, verbose: bool = False) -> list[str]:
    """What a detection prints: every test when verbose, otherwise only what went wrong."""
    if outcome.status is Status.PASSED and not verbose:
        return []
    if outcome.status is Status.SKIPPED:
        return [outcome.id, "\tskipped", ""] if verbose else []
    lines = [outcome.id]
    for problem in outcome.problems:
        lines.append(f"\t[{'INVALID' if outcome.status is Status.INVALID else 'FAIL'}] {problem.message}")
        lines.extend("\t\t" + line for line in problem.details.splitlines())
    if not outcome.cases and outcome.status is not Status.INVALID:
        lines.append(f"\tNo tests configured for {outcome.id}")
    for case in outcome.cases:
        if verbose or not case.passed:
            lines.extend(_case_lines(case, verbose))
    lines.append("")
    return lines


def summary_lines(report: TestReport) -> list[str]:
    lines: list[str] = []
    skipped = report.detections_with(Status.SKIPPED)
    failed = report.detections_with(Status.FAILED)
    invalid = report.invalid_files()
    if skipped:
        lines += ["--------------------------", "Skipped Tests Summary"]
        lines += [f"\t{outcome.path}\n\t\t{outcome.id}\n" for outcome in skipped]
    if failed:
        lines += ["--------------------------", "Failed Tests Summary"]
        for outcome in failed:
            names = [problem.message for problem in outcome.problems]
            names += [case.name for case in outcome.cases if not case.passed]
            lines.append(f"\t{outcome.id}\n\t\t{names}\n")
    if invalid:
        lines += ["--------------------------", "Invalid Tests Summary"]
        for path, problems in invalid.items():
            lines.append(f"\t{path}")
            lines += [f"\t\t{problem.message}" for problem in problems]
            lines.append("")
    summary = report.summary()
    tests = summary["tests"]
    lines += [
        "--------------------------",
        "Test Summary",
        f"\tPath: {report.root}",
        f"\tPassed: {summary['detections']['passed']}",
        f"\tSkipped: {summary['detections']['skipped']}",
        f"\tFailed: {summary['detections']['failed']}",
        f"\tInvalid: {summary['detections']['invalid']}",
        (
            f"\tTests: {sum(tests.values())} run, {tests['passed']} passed, {tests['failed']} failed, "
            f"{tests['error']} errored"
        ),
        f"\tTime: {report.seconds:.2f}s",
        "",
    ]
    return lines


def write_junit(report: TestReport, path: Path) -> None:
    """One testsuite per detection, one testcase per test; invalid specs are errored testcases."""
    suites = ET.Element("testsuites", name="onca test", time=f"{report.seconds:.3f}")
    for outcome in report.outcomes:
        failures = sum(case.status is Status.FAILED for case in outcome.cases)
        errors = sum(case.status is Status.ERROR for case in outcome.cases) + (
            1 if outcome.status is Status.INVALID else 0
        )
        suite = ET.SubElement(
            suites, "testsuite", name=outcome.id, tests=str(max(len(outcome.cases), 1)),
            failures=str(failures), errors=str(errors),
            skipped="1" if outcome.status is Status.SKIPPED else "0", time=f"{outcome.seconds:.3f}",
            file=outcome.path,
        )
        if outcome.status is Status.SKIPPED:
            case = ET.SubElement(suite, "testcase", classname=outcome.id, name="(skipped)")
            ET.SubElement(case, "skipped", message="disabled")
            continue
        for problem in outcome.problems:
            case = ET.SubElement(suite, "testcase", classname=outcome.id, name="(detection)")
            tag = "error" if outcome.status is Status.INVALID else "failure"
            ET.SubElement(case, tag, message=problem.message).text = problem.details or problem.message
        for case_outcome in outcome.cases:
            case = ET.SubElement(suite, "testcase", classname=outcome.id, name=case_outcome.name,
                                 time=f"{case_outcome.seconds:.3f}")
            if case_outcome.status is not Status.PASSED:
                tag = "failure" if case_outcome.status is Status.FAILED else "error"
                details = "\n".join(line.strip("\t") for line in _case_lines(case_outcome, verbose=False)[1:])
                ET.SubElement(case, tag, message=case_outcome.message or "failed").text = details
            if case_outcome.stdout:
                ET.SubElement(case, "system-out").text = case_outcome.stdout
    if report.problems:
        suite = ET.SubElement(suites, "testsuite", name="(content)", tests=str(len(report.problems)),
                              failures="0", errors=str(len(report.problems)))
        for problem in report.problems:
            case = ET.SubElement(suite, "testcase", classname="(content)", name=problem.path)
            ET.SubElement(case, "error", message=problem.message).text = problem.details or problem.message
    ET.indent(suites)
    Path(path).write_bytes(ET.tostring(suites, encoding="utf-8", xml_declaration=True))
