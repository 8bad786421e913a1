"""Asynchronous lake queries: results by page, errors in the user's words, cancellation of a long query."""

from __future__ import annotations

import time

import duckdb
import pytest

from onca.lake.jobs import CANCELLED, FAILED, SUCCEEDED, QueryJobs


@pytest.fixture
def jobs():
    def connect(database):
        con = duckdb.connect(":memory:")
        con.execute("CREATE TABLE t AS SELECT range AS n FROM range(10)")
        return con

    runner = QueryJobs(connect, max_rows=5)
    yield runner
    runner.close()


def test_a_query_runs_in_the_background_and_pages_through_its_rows(jobs):
    job = jobs.submit("SELECT n FROM t WHERE n < 3 ORDER BY n")
    done = jobs.wait(job.id)
    assert done.status == SUCCEEDED and done.row_count == 3
    assert done.rows(1, 5) == [{"n": 1}, {"n": 2}]
    assert done.columns() == [("n", "int64")]


def test_results_past_the_row_cap_are_cut_and_said(jobs):
    done = jobs.wait(jobs.submit("SELECT n FROM t").id)
    assert done.row_count == 5 and done.truncated and "first 5 rows" in done.message


def test_bad_sql_fails_with_the_engine_message(jobs):
    done = jobs.wait(jobs.submit("SELECT nope FROM t").id)
    assert done.status == FAILED and "nope" in done.message
    with pytest.raises(ValueError, match="empty"):
        jobs.submit("  ")


def test_a_long_query_can_be_cancelled(jobs):
    job = jobs.submit("SELECT sum(hash(a.range * b.range)) FROM range(1000000) a, range(1000000) b")
    deadline = time.monotonic() + 10
    while job._connection is None and time.monotonic() < deadline:
        time.sleep(0.01)
    jobs.cancel(job.id)
    done = jobs.wait(job.id)
    assert done.status == CANCELLED
