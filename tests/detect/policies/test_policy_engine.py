"""PolicyEngine: which policies apply, PASS / FAIL / ERROR, compliance transitions and their findings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from onca.detect.policies import (
    ComplianceRecord,
    ComplianceState,
    MemoryComplianceState,
    PolicyEngine,
    ResourceError,
)
from onca.detect.runner import Detection, DetectionKind

Bucket = Callable[..., dict[str, Any]]


def by_policy(results: list[Any]) -> dict[str, Any]:
    return {r.policy_id: r for r in results}


def test_policy_engine_applies_policies_by_resource_type(engine: PolicyEngine, bucket: Bucket) -> None:
    assert sorted(d.id for d in engine.policies_for("AWS.S3.Bucket")) == ["Any.Tagged", "S3.Versioning"]
    assert [d.id for d in engine.policies_for("AWS.IAM.User")] == ["Any.Tagged"]  # lists no ResourceTypes
    user = {"ResourceType": "AWS.IAM.User", "ResourceId": "arn:aws:iam::1:user/ann", "Tags": {}}
    (result,) = engine.evaluate([user])
    assert (result.policy_id, result.resource_type, result.status) == ("Any.Tagged", "AWS.IAM.User", "FAIL")
    assert {r.policy_id for r in engine.evaluate([bucket("logs")])} == {"S3.Versioning", "Any.Tagged"}


def test_policy_engine_pass_fail_and_the_failure_finding(engine: PolicyEngine, bucket: Bucket) -> None:
    results = engine.evaluate([bucket("logs", "Suspended"), bucket("data")])
    versioning = [(r.resource_id, r.status) for r in results if r.policy_id == "S3.Versioning"]
    assert versioning == [("arn:aws:s3:::logs", "FAIL"), ("arn:aws:s3:::data", "PASS")]
    failed = by_policy(engine.evaluate([bucket("public", None, Public=True)]))["S3.Versioning"]
    assert failed.status == "FAIL" and failed.previous_status is None
    finding = failed.finding
    assert finding is not None
    assert (finding.kind, finding.detection_type, finding.detection_id) == ("match", "policy", "S3.Versioning")
    assert finding.title == "Versioning is off on public"
    assert finding.dedup == "arn:aws:s3:::public"  # one alert per resource
    assert finding.severity == "HIGH"  # severity() raised it from the spec's Medium
    assert finding.alert_context == {"bucket": "public", "account": "123456789012"}
    assert finding.destinations == ("security-pager",)
    assert finding.destination_overrides == ("ops-slack",)
    assert finding.log_type == "AWS.S3.Bucket"
    assert finding.event["ResourceId"] == "arn:aws:s3:::public"
    assert (finding.runbook, finding.detection_name) == ("Turn on versioning.", "S3 bucket versioning")
    assert finding.description == "Buckets keep old versions of objects."
    assert finding.tags == ("AWS", "Data Protection") and finding.reports == {"CIS": ["2.1.3"]}
    quiet = by_policy(engine.evaluate([bucket("quiet", "Suspended")]))["S3.Versioning"].finding
    assert quiet is not None and (quiet.severity, quiet.destinations) == ("MEDIUM", ())


def test_policy_engine_pass_has_no_finding(engine: PolicyEngine, bucket: Bucket) -> None:
    results = engine.evaluate([bucket("logs")])
    assert [(r.status, r.finding) for r in results] == [("PASS", None), ("PASS", None)]


def test_policy_engine_transitions(engine: PolicyEngine, bucket: Bucket) -> None:
    def versioning(status: str) -> Any:
        return by_policy(engine.evaluate([bucket("logs", status)]))["S3.Versioning"]

    first = versioning("Suspended")
    assert (first.status, first.previous_status, first.finding is not None) == ("FAIL", None, True)
    again = versioning("Suspended")
    assert (again.status, again.previous_status, again.finding) == ("FAIL", "FAIL", None)
    fixed = versioning("Enabled")
    assert (fixed.status, fixed.previous_status, fixed.finding) == ("PASS", "FAIL", None)
    broken = versioning("Suspended")
    assert (broken.status, broken.previous_status, broken.finding is not None) == ("FAIL", "PASS", True)
    assert engine.state.get("S3.Versioning", "arn:aws:s3:::logs") == "FAIL"


def test_policy_engine_error_is_recorded_with_an_error_finding(engine: PolicyEngine, bucket: Bucket) -> None:
    broken = bucket("logs")
    del broken["Tags"]  # Any.Tagged reads resource["Tags"]
    result = by_policy(engine.evaluate([broken]))["Any.Tagged"]
    assert result.status == "ERROR"
    assert result.error == "policy: KeyError: 'Tags'"
    assert result.finding is not None
    assert (result.finding.kind, result.finding.error, result.finding.dedup) == (
        "error", "policy: KeyError: 'Tags'", "arn:aws:s3:::logs"
    )
    assert engine.state.get("Any.Tagged", "arn:aws:s3:::logs") == "ERROR"
    # After an ERROR, a FAIL is new again.
    untagged = by_policy(engine.evaluate([bucket("logs", Tags={})]))["Any.Tagged"]
    assert (untagged.status, untagged.previous_status, untagged.finding is not None) == ("FAIL", "ERROR", True)


def test_policy_engine_non_boolean_result_is_an_error(engine: PolicyEngine, bucket: Bucket) -> None:
    result = by_policy(engine.evaluate([bucket("logs", Tags=["owner"])]))["Any.Tagged"]
    assert result.status == "ERROR"
    assert "returned [str], expected [bool]" in result.error


def test_policy_engine_suppressions_skip_matching_resource_ids(engine: PolicyEngine, bucket: Bucket) -> None:
    results = engine.evaluate([bucket("scratch-1", "Suspended"), bucket("scratchpad", "Suspended")])
    versioning = [(r.resource_id, r.status) for r in results if r.policy_id == "S3.Versioning"]
    assert versioning == [("arn:aws:s3:::scratchpad", "FAIL")]
    assert engine.state.get("S3.Versioning", "arn:aws:s3:::scratch-1") is None
    # Other policies still see the suppressed resource.
    assert any(r.policy_id == "Any.Tagged" and r.resource_id.endswith("scratch-1") for r in results)


def test_policy_engine_dedup_function_overrides_resource_id(engine: PolicyEngine) -> None:
    key = {"ResourceType": "AWS.KMS.Key", "ResourceId": "arn:aws:kms:us-east-1:1:key/k", "AccountId": "1",
           "Tags": {"owner": "x"}}
    result = by_policy(engine.evaluate([key]))["KMS.Rotation"]
    assert result.finding is not None
    assert result.finding.dedup == "account 1"
    assert result.finding.title == "KMS.Rotation failed on arn:aws:kms:us-east-1:1:key/k"
    assert result.finding.severity == "LOW"


def test_policy_engine_policies_cannot_change_the_resource(engine: PolicyEngine, bucket: Bucket) -> None:
    resource = bucket("logs", "Suspended")
    results = engine.evaluate([resource])
    assert resource["Tags"] == {"owner": "data"}
    finding = by_policy(results)["S3.Versioning"].finding
    assert finding is not None and finding.event["Tags"] == {"owner": "data"}


def test_policy_engine_bad_resources_are_reported_and_skipped(engine: PolicyEngine, bucket: Bucket) -> None:
    problems: list[tuple[int, str]] = []
    resources: list[Any] = [
        {"ResourceId": "x"},
        bucket("good"),
        ["not", "an", "object"],
        {"ResourceType": "AWS.S3.Bucket", "ResourceId": ""},
    ]
    results = engine.evaluate(resources, on_problem=lambda index, error: problems.append((index, str(error))))
    assert {r.resource_id for r in results} == {"arn:aws:s3:::good"}
    assert problems == [
        (0, "ResourceType is missing"),
        (2, "a resource must be a JSON object, got an array"),
        (3, "ResourceId must be a non-empty string, got ''"),
    ]
    with pytest.raises(ResourceError, match="ResourceId is missing"):
        engine.evaluate_resource({"ResourceType": "AWS.S3.Bucket"})


def test_policy_engine_takes_only_policies(policies: list[Detection]) -> None:
    rule = Detection(id="Some.Rule", kind=DetectionKind.RULE)
    with pytest.raises(ValueError, match="Some.Rule is a rule, not a policy"):
        PolicyEngine([*policies, rule], MemoryComplianceState())
    with pytest.raises(ValueError, match="given twice"):
        PolicyEngine([policies[0], policies[0]], MemoryComplianceState())


def test_policy_engine_times_out_a_hanging_policy(content_tree: Callable[[dict[str, str]], Any]) -> None:
    from onca.detect.policies import load_policies

    root = content_tree({
        "hang.yml": "AnalysisType: policy\nPolicyID: Hangs\nEnabled: true\nFilename: hang.py\nSeverity: Low\n",
        "hang.py": "def policy(resource):\n    while True:\n        pass\n",
    })
    loaded, problems = load_policies([root])
    assert problems == []
    engine = PolicyEngine(loaded, MemoryComplianceState(), timeout=0.2)
    (result,) = engine.evaluate([{"ResourceType": "T", "ResourceId": "r"}])
    assert result.status == "ERROR" and "Hangs" in result.error


def test_memory_compliance_state_is_a_compliance_state() -> None:
    state = MemoryComplianceState()
    assert isinstance(state, ComplianceState)
    record = ComplianceRecord("P", "r", "T", "FAIL", evaluated_at=__import__("datetime").datetime(2025, 1, 1))
    assert state.put(record) is None
    assert state.put(record) == "FAIL"
    assert state.get("P", "r") == "FAIL" and state.get("P", "other") is None
    assert state.records() == [record]
