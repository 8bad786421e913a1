"""The sample alert sent to try a destination: every field a message shows is set; it says it is a test."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from onca.alerts.model import Alert

SAMPLE_DETECTION_ID = "Onca.Destination.Test"


def sample_alert(*, now: datetime | None = None, console_url: str = "") -> Alert:
    """A test alert with a fresh id (so services that deduplicate by id still show each test)."""
    now = now or datetime.now(UTC)
    alert_id = uuid.uuid4().hex
    return Alert(
        id=alert_id,
        type="rule",
        detection_id=SAMPLE_DETECTION_ID,
        detection_name="Destination test",
        detection_version="1",
        title="Onca test alert: this destination is set up correctly",
        severity="INFO",
        created_at=now,
        first_event_time=now - timedelta(minutes=5),
        last_event_time=now - timedelta(minutes=1),
        dedup="onca-destination-test",
        event_count=1,
        log_types=("Onca.Test",),
        description="A sample alert sent to check that this destination receives Onca alerts. "
                    "No action is needed.",
        runbook="Nothing to do: this alert was sent on request to test the destination.",
        tags=("Test",),
        alert_context={"test": True, "sent_by": "onca destinations test"},
        sample_event={"p_log_type": "Onca.Test", "message": "sample event"},
        url=f"{console_url.rstrip('/')}/alerts/{alert_id}" if console_url else "",
    )
