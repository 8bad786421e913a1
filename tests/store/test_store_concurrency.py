"""Several processes writing the same rows at once: nothing is lost, nothing is doubled."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta

from tests_store_helpers import T0

from onca.store import open_store

PROCESSES = 4
REPORTS = 15


def _report_errors(url: str, barrier: multiprocessing.synchronize.Barrier) -> None:
    store = open_store(url)
    barrier.wait()
    for n in range(REPORTS):
        store.system_errors.report("delivery_failure", "SOAR", f"attempt {n}", at=T0 + timedelta(seconds=n))
    store.close()


def test_store_concurrent_reports_of_one_error_are_all_counted_on_one_row(store_url):
    open_store(store_url).close()  # the schema exists before the race starts
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    workers = [context.Process(target=_report_errors, args=(store_url, barrier)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES

    with open_store(store_url) as store:
        [error] = store.system_errors.list()
    assert error.count == PROCESSES * REPORTS


def _open_new(url: str, barrier: multiprocessing.synchronize.Barrier) -> None:
    barrier.wait()
    open_store(url).close()


def test_store_processes_opening_a_new_store_together_migrate_it_once(store_url):
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    workers = [context.Process(target=_open_new, args=(store_url, barrier)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    with open_store(store_url) as store:
        assert store.alerts.list() == ([], None)
