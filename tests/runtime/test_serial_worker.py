"""SerialWorker: calls in order on one thread, bounded queue, failures handed back to the caller."""

import threading

import pytest

from onca.runtime.serial_worker import SerialWorker


def test_calls_run_in_order_on_another_thread():
    worker = SerialWorker("test")
    seen: list[tuple[int, str]] = []
    for n in range(50):
        worker.submit(lambda n=n: seen.append((n, threading.current_thread().name)))
    worker.wait()
    assert [n for n, _ in seen] == list(range(50))
    assert {name for _, name in seen} == {"test"}
    worker.close()


def test_submit_waits_while_the_queue_is_full():
    worker = SerialWorker("test", limit=1)
    gate = threading.Event()
    worker.submit(gate.wait)  # taken by the thread, which then blocks
    worker.submit(lambda: None)  # fills the queue
    third = threading.Thread(target=worker.submit, args=(lambda: None,))
    third.start()
    third.join(timeout=0.2)
    assert third.is_alive()  # held back until there is room
    gate.set()
    third.join(timeout=10)
    assert not third.is_alive()
    worker.close()


def test_a_failure_drops_the_calls_behind_it_and_is_raised_once():
    worker = SerialWorker("test", limit=8)
    gate = threading.Event()
    ran: list[int] = []

    def boom() -> None:
        raise ValueError("rule worker lost")

    worker.submit(gate.wait)
    worker.submit(boom)
    worker.submit(ran.append, 1)  # queued behind the failure: dropped
    gate.set()
    with pytest.raises(ValueError, match="rule worker lost"):
        worker.wait()
    assert ran == []
    worker.submit(ran.append, 2)  # after the failure was raised, work goes on
    worker.wait()
    assert ran == [2]
    worker.close()


def test_submit_raises_a_failure_instead_of_queueing():
    worker = SerialWorker("test")
    ran: list[int] = []
    worker.submit(lambda: 1 / 0)
    worker._queue.join()  # the failing call has run (and its failure is recorded)
    with pytest.raises(ZeroDivisionError):
        worker.submit(ran.append, 1)
    worker.wait()  # raised once: nothing left to raise, and the call was not queued
    assert ran == []
    worker.close()


def test_close_runs_what_is_queued_then_stops():
    worker = SerialWorker("test")
    ran: list[int] = []
    for n in range(5):
        worker.submit(ran.append, n)
    worker.close()
    assert ran == [0, 1, 2, 3, 4]
    assert not any(t.name == "test" for t in threading.enumerate())
    with pytest.raises(ValueError):
        SerialWorker("bad", limit=0)
