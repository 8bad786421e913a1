"""Delivering alerts: each (alert, destination) pair is sent in the background, retried while it may succeed.

`Dispatcher.submit` only queues work for an asyncio loop on a thread of its own, so detection never waits on a
slow service. Deliveries run concurrently over one shared HTTP client. A transient failure (the destination
says `retryable`) is tried again after a jittered, exponentially growing delay ("full jitter": a uniform draw
between zero and base * 2^(attempt-1), capped), so alerts failing together do not retry in lockstep. A final
failure, or the last allowed attempt, ends the delivery. Every attempt is reported to `on_attempts`, which is
how attempts reach the alert's delivery history: the attempts that end in the same turn of the loop are reported
together, so a busy dispatcher keeps them in one write rather than one each.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from onca import __version__
from onca.alerts.config import DestinationSet
from onca.alerts.destinations import DeliveryResult, Destination
from onca.alerts.http_transport import AiohttpTransport
from onca.alerts.document import iso_utc
from onca.alerts.model import Alert

log = logging.getLogger(__name__)

USER_AGENT = f"Onca/{__version__}"
# Destinations bound each request by their timeout, but one attempt may make several requests (a token, then
# the message). An attempt still running after this many timeouts, plus a margin, is abandoned as transient.
ATTEMPT_LIMIT_TIMEOUTS = 3
ATTEMPT_LIMIT_MARGIN_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One try at delivering one alert to one destination."""

    alert_id: str
    destination_name: str
    destination_id: str
    destination_kind: str
    attempt: int  # 1 for the first try
    started_at: datetime
    finished_at: datetime
    result: DeliveryResult
    will_retry: bool
    retry_in_seconds: float = 0.0  # the backoff before the next attempt, when there is one

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, as kept in an alert's delivery history."""
        return {
            "alertId": self.alert_id, "destination": self.destination_name,
            "destinationId": self.destination_id, "kind": self.destination_kind, "attempt": self.attempt,
            "startedAt": iso_utc(self.started_at), "finishedAt": iso_utc(self.finished_at),
            "ok": self.result.ok, "retryable": self.result.retryable, "statusCode": self.result.status_code,
            "response": self.result.response, "error": self.result.error,
            "willRetry": self.will_retry, "retryInSeconds": self.retry_in_seconds,
        }


def new_client(*, verify: ssl.SSLContext | bool = True) -> httpx.AsyncClient:
    """The HTTP client destinations send with; each request carries its destination's own timeout. Destinations
    use httpx's interface over aiohttp's connections (see onca.alerts.http_transport)."""
    return httpx.AsyncClient(transport=AiohttpTransport(verify=verify), headers={"User-Agent": USER_AGENT},
                             follow_redirects=False)


def backoff_delay(attempt: int, *, base_delay: float, max_delay: float, rng: random.Random) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based): full jitter under a capped exponential."""
    ceiling = min(max_delay, base_delay * 2 ** (attempt - 1))
    return rng.uniform(0.0, ceiling)


async def attempt_delivery(destination: Destination, alert: Alert,
                           client: httpx.AsyncClient) -> DeliveryResult:
    """One attempt; whatever goes wrong comes back as a DeliveryResult, never as an exception."""
    limit = destination.config.timeout_seconds * ATTEMPT_LIMIT_TIMEOUTS + ATTEMPT_LIMIT_MARGIN_SECONDS
    deadline = asyncio.timeout(limit)
    try:
        async with deadline:
            result = await destination.send(alert, client)
    except TimeoutError as exc:
        if deadline.expired():
            return DeliveryResult(ok=False, retryable=True,
                                  error=f"TimeoutError: the attempt took longer than {limit:g} seconds")
        return _raised(exc)
    except Exception as exc:  # noqa: BLE001 - a broken destination must not take the dispatcher down
        return _raised(exc)
    if not isinstance(result, DeliveryResult):
        return DeliveryResult(ok=False, error=f"the destination returned {type(result).__name__}, "
                                              "not a delivery result")
    return result


def _raised(exc: BaseException) -> DeliveryResult:
    # a destination reports failures as results; one that raises has a fault that retrying will not fix
    return DeliveryResult(ok=False, retryable=False,
                          error=f"the destination raised {type(exc).__name__}: {exc}")


def deliver_once(alert: Alert, destination: Destination) -> DeliveryResult:
    """Send one alert once, now, with no retries: for trying a destination out. Not for use inside an event
    loop; there, await `attempt_delivery` with a client of your own."""

    async def once() -> DeliveryResult:
        async with new_client() as client:
            return await attempt_delivery(destination, alert, client)

    return asyncio.run(once())


def _now() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    """Delivers alerts in the background with retries. Thread-safe; `on_attempts` runs on the dispatcher's own
    thread, so it should be quick and safe to call from there. A delivery counts as finished (see `drain`)
    once its attempts have been reported."""

    def __init__(self, destinations: DestinationSet, *,
                 on_attempts: Callable[[list[AttemptRecord]], None] | None = None, max_attempts: int = 6,
                 base_delay: float = 1.0, max_delay: float = 60.0, rng: random.Random | None = None,
                 max_in_flight: int = 64):
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {max_attempts}")
        if base_delay < 0 or max_delay < 0:
            raise ValueError("base_delay and max_delay must not be negative")
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be at least 1, not {max_in_flight}")
        self.destinations = destinations
        self.on_attempts = on_attempts
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.rng = rng or random.Random()
        self.max_in_flight = max_in_flight  # attempts running at once; the rest wait their turn
        self._lock = threading.Lock()  # starting, submitting, closing
        self._idle = threading.Condition()  # guards the counters; notified when a delivery ends
        self._pending = 0
        self._sent = self._failed = self._retried = 0
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None
        self._slots: asyncio.Semaphore | None = None
        self._unreported: list[AttemptRecord] = []  # loop thread only: attempts not yet reported
        self._ended: list[bool] = []  # loop thread only: deliveries ended since the last report (sent or not)
        self._report_due = False

    # counters
    @property
    def sent(self) -> int:
        """Deliveries that succeeded."""
        return self._sent

    @property
    def failed(self) -> int:
        """Deliveries given up: a final failure, attempts used up, or abandoned at close."""
        return self._failed

    @property
    def retried(self) -> int:
        """Attempts that failed transiently and were scheduled to be tried again."""
        return self._retried

    @property
    def pending(self) -> int:
        """Deliveries submitted and not yet finished."""
        return self._pending

    def metrics(self) -> dict[str, int]:
        with self._idle:
            return {"sent": self._sent, "failed": self._failed, "retried": self._retried,
                    "pending": self._pending}

    # submitting and waiting
    def submit(self, alert: Alert, targets: Iterable[Destination | str]) -> int:
        """Queue the alert for each target (a destination, or a configured name or id); returns how many
        deliveries were queued. Never waits on the network."""
        resolved: list[Destination] = []
        for target in targets:
            destination = self.destinations.get(target) if isinstance(target, str) else target
            if destination is None:
                raise KeyError(f"no destination is named or has the id {target!r}")
            if all(destination is not seen for seen in resolved):
                resolved.append(destination)
        if not resolved:
            return 0
        with self._lock:
            if self._closed:
                raise RuntimeError("the dispatcher is closed")
            loop = self._start()
            with self._idle:
                self._pending += len(resolved)
            for destination in resolved:
                # the id is taken now: a live set may rename or drop the destination while its retries go on
                loop.call_soon_threadsafe(self._spawn, alert, destination, self.destinations.id_of(destination))
        return len(resolved)

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every submitted delivery has finished; False if `timeout` seconds passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float | None = 0.0) -> bool:
        """Stop: wait up to `timeout` seconds for deliveries still running, abandon the rest, free the thread.
        Returns whether everything had finished. Call `drain` first to let retries play out."""
        with self._lock:
            already, self._closed = self._closed, True
            loop, thread = self._loop, self._thread
        if already or loop is None or thread is None:
            return self.pending == 0
        finished = self.drain(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        return finished

    def __enter__(self) -> Dispatcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # the loop thread
    def _start(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            ready = threading.Event()
            thread = threading.Thread(target=self._run, args=(loop, ready), name="onca-alert-delivery",
                                      daemon=True)
            thread.start()
            ready.wait()
            self._loop, self._thread = loop, thread
        return self._loop

    def _run(self, loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        self._client = new_client()
        self._slots = asyncio.Semaphore(self.max_in_flight)
        ready.set()
        try:
            loop.run_forever()
        finally:
            try:
                left = asyncio.all_tasks(loop)
                for task in left:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
                self._flush_reports()
                loop.run_until_complete(self._client.aclose())
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    def _spawn(self, alert: Alert, destination: Destination, destination_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(alert, destination, destination_id))
        self._tasks.add(task)  # the loop holds tasks weakly
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, alert: Alert, destination: Destination, destination_id: str) -> None:
        assert self._client is not None and self._slots is not None
        name = destination.config.name
        sent = False
        try:
            for attempt in range(1, self.max_attempts + 1):
                async with self._slots:
                    started = _now()
                    result = await attempt_delivery(destination, alert, self._client)
                    finished = _now()
                will_retry = not result.ok and result.retryable and attempt < self.max_attempts
                delay = backoff_delay(attempt, base_delay=self.base_delay, max_delay=self.max_delay,
                                      rng=self.rng) if will_retry else 0.0
                self._report(AttemptRecord(
                    alert_id=alert.id, destination_name=name, destination_id=destination_id,
                    destination_kind=destination.kind, attempt=attempt, started_at=started,
                    finished_at=finished, result=result, will_retry=will_retry, retry_in_seconds=delay))
                if result.ok:
                    sent = True
                    return
                if not will_retry:
                    log.warning("alert %s not delivered to %s after %d attempt(s): %s", alert.id, name,
                                attempt, result.error or result.status_code)
                    return
                with self._idle:
                    self._retried += 1
                await asyncio.sleep(delay)
        except asyncio.CancelledError:
            log.warning("delivery of alert %s to %s abandoned: the dispatcher was closed", alert.id, name)
            raise
        except Exception:  # noqa: BLE001 - the delivery fails, the dispatcher goes on
            log.exception("delivery of alert %s to %s failed inside the dispatcher", alert.id, name)
        finally:
            self._ended.append(sent)
            self._report_soon()

    def _report(self, record: AttemptRecord) -> None:
        self._unreported.append(record)
        self._report_soon()

    def _report_soon(self) -> None:
        if not self._report_due:
            self._report_due = True
            asyncio.get_running_loop().call_soon(self._flush_reports)

    def _flush_reports(self) -> None:
        """Report the attempts that ended since the last report, then count the deliveries that ended."""
        self._report_due = False
        records, self._unreported = self._unreported, []
        ended, self._ended = self._ended, []
        if records and self.on_attempts is not None:
            self._tell(records)
        if ended:
            with self._idle:
                self._pending -= len(ended)
                self._sent += sum(ended)
                self._failed += len(ended) - sum(ended)
                self._idle.notify_all()

    def _tell(self, records: list[AttemptRecord]) -> None:
        assert self.on_attempts is not None
        try:
            self.on_attempts(records)
            return
        except Exception:  # noqa: BLE001 - one bad record must not lose the others: report them one by one
            if len(records) == 1:
                log.exception("on_attempts failed for alert %s, destination %s", records[0].alert_id,
                              records[0].destination_name)
                return
        for record in records:
            self._tell([record])
