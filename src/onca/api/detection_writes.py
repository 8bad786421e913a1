"""Creating, replacing and deleting detections, data models and globals through Panther's REST paths.

``POST /{resource}`` creates (409 if the id is taken), ``PUT /{resource}/{id}`` creates or replaces,
``DELETE /{resource}/{id}`` removes. ``run-tests-first`` tests before saving and ``run-tests-only`` tests
without saving (rules, simple rules, scheduled rules, correlation rules and policies). A change is live when
the answer comes back: the item is written to the server's managed content tree and the engine reloads.

Items of the content trees named in the server's configuration are read-only here (409): they change where
they are kept. An item that saves but does not load (its module fails to import) is taken back: 400.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse

from onca.api.auth import requires
from onca.api.detection_specs import ItemSpec, SpecInputError, item_spec
from onca.api.detection_tests import tested
from onca.api.detections import RESOURCES, SINGULAR, resource_of
from onca.detect.content.managed import ContentRejected, file_stem

router = APIRouter(tags=["detections"])

ItemBody = Annotated[dict[str, Any], Body(description="The item in Panther's API fields (ModifyRule, ...).")]
# resource -> the permission to change it
WRITE_PERMISSIONS = {"rules": "RuleModify", "simple-rules": "RuleModify", "scheduled-rules": "RuleModify",
                     "correlation-rules": "RuleModify", "policies": "PolicyModify", "data-models": "RuleModify",
                     "globals": "RuleModify"}
TESTABLE = {"rules", "simple-rules", "scheduled-rules", "correlation-rules", "policies"}


def _parse(resource: str, body: dict[str, Any]) -> ItemSpec:
    try:
        return item_spec(resource, body)
    except SpecInputError as exc:
        raise HTTPException(400, str(exc)) from None


def _save(server: Any, resource: str, item: ItemSpec, *, create_only: bool) -> bool:
    """Write and reload (in a worker thread, one change at a time); True if the item is new."""
    item_id = item.spec[item.id_key]
    with server.changing_content():
        current = server.managed_items()
        _check_writable(server, resource, item_id, current)
        if create_only and item_id in current:
            raise HTTPException(409, f"{SINGULAR[resource]} {item_id!r} already exists")
        before = server.managed.snapshot(item_id, current=current)
        try:
            created = server.managed.put(item.spec, item.code, current=current)
        except ContentRejected as exc:
            raise HTTPException(400, str(exc)) from None
        problems = [str(p.message) for p in server.reload_content() if _concerns(p, item_id)]
        if problems:  # saved but not loadable: put back what was there
            server.managed.restore(item_id, before)
            server.reload_content()
            raise HTTPException(400, f"{SINGULAR[resource]} {item_id!r} does not load: {'; '.join(problems)}")
        return created


def _delete(server: Any, resource: str, item_id: str) -> None:
    with server.changing_content():
        current = server.managed_items()
        _check_writable(server, resource, item_id, current)
        item = current.get(item_id)
        if item is None or resource_of(item) != resource or not server.managed.delete(item_id, current=current):
            raise HTTPException(404, f"no {SINGULAR[resource]} with id {item_id!r}")
        server.reload_content()


def _check_writable(server: Any, resource: str, item_id: str, current: dict[str, Any]) -> None:
    tree = server.configured_tree(item_id)
    if tree is not None:
        raise HTTPException(409, f"{item_id!r} is defined in the content tree {tree}, which this server reads "
                                 "from its configuration: change it there")
    owner = resource_of(current[item_id]) if item_id in current else None
    if owner is not None and owner != resource:
        raise HTTPException(409, f"{item_id!r} is one of the {owner}, not of the {resource}")


def _concerns(problem: Any, item_id: str) -> bool:
    if problem.item_id == item_id:
        return True
    return Path(problem.path).stem == file_stem(item_id)


def _shaped(server: Any, resource: str, item_id: str) -> dict[str, Any]:
    item = server.content.by_resource[resource].get(item_id)
    if item is None:
        raise HTTPException(500, f"{SINGULAR[resource]} {item_id!r} was saved but is not listed")
    return RESOURCES[resource][1](item)


async def _tests_pass(server: Any, resource: str, item: ItemSpec) -> Response | None:
    if resource not in TESTABLE:
        raise HTTPException(400, f"{resource} have no tests to run")
    return await tested(server, item)


async def _tests_gate(server: Any, resource: str, item: Any, *, first: bool, only: bool) -> Response | None:
    """run-tests-first / run-tests-only: the answer that ends the request (failed tests, or 204 when only
    testing), or None to go on and save."""
    if not (first or only):
        return None
    failed = await _tests_pass(server, resource, item)
    if failed is not None:
        return failed
    return Response(status_code=204) if only else None


def _add_routes(resource: str, permission: str) -> None:
    async def create(body: ItemBody, request: Request,
                     run_tests_first: Annotated[bool, Query(alias="run-tests-first")] = False,
                     run_tests_only: Annotated[bool, Query(alias="run-tests-only")] = False) -> Response:
        server = request.app.state.server
        item = _parse(resource, body)
        stop = await _tests_gate(server, resource, item, first=run_tests_first, only=run_tests_only)
        if stop is not None:
            return stop
        await asyncio.to_thread(_save, server, resource, item, create_only=True)
        return JSONResponse(_shaped(server, resource, item.spec[item.id_key]))

    async def put(id: str, body: ItemBody, request: Request,  # noqa: A002
                  run_tests_first: Annotated[bool, Query(alias="run-tests-first")] = False,
                  run_tests_only: Annotated[bool, Query(alias="run-tests-only")] = False) -> Response:
        server = request.app.state.server
        if body.get("id") not in (None, id):
            raise HTTPException(400, f"id: the body names {body.get('id')!r}, the path {id!r}")
        item = _parse(resource, {**body, "id": id})
        stop = await _tests_gate(server, resource, item, first=run_tests_first, only=run_tests_only)
        if stop is not None:
            return stop
        created = await asyncio.to_thread(_save, server, resource, item, create_only=False)
        return JSONResponse(_shaped(server, resource, id), status_code=201 if created else 200)

    async def delete(id: str, request: Request) -> Response:  # noqa: A002
        await asyncio.to_thread(_delete, request.app.state.server, resource, id)
        return Response(status_code=204)

    guard = [Depends(requires(permission))]
    singular = SINGULAR[resource]
    router.add_api_route(f"/{resource}", create, methods=["POST"], summary=f"Create a {singular}",
                         dependencies=guard, responses={409: {"description": "the id is taken"}})
    router.add_api_route(f"/{resource}/{{id}}", put, methods=["PUT"], summary=f"Create or replace a {singular}",
                         dependencies=guard)
    router.add_api_route(f"/{resource}/{{id}}", delete, methods=["DELETE"], summary=f"Delete a {singular}",
                         dependencies=guard, status_code=204)


for _resource, _permission in WRITE_PERMISSIONS.items():
    _add_routes(_resource, _permission)
