"""Building store records for tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from onca.store import AlertRecord, new_id

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def sample_alert(**changes: Any) -> AlertRecord:
    created = changes.pop("created_at", T0)
    record = AlertRecord(
        id=new_id(), detection_id="AWS.Root.Login", type="rule", title="Root login from 1.2.3.4",
        severity="HIGH", status="open", created_at=created, updated_at=created, update_time=created,
        first_event_time=created - timedelta(minutes=2), last_event_time=created - timedelta(minutes=1),
        dedup="root-1.2.3.4", detection_version="v3", detection_name="Root Login", event_count=1,
        log_types=("AWS.CloudTrail",), alert_context={"ip": "1.2.3.4", "nested": {"n": [1, 2]}},
        description="Someone used the root account.", runbook="Call the owner.", reference="https://example.com",
        tags=("AWS", "Identity"), reports={"MITRE ATT&CK": ["TA0004:T1078"]},
        sample_event={"p_log_type": "AWS.CloudTrail", "eventName": "ConsoleLogin"},
    )
    return replace(record, **changes)
