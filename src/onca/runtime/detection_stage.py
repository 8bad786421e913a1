"""Detection as a pipeline sink: events in; matches, signals and errors to the lake; alerts to the store and out.

Per batch of one log type: the engine evaluates the rules, the correlation stream looks at what matched, the
alert manager deduplicates into alerts, the detection rows are written with the alert they joined, and new
alerts are routed and handed to the dispatcher, which delivers them in the background. With ``background``,
all of that runs on a thread of its own (a SerialWorker), so the ingest thread parses the next batch while rule
workers evaluate this one; `flush` waits for it, so a payload's detection is done when the pipeline returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from onca.alerts.delivery import Dispatcher
from onca.alerts.manager import AlertManager
from onca.alerts.model import Alert
from onca.alerts.routing import route
from onca.detect.findings import Finding
from onca.lake import LakeWriter
from onca.runtime.rule_tables import DATABASE_OF_KIND, DetectionRows
from onca.runtime.serial_worker import SerialWorker
from onca.schema.registry import Registry

log = logging.getLogger(__name__)


def route_and_submit(store: Any, dispatcher: Dispatcher, destinations: Any, alert: Alert,
                     finding: Finding | None) -> list[str]:
    """Send a new alert where its detection and the destinations' settings say; returns the destination names
    the detection gave that are not configured."""
    return route_and_submit_many(store, dispatcher, destinations, [(alert, finding)])[0]


def route_and_submit_many(store: Any, dispatcher: Dispatcher, destinations: Any,
                          alerts: Sequence[tuple[Alert, Finding | None]]) -> list[list[str]]:
    """`route_and_submit` for several new alerts, recording all their destinations in one transaction; returns
    the unknown destination names of each alert, in order."""
    routed, unknowns = [], []
    for alert, finding in alerts:
        targets, unknown = route(
            alert,
            detection_destinations=finding.destinations if finding else None,
            overrides=finding.destination_overrides if finding else (),
            destinations=destinations,
        )
        if unknown:
            log.warning("alert %s names destinations that are not configured: %s", alert.id, ", ".join(unknown))
        if targets:
            routed.append((alert, targets))
        unknowns.append(list(unknown))
    if routed:
        with store.transaction():
            store.alerts.set_destinations_many({alert.id: [t.config.name for t in targets]
                                                for alert, targets in routed})
        for alert, targets in routed:
            dispatcher.submit(alert, targets)
    return unknowns


def _now() -> datetime:
    return datetime.now(UTC)


class DetectionStage:
    """A pipeline sink (see onca.ingest.pipeline.Sink)."""

    def __init__(self, registry: Registry, writer: LakeWriter, engine: Any, manager: AlertManager,
                 dispatcher: Dispatcher | None, destinations: Any, *, correlations: Any = None,
                 clock: Callable[[], datetime] = _now, background: bool = False):
        self.registry = registry
        self.writer = writer
        self.engine = engine
        self.manager = manager
        self.dispatcher = dispatcher
        self.destinations = destinations
        self.correlations = correlations
        self.clock = clock
        self._rows: dict[str, DetectionRows] = {}
        self._created: dict[str, datetime] = {}  # alert id -> creation time, for the rows' p_alert_creation_time
        self.unrouted: list[tuple[str, list[str]]] = []  # (alert id, destination names that matched nothing)
        self.counts = {"match": 0, "signal": 0, "error": 0, "alerts": 0}
        self._background = SerialWorker("onca-detection", limit=2) if background else None

    # Sink
    def write_events(self, log_type: str, events: list[dict[str, Any]]) -> None:
        if self._background is None:
            self._detect(log_type, events)
        else:
            self._background.submit(self._detect, log_type, events)

    def _detect(self, log_type: str, events: list[dict[str, Any]]) -> None:
        findings = list(self.engine.evaluate(log_type, events))
        if self.correlations is not None:
            live = [f for f in findings if f.kind in ("match", "signal")]
            findings += self.correlations.feed(live, now=self.clock())
        if findings:
            self.handle(findings)

    def write_failures(self, failures: list[dict[str, Any]]) -> None:
        pass  # failures are not events: nothing to detect on

    def forget(self, log_type: str) -> None:
        """The log type's schema changed: build its detection tables' shape again on next use."""
        self.wait()
        self._rows.pop(log_type, None)

    def wait(self) -> None:
        """Return once the batches handed over so far are detected; raise what went wrong with one."""
        if self._background is not None:
            self._background.wait()

    def flush(self) -> None:
        self.wait()
        if self.correlations is not None:  # absences and time windows are decided as time passes
            hits = self.correlations.feed([], now=self.clock())
            if hits:
                self.handle(hits)
        self.writer.flush_due()

    # Findings -> alerts, rows, deliveries
    def handle(self, findings: Sequence[Finding]) -> None:
        outcome = self.manager.process(findings)
        now = self.clock()
        for finding in findings:
            self.counts[finding.kind] += 1
        self.counts["alerts"] += len(outcome.to_deliver)
        for alert in outcome.to_deliver:
            self._created[alert.id] = alert.created_at
        for message in outcome.system_errors:
            log.warning("%s", message)
        self._write_rows(findings, outcome.alert_ids, now)
        first_finding: dict[str, Finding] = {}
        for finding, alert_id in zip(findings, outcome.alert_ids):
            if alert_id is not None:
                first_finding.setdefault(alert_id, finding)
        self._deliver([(alert, first_finding.get(alert.id)) for alert in outcome.to_deliver])

    def _write_rows(self, findings: Sequence[Finding], alert_ids: Sequence[str | None], now: datetime) -> None:
        grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
        schemas = {}
        for finding, alert_id in zip(findings, alert_ids):
            if not finding.log_type or finding.log_type not in self.registry:
                continue  # correlation and policy findings have no log table
            rows = self._rows_for(finding.log_type)
            key = (DATABASE_OF_KIND[finding.kind], rows.table)
            schemas[key] = rows.schema_for(finding.kind)
            created = self._creation_time(alert_id)
            grouped.setdefault(key, []).append(rows.row(finding, alert_id=alert_id, alert_created=created,
                                                        updated=now))
        for (database, table), rows_ in grouped.items():
            self.writer.write(database, table, schemas[(database, table)], rows_)

    def _rows_for(self, log_type: str) -> DetectionRows:
        rows = self._rows.get(log_type)
        if rows is None:
            rows = self._rows[log_type] = DetectionRows(self.registry.get(log_type))
        return rows

    def _creation_time(self, alert_id: str | None) -> datetime | None:
        if alert_id is None:
            return None
        created = self._created.get(alert_id)
        if created is None:
            alert = self.manager.store.get_alert(alert_id)
            created = alert.created_at if alert is not None else None
            if created is not None:
                if len(self._created) > 100_000:
                    self._created.clear()
                self._created[alert_id] = created
        return created

    def _deliver(self, alerts: Sequence[tuple[Alert, Finding | None]]) -> None:
        if self.dispatcher is None or self.destinations is None or not alerts:
            return
        unknowns = route_and_submit_many(self.manager.store, self.dispatcher, self.destinations, alerts)
        for (alert, _finding), unknown in zip(alerts, unknowns):
            if unknown:
                self.unrouted.append((alert.id, unknown))

    def close(self, timeout: float = 30.0) -> bool:
        """Flush, deliver what is queued (waiting up to ``timeout``), stop the workers. True if nothing was
        left undelivered. If the last batches could not be detected, that is raised, after everything stopped."""
        try:
            try:
                self.flush()
            finally:
                if self._background is not None:
                    self._background.close()
        finally:
            delivered = True
            if self.dispatcher is not None:
                delivered = self.dispatcher.drain(timeout)
                self.dispatcher.close()
            self.engine.close()
        return delivered
