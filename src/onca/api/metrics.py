"""Prometheus metrics, read from the running services at scrape time (nothing is double-counted in between).

Each app has its own registry, so that several servers in one process (tests) do not share counters.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class ServerCollector(Collector):
    def __init__(self, server: Any):
        self.server = server

    def collect(self) -> Iterator[Any]:
        service = self.server.service
        events = CounterMetricFamily("onca_events_ingested", "Events ingested, by source and log type",
                                     labels=["source", "log_type"])
        failures = CounterMetricFamily("onca_classification_failures", "Records no candidate log type parsed",
                                       labels=["source"])
        payloads = CounterMetricFamily("onca_http_payloads_accepted", "Payloads accepted by a source",
                                       labels=["source"])
        received = CounterMetricFamily("onca_http_bytes_accepted", "Bytes accepted by a source", labels=["source"])
        for source, counts in sorted(service.source_counts().items()):
            for log_type, n in sorted(counts.events.items()):
                events.add_metric([source, log_type], n)
            failures.add_metric([source], counts.failures)
            payloads.add_metric([source], counts.payloads)
            received.add_metric([source], counts.bytes)
        yield from (events, failures, payloads, received)

        waiting, waiting_bytes = service.spool.depth()
        yield GaugeMetricFamily("onca_spool_payloads", "Payloads spooled and not yet committed", value=waiting)
        yield GaugeMetricFamily("onca_spool_bytes", "Bytes spooled and not yet committed", value=waiting_bytes)
        writer = service.writer.stats()
        yield GaugeMetricFamily("onca_lake_buffered_rows", "Rows buffered for the lake", value=writer.buffered_rows)
        yield CounterMetricFamily("onca_lake_rows_written", "Rows written to the lake", value=writer.rows_written)

        if service.detection is not None:
            yield from _detection_metrics(service.detection.stage)
        yield from self.server.audit.metrics()


def _detection_metrics(stage: Any) -> Iterator[Any]:
    evaluated = CounterMetricFamily("onca_detection_events", "Events a detection ran on", labels=["detection"])
    matches = CounterMetricFamily("onca_detection_matches", "Matches and signals", labels=["detection"])
    errors = CounterMetricFamily("onca_detection_errors", "Errors, timeouts included", labels=["detection"])
    seconds = CounterMetricFamily("onca_detection_seconds", "CPU seconds spent in a detection",
                                  labels=["detection"])
    for detection_id, m in sorted(stage.engine.metrics().items()):
        evaluated.add_metric([detection_id], m.events)
        matches.add_metric([detection_id], m.matches)
        errors.add_metric([detection_id], m.errors)
        seconds.add_metric([detection_id], m.seconds)
    yield from (evaluated, matches, errors, seconds)
    findings = CounterMetricFamily("onca_findings", "Findings by kind", labels=["kind"])
    for kind in ("match", "signal", "error"):
        findings.add_metric([kind], stage.counts[kind])
    yield findings
    yield CounterMetricFamily("onca_alerts_created", "Alerts created", value=stage.counts["alerts"])
    if stage.dispatcher is not None:
        delivery = stage.dispatcher.metrics()
        yield CounterMetricFamily("onca_alert_deliveries", "Deliveries that succeeded", value=delivery["sent"])
        yield CounterMetricFamily("onca_alert_delivery_failures", "Deliveries that failed for good",
                                  value=delivery["failed"])
        yield CounterMetricFamily("onca_alert_delivery_retries", "Delivery attempts retried",
                                  value=delivery["retried"])
        yield GaugeMetricFamily("onca_alert_deliveries_pending", "Deliveries queued or in flight",
                                value=delivery["pending"])


def server_registry(server: Any) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ServerCollector(server))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
