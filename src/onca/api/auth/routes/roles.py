"""/roles and /roles/{id} as Panther's REST API has them (POST updates; PATCH changes some fields)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from onca.store import NotFound

from onca.api.auth.deps import requires
from onca.api.auth.principal import Principal
from onca.api.auth.roles import create_role, delete_role, update_role
from onca.api.auth.routes.common import MAX_LIMIT, answering, id_list, store_of
from onca.api.auth.schemas import RoleModify, RolePatch
from onca.api.auth.views import role_json

router = APIRouter(tags=["roles"])
RoleReader = Annotated[Principal, Depends(requires("UserRead"))]
RoleManager = Annotated[Principal, Depends(requires("UserModify"))]


@router.get("/roles", summary="List roles")
def list_roles(
    request: Request,
    principal: RoleReader,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = MAX_LIMIT,
    name_contains: Annotated[str | None, Query(alias="name-contains")] = None,
    name: Annotated[str | None, Query(description="Exactly this name; other filters are ignored.")] = None,
    id: Annotated[list[str] | None, Query()] = None,  # noqa: A002 - Panther's parameter name
    ids: Annotated[str | None, Query(description="Comma-separated ids.")] = None,
    sort_dir: Annotated[Literal["asc", "desc"], Query(alias="sort-dir")] = "asc",
) -> dict[str, Any]:
    store = store_of(request)
    if name:
        role = store.roles.get_by_name(name)
        return {"results": [role_json(role)] if role else [], "next": None}
    with answering():
        roles, following = store.roles.list(name_contains=name_contains, ids=id_list(id, ids),
                                            descending=sort_dir == "desc", limit=limit, cursor=cursor)
    return {"results": [role_json(r) for r in roles], "next": following}


@router.post("/roles", summary="Create a role")
def create(body: RoleModify, request: Request, principal: RoleManager) -> dict[str, Any]:
    with answering():
        role = create_role(store_of(request), name=body.name, permissions=body.permissions,
                           log_type_access_kind=body.log_type_access_kind, log_type_access=body.log_type_access,
                           by=principal)
    return role_json(role)


@router.get("/roles/{id}", summary="Get a role")
def get(id: str, request: Request, principal: RoleReader) -> dict[str, Any]:  # noqa: A002
    role = store_of(request).roles.get(id)
    if role is None:
        with answering():
            raise NotFound(f"no role with id {id!r}")
    return role_json(role)


@router.post("/roles/{id}", summary="Update a role (every field)", operation_id="update_role")
@router.put("/roles/{id}", summary="Update a role (every field)", operation_id="replace_role")
def replace(id: str, body: RoleModify, request: Request, principal: RoleManager) -> dict[str, Any]:  # noqa: A002
    with answering():
        role = update_role(store_of(request), id, by=principal, name=body.name, permissions=body.permissions,
                           log_type_access_kind=body.log_type_access_kind,
                           log_type_access=body.log_type_access or [])
    return role_json(role)


@router.patch("/roles/{id}", summary="Update some fields of a role")
def patch(id: str, body: RolePatch, request: Request, principal: RoleManager) -> dict[str, Any]:  # noqa: A002
    with answering():
        role = update_role(store_of(request), id, by=principal, name=body.name, permissions=body.permissions,
                           log_type_access_kind=body.log_type_access_kind, log_type_access=body.log_type_access)
    return role_json(role)


@router.delete("/roles/{id}", summary="Delete a role no user holds")
def delete(id: str, request: Request, principal: RoleManager) -> Response:  # noqa: A002
    with answering():
        delete_role(store_of(request), id, by=principal)
    return Response(status_code=200)
