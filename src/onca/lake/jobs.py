"""Asynchronous queries: submit SQL, get an id at once, poll its status, page through its results, cancel it.

This is how the API runs data-lake queries (Panther's executeDataLakeQuery / dataLakeQuery): a query may scan
months of data, so no request waits on one. Jobs run on a small thread pool, each on its own DuckDB connection
(which is how a running query is interrupted). Finished jobs are kept, newest last, up to ``keep`` of them.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

RUNNING, SUCCEEDED, FAILED, CANCELLED = "running", "succeeded", "failed", "cancelled"


@dataclass
class QueryJob:
    id: str
    sql: str
    database: str
    owner: str = ""
    status: str = RUNNING
    message: str = ""
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    result: pa.Table | None = None
    truncated: bool = False  # more rows than the job keeps
    _connection: Any = None
    _cancelled: bool = False

    @property
    def seconds(self) -> float:
        return (self.finished_at or time.time()) - self.started_at

    @property
    def row_count(self) -> int:
        return self.result.num_rows if self.result is not None else 0

    def columns(self) -> list[tuple[str, str]]:
        if self.result is None:
            return []
        return [(f.name, str(f.type)) for f in self.result.schema]

    def rows(self, offset: int, limit: int) -> list[dict[str, Any]]:
        if self.result is None:
            return []
        return self.result.slice(offset, limit).to_pylist()


class QueryJobs:
    def __init__(self, connect: Callable[[str], duckdb.DuckDBPyConnection], *, workers: int = 2,
                 keep: int = 200, max_rows: int = 100_000):
        """``connect(database)`` opens a connection on which unqualified names resolve in ``database``."""
        self._connect = connect
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="onca-query")
        self._jobs: OrderedDict[str, QueryJob] = OrderedDict()
        self._lock = threading.Lock()
        self.keep = keep
        self.max_rows = max_rows

    def submit(self, sql: str, *, database: str = "panther_logs", owner: str = "") -> QueryJob:
        if not sql.strip():
            raise ValueError("the query is empty")
        job = QueryJob(uuid.uuid4().hex, sql, database, owner)
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        self._pool.submit(self._run, job)
        return job

    def get(self, job_id: str) -> QueryJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def cancel(self, job_id: str) -> QueryJob | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.status != RUNNING:
                return job
            job._cancelled = True
            connection = job._connection
        if connection is not None:
            threading.Thread(target=self._interrupt_until_stopped, args=(job, connection),
                             name="onca-query-cancel", daemon=True).start()
        return job

    def _interrupt_until_stopped(self, job: QueryJob, connection: Any) -> None:
        # An interrupt reaches only a query already executing; one sent while the job is between connecting and
        # executing is lost. So it is repeated until the job has stopped.
        while True:
            with self._lock:
                if job.status != RUNNING or job._connection is not connection:
                    return
                try:
                    connection.interrupt()
                except duckdb.Error:  # closed in the meantime: the job is ending
                    return
            time.sleep(0.02)

    def wait(self, job_id: str, timeout: float = 30.0) -> QueryJob | None:
        deadline = time.monotonic() + timeout
        job = self.get(job_id)
        while job is not None and job.status == RUNNING and time.monotonic() < deadline:
            time.sleep(0.01)
        return job

    def close(self) -> None:
        with self._lock:
            running = [j.id for j in self._jobs.values() if j.status == RUNNING]
        for job_id in running:
            self.cancel(job_id)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, job: QueryJob) -> None:
        connection = None
        try:
            if job._cancelled:
                raise duckdb.InterruptException("cancelled before it started")
            connection = self._connect(job.database)
            with self._lock:
                job._connection = connection
                cancelled = job._cancelled
            if cancelled:  # cancelled while connecting: an interrupt sent then reached no query
                raise duckdb.InterruptException("cancelled before it started")
            relation = connection.sql(job.sql)
            if relation is None:
                table = pa.table({})
            else:
                limited = relation.limit(self.max_rows + 1)
                table = (getattr(limited, "to_arrow_table", None) or limited.arrow)()
            if table.num_rows > self.max_rows:
                table, job.truncated = table.slice(0, self.max_rows), True
            job.result, job.status = table, SUCCEEDED
            if job.truncated:
                job.message = f"the first {self.max_rows:,} rows are kept; add a LIMIT or narrow the query"
        except duckdb.InterruptException:
            job.status, job.message = CANCELLED, "the query was cancelled"
        except Exception as exc:  # noqa: BLE001 - the user's SQL failing is the job's result, said in its words
            job.status = CANCELLED if job._cancelled else FAILED
            job.message = "the query was cancelled" if job._cancelled else str(exc)
        finally:
            job.finished_at = time.time()
            with self._lock:
                job._connection = None
            if connection is not None:
                connection.close()

    def _forget_old(self) -> None:
        finished = [j.id for j in self._jobs.values() if j.status != RUNNING]
        for job_id in finished[: max(0, len(self._jobs) - self.keep)]:
            del self._jobs[job_id]
