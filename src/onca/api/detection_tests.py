"""Running a detection's unit tests through the API, as Panther's ``run-tests-only``: ``POST /rules`` and
``POST /policies`` with ``?run-tests-only=true`` test the detection in the body against the server's global
helpers and data models, and save nothing. Running the tests runs the detection's code, so it takes the
permission to change detections. 204 when every test passes; 400 with ``testResults`` when one fails.

The tests run in a separate ``onca test`` process: detection code is untrusted, and the runner forks workers,
which the server's threads must not be copied into.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse

from onca.api.auth import Principal, requires

router = APIRouter(tags=["detections"])
TEST_TIMEOUT_SECONDS = 120
DetectionBody = Annotated[dict[str, Any], Body(description="A detection as Panther's ModifyRule / ModifyPolicy.")]
_FUNCTIONS = {"rule": "detection", "policy": "detection", "title": "title", "dedup": "dedup",
              "alert_context": "alertContext", "severity": "severity", "description": "description",
              "reference": "reference", "runbook": "runbook", "destinations": "destinations"}


def _spec(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """The panther-analysis YAML spec of a detection given in Panther's API fields."""
    if not isinstance(body.get("id"), str) or not body["id"]:
        raise HTTPException(400, "the detection needs an id")
    spec: dict[str, Any] = {
        "AnalysisType": kind, ("RuleID" if kind == "rule" else "PolicyID"): body["id"], "Filename": "detection.py",
        "Enabled": bool(body.get("enabled", True)), "Severity": str(body.get("severity") or "Info").title(),
    }
    for api_key, spec_key in (("displayName", "DisplayName"), ("description", "Description"),
                              ("runbook", "Runbook"), ("reference", "Reference"), ("tags", "Tags"),
                              ("reports", "Reports"), ("dedupPeriodMinutes", "DedupPeriodMinutes"),
                              ("threshold", "Threshold"), ("outputIDs", "OutputIds"),
                              ("summaryAttributes", "SummaryAttributes")):
        if body.get(api_key) not in (None, "", []):
            spec[spec_key] = body[api_key]
    if kind == "rule":
        spec["LogTypes"] = body.get("logTypes") or []
        if body.get("inlineFilters"):
            try:
                spec["InlineFilters"] = yaml.safe_load(str(body["inlineFilters"]))
            except yaml.YAMLError as exc:
                raise HTTPException(400, f"inlineFilters is not YAML: {exc}") from None
    else:
        spec["ResourceTypes"] = body.get("resourceTypes") or []
        if body.get("suppressions"):
            spec["Suppressions"] = body["suppressions"]
    tests = body.get("tests") or []
    if not isinstance(tests, list) or not all(isinstance(test, dict) for test in tests):
        raise HTTPException(400, "tests must be a list of objects with name, expectedResult and resource")
    spec["Tests"] = [_test(kind, test) for test in tests]
    return spec


def _test(kind: str, test: dict[str, Any]) -> dict[str, Any]:
    try:
        resource = json.loads(str(test.get("resource") or "{}"))
    except json.JSONDecodeError as exc:
        raise HTTPException(400, f"test {test.get('name')!r}: resource is not JSON ({exc})") from None
    case = {"Name": test.get("name") or "unnamed", "ExpectedResult": bool(test.get("expectedResult")),
            ("Log" if kind == "rule" else "Resource"): resource}
    if isinstance(test.get("mocks"), list):
        case["Mocks"] = [{"objectName": m.get("objectName"), "returnValue": m.get("returnValue")}
                         for m in test["mocks"] if isinstance(m, dict)]
    return case


def _link_shared_content(server: Any, folder: Path) -> None:
    """Global helpers and data models of the server's content, which the detection may import or use."""
    for number, content in enumerate(server.content.sets):
        for item in content.items:
            if item.kind not in ("global", "datamodel"):
                continue
            kind_folder = "global_helpers" if item.kind == "global" else "data_models"  # where discovery looks
            target = folder / kind_folder / f"{number}-{item.path.stem}"
            target.mkdir(parents=True, exist_ok=True)
            (target / item.path.name).symlink_to(item.path.resolve())
            if item.python_path is not None and item.python_path.exists():
                (target / item.python_path.name).symlink_to(item.python_path.resolve())


def _run_tests(server: Any, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    spec = _spec(kind, body)
    with tempfile.TemporaryDirectory(prefix="onca-detection-test-") as tmp:
        folder = Path(tmp)
        _link_shared_content(server, folder)
        home = folder / ("rules" if kind == "rule" else "policies")
        home.mkdir()
        (home / "detection.yml").write_text(yaml.safe_dump(spec, sort_keys=False))
        (home / "detection.py").write_text(str(body.get("body") or ""))
        key = "RuleID" if kind == "rule" else "PolicyID"
        command = [sys.executable, "-m", "onca.cli.main", "test", str(folder), "--json", "--jobs", "1",
                   "--filter", f"{key}={spec[key]}"]
        try:
            finished = subprocess.run(command, capture_output=True, text=True, timeout=TEST_TIMEOUT_SECONDS,
                                      cwd=folder)
        except subprocess.TimeoutExpired:
            raise HTTPException(400, f"the tests did not finish within {TEST_TIMEOUT_SECONDS}s") from None
    try:
        report = json.loads(finished.stdout)
    except json.JSONDecodeError:
        raise HTTPException(500, f"the test runner failed: {finished.stderr.strip()[-2000:]}") from None
    if not report.get("detections") and not report.get("invalid"):
        raise HTTPException(500, f"the test runner did not find detection {spec[key]!r}")
    return report


def _test_records(report: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    records, problems = [], [str(p.get("message", p)) for p in report.get("invalid") or []]
    for detection in report.get("detections") or []:
        problems += [str(p.get("message", p)) if isinstance(p, dict) else str(p) for p in detection.get("problems")
                     or []]
        for case in detection.get("cases") or []:
            functions = {}
            for function in case.get("functions") or []:
                name = _FUNCTIONS.get(function.get("name"), function.get("name"))
                error = function.get("error")
                functions[name] = {"output": function.get("output"),
                                   "error": {"message": str(error)} if error else None}
            errored = any(f["error"] for f in functions.values())
            records.append({"name": case.get("name"), "passed": case.get("status") == "passed",
                            "errored": errored, "triggerAlert": case.get("matcher_output") is True,
                            "error": {"message": case["message"]} if case.get("message") else None,
                            "functions": functions})
    return records, problems


async def _tests_only(kind: str, body: dict[str, Any], request: Request, run_tests_only: bool) -> Response:
    if not run_tests_only:
        raise HTTPException(400, "detections are managed as content files on this server; send "
                                 "run-tests-only=true to test one without saving it")
    report = await asyncio.to_thread(_run_tests, request.app.state.server, kind, body)
    records, problems = _test_records(report)
    if report.get("ok") and not problems:
        return Response(status_code=204)
    failed = [r["name"] for r in records if not r["passed"]]
    message = "; ".join(problems) or f"{len(failed)} of {len(records)} tests failed: {', '.join(failed)}"
    return JSONResponse({"message": message, "testResults": records}, status_code=400)


@router.post("/rules", summary="Test a rule (run-tests-only=true)", status_code=204)
async def test_rule(body: DetectionBody, request: Request,
                    principal: Annotated[Principal, Depends(requires("RuleModify"))],
                    run_tests_only: Annotated[bool, Query(alias="run-tests-only")] = False) -> Response:
    return await _tests_only("rule", body, request, run_tests_only)


@router.post("/policies", summary="Test a policy (run-tests-only=true)", status_code=204)
async def test_policy(body: DetectionBody, request: Request,
                      principal: Annotated[Principal, Depends(requires("PolicyModify"))],
                      run_tests_only: Annotated[bool, Query(alias="run-tests-only")] = False) -> Response:
    return await _tests_only("policy", body, request, run_tests_only)
