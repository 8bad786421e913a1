"""Running a detection's unit tests for the API, as Panther's ``run-tests-only`` and ``run-tests-first``: the
detection in the request is tested against the server's global helpers and data models. 400 with
``testResults`` (Panther's shape) when a test fails.

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
from typing import Any

import yaml
from fastapi import HTTPException, Response
from fastapi.responses import JSONResponse

from onca.api.detection_specs import ItemSpec
from onca.detect.content.managed import FOLDERS

TEST_TIMEOUT_SECONDS = 120
_FUNCTIONS = {"rule": "detection", "policy": "detection", "title": "title", "dedup": "dedup",
              "alert_context": "alertContext", "severity": "severity", "description": "description",
              "reference": "reference", "runbook": "runbook", "destinations": "destinations"}


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


def run_tests(server: Any, item: ItemSpec) -> dict[str, Any]:
    """``onca test``'s JSON report for one item, run beside the server's helpers and data models."""
    spec, key = item.spec, item.id_key
    with tempfile.TemporaryDirectory(prefix="onca-detection-test-") as tmp:
        folder = Path(tmp)
        _link_shared_content(server, folder)
        home = folder / FOLDERS[spec["AnalysisType"]]
        home.mkdir(exist_ok=True)
        spec = dict(spec)
        if item.code is not None:
            spec["Filename"] = "detection.py"
            (home / "detection.py").write_text(item.code)
        (home / "detection.yml").write_text(yaml.safe_dump(spec, sort_keys=False))
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
        raise HTTPException(500, f"the test runner did not find {spec[key]!r}")
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


async def tested(server: Any, item: ItemSpec) -> Response | None:
    """None when every test of ``item`` passes; else the 400 answer with each test's result."""
    report = await asyncio.to_thread(run_tests, server, item)
    records, problems = _test_records(report)
    if report.get("ok") and not problems:
        return None
    failed = [r["name"] for r in records if not r["passed"]]
    message = "; ".join(problems) or f"{len(failed)} of {len(records)} tests failed: {', '.join(failed)}"
    return JSONResponse({"message": message, "testResults": records}, status_code=400)
