"""evaluate_file: JSON arrays, single objects and NDJSON of resources, with a problem per bad line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from onca.detect.policies import PolicyEngine, ResourceFileError, evaluate_file

Bucket = Callable[..., dict[str, Any]]


def test_evaluate_file_json_array(engine: PolicyEngine, bucket: Bucket, tmp_path: Path) -> None:
    path = tmp_path / "resources.json"
    path.write_text(json.dumps([bucket("logs", "Suspended"), bucket("data"), {"ResourceId": "x"}], indent=2))
    evaluation = evaluate_file(path, engine)
    assert evaluation.resources == 2
    assert [(r.resource_id, r.policy_id) for r in evaluation.new_failures] == [
        ("arn:aws:s3:::logs", "S3.Versioning")
    ]
    assert evaluation.problems == [f"{path}: item 3: ResourceType is missing"]


def test_evaluate_file_ndjson_keeps_going_past_bad_lines(
    engine: PolicyEngine, bucket: Bucket, tmp_path: Path
) -> None:
    path = tmp_path / "resources.ndjson"
    lines = [json.dumps(bucket("a", "Suspended")), "{not json", "", json.dumps([1]), json.dumps(bucket("b"))]
    path.write_text("\n".join(lines) + "\n")
    evaluation = evaluate_file(path, engine)
    assert evaluation.resources == 2
    assert {r.resource_id for r in evaluation.results} == {"arn:aws:s3:::a", "arn:aws:s3:::b"}
    assert len(evaluation.problems) == 2
    assert evaluation.problems[0].startswith(f"{path}:2: invalid JSON: ")
    assert evaluation.problems[1] == f"{path}:4: a resource must be a JSON object, got an array"


def test_evaluate_file_single_pretty_printed_object(engine: PolicyEngine, bucket: Bucket, tmp_path: Path) -> None:
    path = tmp_path / "bucket.json"
    path.write_text("\ufeff" + json.dumps(bucket("logs", "Suspended"), indent=2))
    evaluation = evaluate_file(path, engine)
    assert (evaluation.resources, evaluation.problems) == (1, [])
    assert len(evaluation.new_failures) == 1


def test_evaluate_file_unreadable_files(engine: PolicyEngine, tmp_path: Path) -> None:
    with pytest.raises(ResourceFileError, match="cannot read"):
        evaluate_file(tmp_path / "missing.json", engine)
    broken = tmp_path / "broken.json"
    broken.write_text('[{"ResourceType": "T", "ResourceId": "r"},')
    with pytest.raises(ResourceFileError, match=r"broken\.json: not a valid JSON array"):
        evaluate_file(broken, engine)
