"""What evaluating a policy on a resource produces, and what the compliance state remembers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from onca.detect.findings import Finding

PolicyStatus = Literal["PASS", "FAIL", "ERROR"]
PASS: PolicyStatus = "PASS"
FAIL: PolicyStatus = "FAIL"
ERROR: PolicyStatus = "ERROR"
STATUSES: tuple[PolicyStatus, ...] = (PASS, FAIL, ERROR)


@dataclass(frozen=True, slots=True)
class ComplianceRecord:
    """The latest status of one policy on one resource."""

    policy_id: str
    resource_id: str
    resource_type: str
    status: PolicyStatus
    evaluated_at: datetime
    error: str = ""  # for ERROR: "policy: <ExceptionType>: <message>"


@dataclass(frozen=True, slots=True)
class PolicyResult:
    """One policy run on one resource.

    ``finding`` is set for a new failure (the resource was not failing before: an alert-worthy match)
    and for every error (a finding of kind ``error``); a resource that keeps failing yields none.
    """

    policy_id: str
    resource_id: str
    resource_type: str
    status: PolicyStatus
    error: str = ""
    previous_status: str | None = None
    finding: Finding | None = None
