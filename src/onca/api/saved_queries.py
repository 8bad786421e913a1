"""Saved queries over REST, as Panther's API has them: ``/queries`` (list, create) and ``/queries/{id}`` (get,
update with POST, delete). A schedule is ``{cron}`` or ``{rateMinutes}``, with ``timeoutMinutes`` and
``disabled``."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from croniter import croniter
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from onca.alerts.document import iso_utc
from onca.api.auth import Principal, requires
from onca.store import Conflict, InvalidCursor, InvalidValue, NotFound, SavedQueryRecord

router = APIRouter(tags=["saved queries"])
Reader = Annotated[Principal, Depends(requires("DataAnalyticsRead"))]
Writer = Annotated[Principal, Depends(requires("DataAnalyticsModify"))]


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cron: str | None = None
    rateMinutes: int | None = Field(None, ge=1, le=60 * 24 * 366)  # noqa: N815 - Panther's field name
    timeoutMinutes: int = Field(5, ge=1, le=60 * 24)  # noqa: N815
    disabled: bool = False

    @model_validator(mode="after")
    def _one_way(self) -> Schedule:
        if (self.cron is None) == (self.rateMinutes is None):
            raise ValueError("a schedule needs either cron or rateMinutes")
        if self.cron is not None and not croniter.is_valid(self.cron):
            raise ValueError(f"{self.cron!r} is not a cron expression")
        return self


class QueryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=255)
    sql: str = Field(min_length=1, max_length=1_000_000)
    description: str = ""
    schedule: Schedule | None = None


def _json(query: SavedQueryRecord) -> dict[str, Any]:
    return {"id": query.id, "name": query.name, "sql": query.sql, "description": query.description,
            "schedule": query.schedule, "managed": False, "createdAt": iso_utc(query.created_at),
            "updatedAt": iso_utc(query.updated_at), "createdBy": query.created_by}


def _schedule(body: QueryBody) -> dict[str, Any] | None:
    return body.schedule.model_dump(exclude_none=True) if body.schedule else None


@router.get("/queries", summary="List saved queries")
async def list_queries(request: Request, principal: Reader, cursor: str | None = None,
                       limit: Annotated[int, Query(ge=1, le=1000)] = 25) -> dict[str, Any]:
    store = request.app.state.server.store
    try:
        queries, next_cursor = await asyncio.to_thread(store.saved_queries.list, limit=limit, cursor=cursor)
    except InvalidCursor as exc:
        raise HTTPException(400, str(exc)) from None
    return {"results": [_json(q) for q in queries], "next": next_cursor}


@router.post("/queries", summary="Save a query")
async def create_query(body: QueryBody, request: Request, principal: Writer) -> dict[str, Any]:
    store = request.app.state.server.store
    try:
        created = await asyncio.to_thread(store.saved_queries.create, body.name, body.sql,
                                          description=body.description, schedule=_schedule(body),
                                          created_by=principal.email or principal.name)
    except Conflict as exc:
        raise HTTPException(409, str(exc)) from None
    except InvalidValue as exc:
        raise HTTPException(400, str(exc)) from None
    return _json(created)


@router.get("/queries/{id}", summary="Get a saved query")
async def get_query(id: str, request: Request, principal: Reader) -> dict[str, Any]:  # noqa: A002
    found = await asyncio.to_thread(request.app.state.server.store.saved_queries.get, id)
    if found is None:
        raise HTTPException(404, f"no saved query with id {id!r}")
    return _json(found)


@router.post("/queries/{id}", summary="Update a saved query")
async def update_query(id: str, body: QueryBody, request: Request, principal: Writer) -> dict[str, Any]:  # noqa: A002
    store = request.app.state.server.store
    try:
        updated = await asyncio.to_thread(store.saved_queries.update, id, name=body.name, sql=body.sql,
                                          description=body.description, schedule=_schedule(body))
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except Conflict as exc:
        raise HTTPException(409, str(exc)) from None
    except InvalidValue as exc:
        raise HTTPException(400, str(exc)) from None
    return _json(updated)


@router.delete("/queries/{id}", status_code=204, summary="Delete a saved query")
async def delete_query(id: str, request: Request, principal: Writer) -> None:  # noqa: A002
    try:
        await asyncio.to_thread(request.app.state.server.store.saved_queries.delete, id)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
