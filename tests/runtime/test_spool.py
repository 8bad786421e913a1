"""The spool keeps every acknowledged payload until it is marked done, across restarts."""

from __future__ import annotations

import threading

import pytest

from onca.runtime.spool import Spool, SpoolError


def test_payloads_come_out_in_arrival_order_and_survive_a_restart(tmp_path):
    spool = Spool(tmp_path)
    for i in range(5):
        spool.put("okta", f"payload {i}".encode())
    taken = spool.take(max_entries=2)
    assert [e.path.read_bytes() for e in taken] == [b"payload 0", b"payload 1"]
    assert all(e.source_id == "okta" for e in taken)
    spool.done(taken[:1])  # the second one was taken but never finished: a crash now
    reopened = Spool(tmp_path)
    assert [e.path.read_bytes() for e in reopened.take()] == [b"payload 1", b"payload 2", b"payload 3",
                                                              b"payload 4"]


def test_taken_payloads_are_not_handed_out_twice_until_released(tmp_path):
    spool = Spool(tmp_path)
    spool.put("a", b"1")
    first = spool.take()
    assert spool.take() == []
    spool.release(first)
    assert [e.path for e in spool.take()] == [e.path for e in first]


def test_half_written_payloads_from_a_crash_are_discarded(tmp_path):
    Spool(tmp_path)
    (tmp_path / "incoming" / "00000000000000000001-00000000-x.payload").write_bytes(b"partial")
    spool = Spool(tmp_path)
    assert spool.take() == []
    assert list((tmp_path / "incoming").iterdir()) == []


def test_take_waits_for_a_payload(tmp_path):
    spool = Spool(tmp_path)
    timer = threading.Timer(0.05, spool.put, args=("late", b"x"))
    timer.start()
    entries = spool.take(wait=5)
    timer.join()
    assert [e.source_id for e in entries] == ["late"]


def test_byte_budget_still_hands_out_one_large_payload(tmp_path):
    spool = Spool(tmp_path)
    spool.put("big", b"x" * 100)
    spool.put("big", b"y")
    assert [e.size for e in spool.take(max_bytes=10)] == [100]
    assert spool.depth() == (2, 101)


def test_bad_source_ids_and_unwritable_spools_say_what_is_wrong(tmp_path):
    spool = Spool(tmp_path)
    with pytest.raises(ValueError, match="source id"):
        spool.put("../etc", b"x")
    (tmp_path / "incoming").rmdir()
    (tmp_path / "incoming").write_bytes(b"")  # the folder is gone: writes fail whoever runs the test
    with pytest.raises(SpoolError, match="cannot spool a payload for okta"):
        spool.put("okta", b"x")
