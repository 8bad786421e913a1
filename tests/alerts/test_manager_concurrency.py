"""Several processes raising alerts for the same dedup string at the same moment raise one alert."""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "store"))
from store_databases import fresh_database  # noqa: E402

from onca.alerts.manager import AlertManager  # noqa: E402
from onca.detect.findings import Finding  # noqa: E402
from onca.store import open_store  # noqa: E402

PROCESSES = 4
MATCHES = 10
T0 = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def _finding(threshold: int) -> Finding:
    return Finding(kind="match", detection_id="Brute.Force", detection_type="rule", log_type="Okta.SystemLog",
                   event={"actor": "mallory"}, event_time=T0, severity="HIGH", title="Brute force by mallory",
                   dedup="mallory", threshold=threshold)


def _raise_alerts(url: str, threshold: int, barrier, results) -> None:
    store = open_store(url)
    manager = AlertManager(store, clock=lambda: T0)
    barrier.wait()
    created = 0
    for _ in range(MATCHES):  # one call per match, so the processes interleave
        created += len(manager.process([_finding(threshold)]).to_deliver)
    results.put(created)
    store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        open_store(url).close()
        yield url


@pytest.mark.parametrize("threshold", [1, 15])
def test_manager_processes_racing_on_one_dedup_raise_one_alert(store_url, threshold):
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    workers = [context.Process(target=_raise_alerts, args=(store_url, threshold, barrier, results))
               for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    created = [results.get(timeout=180) for _ in workers]
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES

    assert sum(created) == 1  # delivered once, by whichever process raised it
    with open_store(store_url) as store:
        [alert] = store.alerts.list()[0]
    assert alert.event_count == PROCESSES * MATCHES  # every match counted, none lost
