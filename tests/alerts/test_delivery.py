"""The dispatcher against real HTTP receivers on loopback."""

import asyncio
import random
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest
from loopback import Receiver

from onca.alerts import delivery
from onca.alerts.config import DestinationSet, parse_destinations
from onca.alerts.delivery import AttemptRecord, Dispatcher, backoff_delay, deliver_once
from onca.alerts.destinations import DeliveryResult, Destination, DestinationConfig
from onca.alerts.model import Alert
from onca.alerts.sample import sample_alert


T0 = datetime(2024, 5, 14, 9, 30, tzinfo=UTC)
ALERT = Alert(id="alert-1", type="rule", detection_id="Test.Rule", title="something happened",
              severity="HIGH", created_at=T0, first_event_time=T0, last_event_time=T0,
              log_types=("AWS.CloudTrail",))


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A loopback port that accepts connections (the kernel's backlog) but never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


class Recorder:
    def __init__(self) -> None:
        self.records: list[AttemptRecord] = []
        self._lock = threading.Lock()

    def __call__(self, records: list[AttemptRecord]) -> None:
        with self._lock:
            self.records.extend(records)

    def for_(self, name: str) -> list[AttemptRecord]:
        return [r for r in self.records if r.destination_name == name]


def hooks(*entries: tuple[str, str] | tuple[str, str, dict]) -> DestinationSet:
    return parse_destinations([{"kind": "webhook", "name": e[0], "url": e[1], **(e[2] if len(e) > 2 else {})}
                               for e in entries], env={})


def dispatcher(destinations: DestinationSet, recorder: Recorder, **options) -> Dispatcher:
    options = {"base_delay": 0.01, "max_delay": 0.05, "rng": random.Random(7), **options}
    return Dispatcher(destinations, on_attempts=recorder, **options)


def test_delivery_retries_server_errors_then_succeeds(receiver):
    receiver.respond(500, "down", times=2)
    destinations = hooks(("hook", receiver.url + "/in", {"id": "hook-id"}))
    recorder = Recorder()

    with dispatcher(destinations, recorder) as d:
        assert d.submit(ALERT, list(destinations)) == 1
        assert d.drain(timeout=30)
        assert d.metrics() == {"sent": 1, "failed": 0, "retried": 2, "pending": 0}

    assert [r.attempt for r in recorder.records] == [1, 2, 3]
    assert [r.result.status_code for r in recorder.records] == [500, 500, 200]
    assert [r.will_retry for r in recorder.records] == [True, True, False]
    assert recorder.records[0].result.response == "down"
    identities = {(r.alert_id, r.destination_name, r.destination_id, r.destination_kind)
                  for r in recorder.records}
    assert identities == {("alert-1", "hook", "hook-id", "webhook")}
    assert all(r.started_at <= r.finished_at for r in recorder.records)
    assert 0 <= recorder.records[0].retry_in_seconds <= 0.01
    assert 0 <= recorder.records[1].retry_in_seconds <= 0.02
    assert recorder.records[2].retry_in_seconds == 0
    assert len(receiver.requests) == 3
    assert receiver.requests[0].json()["alertId"] == "alert-1"


def test_delivery_client_error_is_not_retried(receiver):
    receiver.respond(400, {"error": "bad payload"})
    destinations = hooks(("hook", receiver.url))
    recorder = Recorder()

    with dispatcher(destinations, recorder) as d:
        d.submit(ALERT, ["hook"])
        assert d.drain(timeout=30)
        assert (d.sent, d.failed, d.retried, d.pending) == (0, 1, 0, 0)

    [record] = recorder.records
    assert not record.result.ok and not record.will_retry and record.result.status_code == 400
    assert len(receiver.requests) == 1


def test_delivery_timeouts_are_retried_until_attempts_run_out(silent_url):
    destinations = hooks(("slow", silent_url, {"timeout_seconds": 0.2}))
    recorder = Recorder()

    with dispatcher(destinations, recorder, max_attempts=3) as d:
        d.submit(ALERT, list(destinations))
        assert d.drain(timeout=60)
        assert d.metrics() == {"sent": 0, "failed": 1, "retried": 2, "pending": 0}

    assert [r.attempt for r in recorder.records] == [1, 2, 3]
    assert all(r.result.retryable and "Timeout" in r.result.error for r in recorder.records)
    assert [r.will_retry for r in recorder.records] == [True, True, False]


def test_delivery_gives_up_after_max_attempts(receiver):
    receiver.respond(503, "busy")
    destinations = hooks(("hook", receiver.url))
    recorder = Recorder()

    with dispatcher(destinations, recorder, max_attempts=4) as d:
        d.submit(ALERT, list(destinations))
        assert d.drain(timeout=30)
        assert (d.sent, d.failed, d.retried) == (0, 1, 3)

    assert len(receiver.requests) == 4 and len(recorder.records) == 4


def test_delivery_sends_to_every_target_independently(receiver):
    other = Receiver()
    other.start()
    try:
        other.respond(400, "no")
        destinations = hooks(("good", receiver.url), ("bad", other.url))
        recorder = Recorder()
        with dispatcher(destinations, recorder) as d:
            d.submit(ALERT, list(destinations))
            d.submit(ALERT, ["good"])
            assert d.drain(timeout=30)
            assert (d.sent, d.failed) == (2, 1)
        assert len(receiver.requests) == 2 and len(other.requests) == 1
        assert [r.result.ok for r in recorder.for_("bad")] == [False]
    finally:
        other.stop()


class ExplodingConfig(DestinationConfig):
    pass


class ExplodingDestination(Destination):
    kind = "exploding"
    config_model = ExplodingConfig

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> DeliveryResult:
        raise RuntimeError("bug in the destination")


class HangingDestination(Destination):
    kind = "hanging"
    config_model = ExplodingConfig

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> DeliveryResult:
        await asyncio.Event().wait()  # never set
        raise AssertionError("unreachable")


def test_delivery_destination_that_raises_is_a_final_failure_and_the_loop_goes_on(receiver):
    broken = ExplodingDestination(ExplodingConfig(name="broken"))
    good = hooks(("good", receiver.url))["good"]
    recorder = Recorder()

    with dispatcher(DestinationSet([broken, good]), recorder) as d:
        d.submit(ALERT, [broken])
        assert d.drain(timeout=30)
        d.submit(ALERT, [good])
        assert d.drain(timeout=30)
        assert (d.sent, d.failed, d.retried) == (1, 1, 0)

    [failure] = recorder.for_("broken")
    assert not failure.result.ok and not failure.result.retryable and not failure.will_retry
    assert failure.result.error == "the destination raised RuntimeError: bug in the destination"
    assert failure.destination_kind == "exploding"
    assert [r.result.ok for r in recorder.for_("good")] == [True]


def test_delivery_attempt_that_never_ends_is_abandoned_as_transient(monkeypatch):
    monkeypatch.setattr(delivery, "ATTEMPT_LIMIT_MARGIN_SECONDS", 0.0)
    hanging = HangingDestination(ExplodingConfig(name="hanging", timeout_seconds=0.02))
    recorder = Recorder()

    with dispatcher(DestinationSet([hanging]), recorder, max_attempts=2) as d:
        d.submit(ALERT, [hanging])
        assert d.drain(timeout=30)

    assert [r.result.retryable for r in recorder.records] == [True, True]
    assert "TimeoutError: the attempt took longer than 0.06 seconds" == recorder.records[0].result.error


def test_delivery_failing_listener_does_not_stop_deliveries(receiver):
    receiver.respond(500, "x", times=1)
    destinations = hooks(("hook", receiver.url))
    seen = []

    def listener(records: list[AttemptRecord]) -> None:
        seen.extend(record.attempt for record in records)
        raise ValueError("listener bug")

    with Dispatcher(destinations, on_attempts=listener, base_delay=0.01) as d:
        d.submit(ALERT, list(destinations))
        assert d.drain(timeout=30)
        assert d.sent == 1

    assert seen == [1, 2]


def test_delivery_reports_every_attempt_before_drain_returns(receiver):
    destinations = hooks(("hook", receiver.url))
    calls: list[list[str]] = []
    with Dispatcher(destinations, on_attempts=lambda records: calls.append([r.alert_id for r in records])) as d:
        for n in range(40):
            d.submit(replace(ALERT, id=f"alert-{n}"), list(destinations))
        assert d.drain(timeout=30)
        reported = {a for call in calls for a in call}  # every delivery's attempts, once drain has returned
        assert d.sent == 40

    assert reported == {f"alert-{n}" for n in range(40)}


def test_delivery_listener_failing_on_one_record_still_gets_the_others(receiver):
    destinations = hooks(("hook", receiver.url))
    kept: list[str] = []

    def listener(records: list[AttemptRecord]) -> None:
        if any(r.alert_id == "alert-bad" for r in records):
            raise ValueError("no such alert")
        kept.extend(r.alert_id for r in records)

    with Dispatcher(destinations, on_attempts=listener) as d:
        for name in ("alert-a", "alert-bad", "alert-b"):
            d.submit(replace(ALERT, id=name), list(destinations))
        assert d.drain(timeout=30)
        assert d.sent == 3

    assert sorted(kept) == ["alert-a", "alert-b"]


def test_delivery_close_abandons_what_is_still_running(silent_url):
    destinations = hooks(("slow", silent_url, {"timeout_seconds": 30}))
    recorder = Recorder()
    d = dispatcher(destinations, recorder)

    d.submit(ALERT, list(destinations))
    assert d.pending == 1  # submit returned while the service has not answered
    assert not d.drain(timeout=0.05)
    assert d.close() is False

    assert d.metrics() == {"sent": 0, "failed": 1, "retried": 0, "pending": 0}
    assert recorder.records == []  # the attempt never ended, so none is recorded
    with pytest.raises(RuntimeError, match="closed"):
        d.submit(ALERT, list(destinations))


def test_delivery_submit_checks_names_and_ignores_empty_targets(receiver):
    destinations = hooks(("hook", receiver.url))
    with dispatcher(destinations, Recorder()) as d:
        with pytest.raises(KeyError, match="nope"):
            d.submit(ALERT, ["nope"])
        assert d.submit(ALERT, []) == 0
        assert d.submit(ALERT, ["hook", destinations["hook"]]) == 1  # the same destination once
        assert d.drain(timeout=30)
    assert len(receiver.requests) == 1


def test_delivery_dispatcher_rejects_bad_settings():
    with pytest.raises(ValueError, match="max_attempts"):
        Dispatcher(DestinationSet(), max_attempts=0)
    with pytest.raises(ValueError, match="negative"):
        Dispatcher(DestinationSet(), base_delay=-1)


def test_delivery_drain_with_nothing_submitted_returns_at_once():
    d = Dispatcher(DestinationSet())
    assert d.drain(timeout=0) and d.close()


class Ceiling(random.Random):
    """Always draws the top of the range, exposing the backoff ceiling."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_backoff_is_exponential_capped_and_jittered():
    ceilings = [backoff_delay(n, base_delay=1.0, max_delay=60.0, rng=Ceiling()) for n in range(1, 9)]
    assert ceilings == [1, 2, 4, 8, 16, 32, 60, 60]

    rng = random.Random(1)
    draws = [backoff_delay(3, base_delay=1.0, max_delay=60.0, rng=rng) for _ in range(200)]
    assert all(0 <= x <= 4 for x in draws)
    assert len(set(draws)) == 200  # jittered, not one fixed delay


def test_deliver_once_sends_the_sample_alert(receiver):
    destination = hooks(("hook", receiver.url + "/test"))["hook"]
    alert = sample_alert(console_url="https://onca.example.com/")

    result = deliver_once(alert, destination)

    assert result.ok and result.status_code == 200
    body = receiver.requests[0].json()
    assert body["alertId"] == alert.id and body["title"].startswith("Onca test alert")
    assert body["link"] == f"https://onca.example.com/alerts/{alert.id}"
    assert receiver.requests[0].headers["user-agent"].startswith("Onca/")


def test_deliver_once_reports_a_raising_destination():
    result = deliver_once(ALERT, ExplodingDestination(ExplodingConfig(name="broken")))

    assert not result.ok and "RuntimeError" in result.error


def test_attempt_record_to_dict_is_json_ready(receiver):
    destinations = hooks(("hook", receiver.url))
    recorder = Recorder()
    with dispatcher(destinations, recorder) as d:
        d.submit(ALERT, ["hook"])
        assert d.drain(timeout=30)

    data = recorder.records[0].to_dict()
    assert data["alertId"] == "alert-1" and data["destination"] == "hook" and data["kind"] == "webhook"
    assert data["ok"] is True and data["statusCode"] == 200 and data["willRetry"] is False
    assert data["startedAt"].endswith("Z")
