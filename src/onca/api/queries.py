"""Data-lake queries over REST (Onca's addition beside Panther's GraphQL executeDataLakeQuery/dataLakeQuery):
``POST /data-lake/queries`` starts one and answers its id at once; ``GET /data-lake/queries/{id}`` gives its
status and a page of results; ``DELETE /data-lake/queries/{id}`` cancels it. A query is visible to whoever
started it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from onca.api.auth import Principal, requires
from onca.api.sql_access import AccessDenied, check_sql_access
from onca.lake.jobs import QueryJob

router = APIRouter(tags=["data lake queries"])
Analyst = Annotated[Principal, Depends(requires("DataAnalyticsRead"))]
MAX_PAGE = 1000


class QueryRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")
    sql: str = Field(min_length=1, max_length=1_000_000)
    database_name: str = Field("panther_logs", alias="databaseName", pattern=r"^[a-z_][a-z0-9_]*$")


def start_query(server: Any, principal: Principal, sql: str, database: str) -> QueryJob:
    """Check the query against the principal's log types and start it (shared with GraphQL)."""
    try:
        check_sql_access(sql, database, principal.can_read_log_type, server.registry)
    except AccessDenied as exc:
        raise HTTPException(403, str(exc)) from None
    try:
        return server.queries.submit(sql, database=database, owner=principal.id)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


def owned_job(server: Any, principal: Principal, job_id: str) -> QueryJob:
    job = server.queries.get(job_id)
    if job is None or job.owner != principal.id:
        raise HTTPException(404, f"no query with id {job_id!r}")
    return job


def page_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    if not cursor.isdigit():
        raise HTTPException(400, f"cursor {cursor!r} is not one this API returned")
    return int(cursor)


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def job_json(job: QueryJob, offset: int, limit: int) -> dict[str, Any]:
    rows = job.rows(offset, limit)
    more = offset + len(rows) < job.row_count
    columns = job.columns()
    return {
        "id": job.id, "status": job.status, "message": job.message, "sql": job.sql, "databaseName": job.database,
        "startedAt": _iso(job.started_at), "completedAt": _iso(job.finished_at),
        "results": rows, "next": str(offset + len(rows)) if more else None,
        "columnInfo": {"order": [name for name, _ in columns], "types": dict(columns)},
        "stats": {"rowCount": job.row_count, "executionTime": round(job.seconds * 1000), "bytesScanned": 0,
                  "truncated": job.truncated},
    }


@router.post("/data-lake/queries", status_code=202, summary="Start a SQL query on the data lake")
async def execute(body: QueryRequest, request: Request, principal: Analyst) -> dict[str, str]:
    job = start_query(request.app.state.server, principal, body.sql, body.database_name)
    return {"id": job.id}


@router.get("/data-lake/queries/{id}", summary="A query's status and a page of its results")
async def status(id: str, request: Request, principal: Analyst, cursor: str | None = None,  # noqa: A002
                 limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100) -> dict[str, Any]:
    job = owned_job(request.app.state.server, principal, id)
    return job_json(job, page_offset(cursor), limit)


@router.delete("/data-lake/queries/{id}", summary="Cancel a running query")
async def cancel(id: str, request: Request, principal: Analyst) -> dict[str, str]:  # noqa: A002
    server = request.app.state.server
    owned_job(server, principal, id)
    job = server.queries.cancel(id)
    return {"id": id, "status": job.status if job else "cancelled"}
