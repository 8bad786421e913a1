"""HTTP log sources over REST, as Panther's API has them: ``POST /log-sources/http`` creates one (its id is
generated unless given), ``GET/PUT/DELETE /log-sources/http/{id}``; Onca adds ``GET /log-sources/http`` to list
them. Sources of the config file are listed too, marked ``managedBy: config``, and cannot be changed here.

Secrets are never shown. A PUT that leaves a secret out keeps the stored one, so what a GET shows can be sent
back with only the fields that change.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from onca.api.auth import Principal, requires
from onca.runtime.http_sources import SECRET_FIELDS, HttpSource
from onca.store import Conflict, NotFound

router = APIRouter(tags=["log sources"])
Reader = Annotated[Principal, Depends(requires("LogSourceRead"))]
Writer = Annotated[Principal, Depends(requires("LogSourceModify"))]
SourceBody = Annotated[dict[str, Any], Body(description="An HTTP source (Panther's ModifyHTTPSource fields).")]
SECRET_KEYS = {to_camel(field) for field in SECRET_FIELDS}  # authSecretValue, authBearerToken, authPassword


def _json(source: HttpSource, managed_by: str, record: Any = None) -> dict[str, Any]:
    document = {**source.public(), "managedBy": managed_by}
    if record is not None:
        document.update(createdAt=record.created_at.isoformat(), lastModified=record.updated_at.isoformat(),
                        createdBy=record.created_by)
    return document


def _validated(settings: dict[str, Any], server: Any) -> HttpSource:
    try:
        source = HttpSource.model_validate(settings)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())
        raise HTTPException(400, problems) from None
    unknown = [t for t in source.log_types if t not in server.registry]
    if unknown:
        raise HTTPException(400, f"unknown log types: {', '.join(unknown)}")
    return source


def _from_config(server: Any, source_id: str) -> bool:
    return server.config.source(source_id) is not None


@router.get("/log-sources/http", summary="List HTTP log sources")
async def list_sources(request: Request, principal: Reader) -> dict[str, Any]:
    server = request.app.state.server
    records = {r.id: r for r in await asyncio.to_thread(server.store.log_sources.list, kind="http")}
    results = []
    for source_id, source in sorted(server.service.sources.items()):
        if _from_config(server, source_id):
            results.append(_json(source, "config"))
        elif source_id in records:
            results.append(_json(source, "api", records[source_id]))
    return {"results": results, "next": None}


@router.get("/log-sources/http/{id}", summary="Get an HTTP log source")
async def get_source(id: str, request: Request, principal: Reader) -> dict[str, Any]:  # noqa: A002
    server = request.app.state.server
    source = server.service.sources.get(id)
    if source is None:
        raise HTTPException(404, f"no HTTP log source {id!r}")
    if _from_config(server, id):
        return _json(source, "config")
    return _json(source, "api", await asyncio.to_thread(server.store.log_sources.get, id))


@router.post("/log-sources/http", status_code=201, summary="Create an HTTP log source")
async def create_source(body: SourceBody, request: Request, principal: Writer) -> dict[str, Any]:
    server = request.app.state.server
    settings = {**body, "integrationId": body.get("integrationId") or uuid.uuid4().hex}
    source = _validated(settings, server)
    if source.integration_id in server.service.sources:
        raise HTTPException(409, f"an HTTP log source {source.integration_id!r} already exists")
    stored = source.model_dump(by_alias=True)
    try:
        record = await asyncio.to_thread(
            server.store.log_sources.create, source.integration_id, kind="http", label=source.integration_label,
            settings=stored, created_by=principal.email or principal.name)
    except Conflict as exc:
        raise HTTPException(409, str(exc)) from None
    server.service.add_source(source)
    return _json(source, "api", record)


@router.put("/log-sources/http/{id}", summary="Replace an HTTP log source's settings")
async def update_source(id: str, body: SourceBody, request: Request,  # noqa: A002
                        principal: Writer) -> dict[str, Any]:
    server = request.app.state.server
    if _from_config(server, id):
        raise HTTPException(409, f"HTTP log source {id!r} is managed by the config file")
    current = await asyncio.to_thread(server.store.log_sources.get, id)
    if current is None:
        raise HTTPException(404, f"no HTTP log source {id!r}")
    kept = {key: value for key, value in current.settings.items()
            if key in SECRET_KEYS and key not in body and body.get("authMethod", current.settings.get("authMethod"))
            == current.settings.get("authMethod")}
    source = _validated({**body, **kept, "integrationId": id}, server)
    try:
        record = await asyncio.to_thread(server.store.log_sources.update, id, label=source.integration_label,
                                         settings=source.model_dump(by_alias=True))
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    server.service.add_source(source)
    return _json(source, "api", record)


@router.delete("/log-sources/http/{id}", status_code=204, summary="Delete an HTTP log source")
async def delete_source(id: str, request: Request, principal: Writer) -> None:  # noqa: A002
    server = request.app.state.server
    if _from_config(server, id):
        raise HTTPException(409, f"HTTP log source {id!r} is managed by the config file")
    try:
        await asyncio.to_thread(server.store.log_sources.delete, id)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    server.service.remove_source(id)
