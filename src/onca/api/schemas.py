"""Log schemas over REST: every log type the server knows (``GET /schemas``, ``GET /schemas/{name}``), and custom
schemas written in the schema language (``POST /schemas`` with the YAML as ``spec``), which take effect at once
and are kept in the metadata store.

Custom schema names start with ``Custom.``, as Panther requires. A new revision may add fields; it may not
remove a field or change a field's type, because the lake already holds data in the old shape.
"""

from __future__ import annotations

import asyncio
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from onca.alerts.document import iso_utc
from onca.api.auth import Principal, requires
from onca.schema import LogSchema, SchemaError, load_schemas

router = APIRouter(tags=["schemas"])
Reader = Annotated[Principal, Depends(requires("LogSourceRead"))]
Writer = Annotated[Principal, Depends(requires("LogSourceModify"))]
CUSTOM_PREFIX = "Custom."


class SchemaBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    spec: str = Field(min_length=1, max_length=1_000_000, description="The schema in the log schema language.")
    description: str | None = None


def _summary(schema: LogSchema, record: Any = None) -> dict[str, Any]:
    document = {"name": schema.name, "description": schema.description, "referenceURL": schema.reference_url,
                "isManaged": record is None, "fields": len(schema.fields)}
    if record is not None:
        document.update(revision=record.revision, createdAt=iso_utc(record.created_at),
                        updatedAt=iso_utc(record.updated_at), createdBy=record.created_by)
    return document


def _builtin_spec(schema: LogSchema) -> str:
    try:
        return (resources.files("onca") / "schema" / schema.source).read_text(encoding="utf-8")
    except (OSError, ValueError):
        return ""


@router.get("/schemas", summary="Every log type: built in and custom")
async def list_schemas(request: Request, principal: Reader) -> dict[str, Any]:
    server = request.app.state.server
    custom = {r.name: r for r in await asyncio.to_thread(server.store.custom_schemas.list)}
    return {"results": [_summary(s, custom.get(s.name)) for s in server.registry], "next": None}


@router.get("/schemas/{name}", summary="A log type's schema, with its YAML")
async def get_schema(name: str, request: Request, principal: Reader) -> dict[str, Any]:
    server = request.app.state.server
    if name not in server.registry:
        raise HTTPException(404, f"no log type {name!r}")
    schema = server.registry.get(name)
    record = await asyncio.to_thread(server.store.custom_schemas.get, name)
    return {**_summary(schema, record), "spec": record.spec if record is not None else _builtin_spec(schema)}


def _breaking_changes(old: LogSchema, new: LogSchema) -> list[str]:
    new_fields = {f.name: f for f in new.fields}
    problems = []
    for field in old.fields:
        replacement = new_fields.get(field.name)
        if replacement is None:
            problems.append(f"field {field.name} is removed")
        elif replacement.type != field.type:
            problems.append(f"field {field.name} changes type from {field.type} to {replacement.type}")
    return problems


@router.post("/schemas", summary="Create a custom schema or add a revision")
async def put_schema(body: SchemaBody, request: Request, principal: Writer) -> dict[str, Any]:
    server = request.app.state.server
    try:
        schemas = load_schemas(body.spec, source="spec")
    except SchemaError as exc:
        raise HTTPException(400, "; ".join(str(p) for p in exc.problems)) from None
    if len(schemas) != 1:
        raise HTTPException(400, f"the spec must hold exactly one schema, not {len(schemas)}")
    schema = schemas[0]
    if not schema.name.startswith(CUSTOM_PREFIX):
        raise HTTPException(400, f"a custom schema's name must start with {CUSTOM_PREFIX!r}, not {schema.name!r}")
    existing = await asyncio.to_thread(server.store.custom_schemas.get, schema.name)
    if schema.name in server.registry and existing is None:
        raise HTTPException(409, f"log type {schema.name} comes from the config's schema files; change it there")
    if existing is not None:
        breaking = _breaking_changes(server.registry.get(schema.name), schema)
        if breaking:
            raise HTTPException(400, f"{schema.name}: {'; '.join(breaking)} (the lake holds data in the old shape)")
    description = body.description if body.description is not None else schema.description
    record = await asyncio.to_thread(server.store.custom_schemas.put, schema.name, body.spec,
                                     description=description, author=principal.email or principal.name)
    server.registry.add(schema, replace=True)
    server.service.schema_changed(schema.name)
    return {**_summary(schema, record), "spec": record.spec}
