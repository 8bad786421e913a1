"""Shared fixtures for destination tests: a real HTTP receiver on loopback and a realistic alert.

`receiver` records every request it gets and answers with whatever the test asked for:

    def test_x(receiver, sample_alert, deliver):
        receiver.respond(500, b"upstream down")           # every following request gets 500
        receiver.respond(202, {"status": "ok"}, times=1)  # ... except the next one, which gets 202 + JSON
        result = deliver(SomeDestination(config), sample_alert)
        request = receiver.requests[0]
        assert request.method == "POST" and request.path_only == "/hook"
        assert request.headers["content-type"] == "application/json"   # header names are case-insensitive
        assert request.json() == {...}
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from onca.alerts.delivery import new_client
from onca.alerts.destinations import DeliveryResult, Destination
from onca.alerts.model import Alert


@pytest.fixture
def refused_url() -> str:
    """A loopback base URL nothing listens on, so connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def _tls_context() -> ssl.SSLContext:
    # building a verifying context is most of the cost of a new client; one per run is enough
    return ssl.create_default_context()


@pytest.fixture
def deliver(_tls_context: ssl.SSLContext) -> Callable[[Destination, Alert], DeliveryResult]:
    """Send one alert through a destination with a fresh client of the kind the dispatcher uses."""

    def run(destination: Destination, alert: Alert) -> DeliveryResult:
        async def send() -> DeliveryResult:
            async with new_client(verify=_tls_context) as client:
                return await destination.send(alert, client)

        return asyncio.run(send())

    return run


@pytest.fixture
def sample_alert() -> Alert:
    return Alert(
        id="7c9e4b1f2a6d4e8f9b0c1d2e3f405162",
        type="rule",
        detection_id="AWS.Console.RootLogin",
        detection_name="Root Console Login",
        detection_version="3",
        title="AWS root login detected from [198.51.100.23]",
        severity="HIGH",
        created_at=datetime(2024, 5, 14, 9, 31, 7, tzinfo=UTC),
        first_event_time=datetime(2024, 5, 14, 9, 28, 41, tzinfo=UTC),
        last_event_time=datetime(2024, 5, 14, 9, 30, 55, tzinfo=UTC),
        dedup="198.51.100.23",
        event_count=3,
        log_types=("AWS.CloudTrail",),
        description="The root account signed in to the AWS console. Root is for break-glass tasks only.",
        runbook="Confirm with the account owner; if unexpected, rotate the root password, review CloudTrail.",
        reference="https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html",
        tags=("AWS", "Identity & Access Management", "Privilege Escalation"),
        reports={"MITRE ATT&CK": ["TA0004:T1078"]},
        alert_context={"sourceIPAddress": "198.51.100.23", "userAgent": "Mozilla/5.0",
                       "recipientAccountId": "123456789012", "mfaUsed": "No"},
        sample_event={"eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com",
                      "sourceIPAddress": "198.51.100.23", "userIdentity": {"type": "Root"},
                      "p_log_type": "AWS.CloudTrail", "p_event_time": "2024-05-14 09:28:41.000"},
        url="https://onca.example.com/alerts/7c9e4b1f2a6d4e8f9b0c1d2e3f405162",
    )
