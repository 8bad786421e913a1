"""Policies: panther-analysis policies evaluated on cloud resource snapshots, with compliance state.

``PolicyEngine`` runs each applicable policy on a resource and records PASS / FAIL / ERROR in a
``ComplianceState``; a resource that starts failing yields a Finding for the alert manager. See
docs/policies.md.
"""

from onca.detect.policies.engine import PolicyEngine
from onca.detect.policies.files import FileEvaluation, evaluate_file
from onca.detect.policies.load import load_policies
from onca.detect.policies.model import ERROR, FAIL, PASS, STATUSES, ComplianceRecord, PolicyResult, PolicyStatus
from onca.detect.policies.resources import ResourceError, ResourceFileError, read_resources, resource_identity
from onca.detect.policies.state import ComplianceState, MemoryComplianceState

__all__ = [
    "ERROR",
    "FAIL",
    "PASS",
    "STATUSES",
    "ComplianceRecord",
    "ComplianceState",
    "FileEvaluation",
    "MemoryComplianceState",
    "PolicyEngine",
    "PolicyResult",
    "PolicyStatus",
    "ResourceError",
    "ResourceFileError",
    "evaluate_file",
    "load_policies",
    "read_resources",
    "resource_identity",
]
