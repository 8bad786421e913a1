"""Lookup tables over REST: ``/lookup-tables`` (list, create) and ``/lookup-tables/{id}`` (get, replace, delete);
``/lookup-tables/{id}/data`` takes the rows as CSV or JSON lines (POST, replacing them) and pages through them
(GET). Fields are Panther's lookup-table keys in camelCase (``lookupName``, ``schema``, ``primaryKey``,
``associatedLogTypes`` with ``logType`` and ``selectors``).

Tables of content trees and of the config file are listed too, with ``isManaged: true`` and ``managedBy``
``content`` or ``config``; they change in their files, so writing to them answers 409. Every change takes effect
for the next events, without a restart.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, Request

from onca.alerts.document import iso_utc
from onca.api.bodies import read_limited_body
from onca.api.auth import Principal, requires
from onca.enrich import (
    FORMATS,
    LookupTable,
    LookupTableSettings,
    TableConflict,
    TableInvalid,
    TableNotFound,
)
from onca.enrich.shared_file import row_json
from onca.store import every_page

router = APIRouter(tags=["lookup tables"])
Reader = Annotated[Principal, Depends(requires("LookupRead"))]
Writer = Annotated[Principal, Depends(requires("LookupModify"))]
Limit = Annotated[int, Query(ge=1, le=1000)]
PROBLEMS_SHOWN = 100  # bad rows listed in a table's document; dataProblemCount has them all


def _encode(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        return base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise HTTPException(400, f"cursor {cursor!r} is not one this API returned") from None


def _document(table: LookupTable, record: Any = None) -> dict[str, Any]:
    definition = table.definition
    document = {
        "id": table.id, **definition.settings.public(),
        "isManaged": definition.managed_by != "api", "managedBy": definition.managed_by,
        "lakeTable": f"panther_lookups.{definition.lake_table}",
        "rowCount": len(table.rows), "matchesCidr": table.index.cidr,
        "dataSource": table.data_source or None,
        "dataLoadedAt": iso_utc(table.loaded_at) if table.loaded_at else None,
        "dataProblemCount": len(table.problems),
        "dataProblems": [{"line": p.line, "message": p.message} for p in table.problems[:PROBLEMS_SHOWN]],
    }
    if definition.managed_by != "api":
        document["definedIn"] = definition.source
    if definition.refresh is not None:
        document["refresh"] = dict(definition.refresh)  # kept from the content; Onca does not fetch it
    if definition.query is not None:
        document["query"] = definition.query
    if record is not None:
        document.update(createdAt=iso_utc(record.created_at), updatedAt=iso_utc(record.updated_at),
                        createdBy=record.created_by)
    return document


def _found(request: Request, table_id: str) -> LookupTable:
    table = request.app.state.server.lookups.find(table_id)
    if table is None:
        raise HTTPException(404, f"no lookup table {table_id!r}")
    return table


async def _with_record(request: Request, table: LookupTable) -> dict[str, Any]:
    record = None
    if table.definition.managed_by == "api":
        record = await asyncio.to_thread(request.app.state.server.store.lookup_tables.get, table.id)
    return _document(table, record)


async def _change(call: Any, *args: Any, **kwargs: Any) -> LookupTable:
    try:
        return await asyncio.to_thread(call, *args, **kwargs)
    except TableNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except TableConflict as exc:
        raise HTTPException(409, str(exc)) from None
    except TableInvalid as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/lookup-tables", summary="List lookup tables: from content, the config file and the API")
async def list_tables(request: Request, principal: Reader, cursor: str | None = None,
                      limit: Limit = 100) -> dict[str, Any]:
    server = request.app.state.server
    tables = server.lookups.tables()  # by name
    if cursor:
        after = _decode(cursor)
        tables = [t for t in tables if t.name > after]
    page = tables[:limit]
    records = {r.id: r for r in await asyncio.to_thread(every_page, server.store.lookup_tables.list)}
    results = [_document(t, records.get(t.id) if t.definition.managed_by == "api" else None) for t in page]
    return {"results": results, "next": _encode(page[-1].name) if len(tables) > limit else None}


@router.get("/lookup-tables/{id}", summary="Get a lookup table")
async def get_table(id: str, request: Request, principal: Reader) -> dict[str, Any]:  # noqa: A002
    return await _with_record(request, _found(request, id))


@router.post("/lookup-tables", status_code=201, summary="Create a lookup table (its rows: POST .../data)")
async def create_table(body: LookupTableSettings, request: Request, principal: Writer) -> dict[str, Any]:
    server = request.app.state.server
    table = await _change(server.lookup_changes.create, body, author=principal.email or principal.name)
    return await _with_record(request, table)


@router.put("/lookup-tables/{id}", summary="Replace a lookup table's settings (its rows are read again)")
async def update_table(id: str, body: LookupTableSettings, request: Request,  # noqa: A002
                       principal: Writer) -> dict[str, Any]:
    table = await _change(request.app.state.server.lookup_changes.update, id, body)
    return await _with_record(request, table)


@router.delete("/lookup-tables/{id}", status_code=204, summary="Delete a lookup table and its rows")
async def delete_table(id: str, request: Request, principal: Writer) -> None:  # noqa: A002
    await _change(request.app.state.server.lookup_changes.delete, id)


@router.post("/lookup-tables/{id}/data",
             summary="Replace a lookup table's rows: CSV with a header line, or JSON lines (the body)",
             description="The format comes from `format` (csv or jsonl), else the Content-Type (text/csv, "
                         "application/x-ndjson), else the first character. Rows that cannot be used are left out "
                         "and listed in `dataProblems` by line; data no row of which can be used answers 400 and "
                         "the table keeps its rows. Bodies over the server's lookupTableMaxBytes answer 413.")
async def upload_data(id: str, request: Request, principal: Writer,  # noqa: A002
                      data_format: Annotated[str | None, Query(alias="format")] = None) -> dict[str, Any]:
    server = request.app.state.server
    table = _found(request, id)
    if table.definition.managed_by != "api":
        raise HTTPException(409, f"lookup table {table.name!r} is managed in {table.definition.source or 'a file'}; "
                                 "change its data there")
    if data_format is not None and data_format not in FORMATS:
        raise HTTPException(400, f"format must be csv or jsonl, not {data_format!r}")
    body = await read_limited_body(request, server.config.lookup_table_max_bytes, "a lookup table")
    if not body.strip():
        raise HTTPException(400, "the body is empty: send the rows as CSV or JSON lines")
    table = await _change(server.lookup_changes.upload, table.id, body, fmt=data_format,
                          media_type=request.headers.get("content-type"), author=principal.email or principal.name)
    return await _with_record(request, table)


@router.get("/lookup-tables/{id}/data", summary="Page through a lookup table's rows")
async def get_data(id: str, request: Request, principal: Reader, cursor: str | None = None,  # noqa: A002
                   limit: Limit = 100) -> dict[str, Any]:
    table = _found(request, id)
    start = 0
    if cursor:
        position = _decode(cursor)
        if not position.isdigit():
            raise HTTPException(400, f"cursor {cursor!r} is not one this API returned")
        start = int(position)
    rows = table.rows[start:start + limit]
    end = start + len(rows)
    return {"results": [orjson.loads(row_json(row)) for row in rows],
            "next": _encode(str(end)) if end < len(table.rows) else None}
