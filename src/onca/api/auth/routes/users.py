"""/users and /users/{id} as Panther's REST API has them (POST updates; PUT and PATCH are accepted too), and
/users/{id}/reset-password."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from onca.store import NotFound, RoleRecord, Store, UserRecord

from onca.api.auth.deps import requires
from onca.api.auth.errors import Invalid
from onca.api.auth.principal import Principal
from onca.api.auth.roles import find_role
from onca.api.auth.routes.common import MAX_LIMIT, answering, cached, id_list, store_of
from onca.api.auth.schemas import PasswordReset, RoleRef, UserModify, UserPatch
from onca.api.auth.users import create_user, delete_user, reset_password, update_user
from onca.api.auth.views import user_json

router = APIRouter(tags=["users"])
UserReader = Annotated[Principal, Depends(requires("UserRead"))]
UserManager = Annotated[Principal, Depends(requires("UserModify"))]


def _role(store: Store, ref: RoleRef) -> RoleRecord:
    return find_role(store, role_id=ref.id, name=ref.name)


def _json(store: Store, user: UserRecord) -> dict[str, Any]:
    return user_json(user, store.roles.get(user.role_id))


@router.get("/users", summary="List users")
def list_users(
    request: Request,
    principal: UserReader,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = MAX_LIMIT,
    contains: Annotated[str | None, Query(description="Part of the email or name, in any case.")] = None,
    email: Annotated[str | None, Query(description="Exactly this email; other filters are ignored.")] = None,
    id: Annotated[list[str] | None, Query()] = None,  # noqa: A002 - Panther's parameter name
    ids: Annotated[str | None, Query(description="Comma-separated ids.")] = None,
    include_deactivated: Annotated[bool, Query(alias="include-deactivated")] = False,
) -> dict[str, Any]:
    store = store_of(request)
    role_of = cached(store.roles.get)
    if email:
        user = store.users.get_by_email(email)
        return {"results": [user_json(user, role_of(user.role_id))] if user else [], "next": None}
    with answering():
        users, following = store.users.list(contains=contains, ids=id_list(id, ids),
                                            include_disabled=include_deactivated, limit=limit, cursor=cursor)
    return {"results": [user_json(u, role_of(u.role_id)) for u in users], "next": following}


@router.post("/users", summary="Create a user")
def create(body: UserModify, request: Request, principal: UserManager) -> dict[str, Any]:
    """Without a password, one is generated and returned once in `password`."""
    store = store_of(request)
    with answering():
        created = create_user(store, email=body.email, role=_role(store, body.role), given_name=body.given_name,
                              family_name=body.family_name, password=body.password, by=principal)
        user = created.user
        if body.enabled is False:
            user = update_user(store, user.id, enabled=False, by=principal)
    document = _json(store, user)
    if created.password is not None:
        document["password"] = created.password
    return document


@router.get("/users/{id}", summary="Get a user")
def get(id: str, request: Request, principal: UserReader) -> dict[str, Any]:  # noqa: A002
    store = store_of(request)
    user = store.users.get(id)
    if user is None:
        with answering():
            raise NotFound(f"no user with id {id!r}")
    return _json(store, user)


@router.post("/users/{id}", summary="Update a user (every field)", operation_id="update_user")
@router.put("/users/{id}", summary="Update a user (every field)", operation_id="replace_user")
def replace(id: str, body: UserModify, request: Request, principal: UserManager) -> dict[str, Any]:  # noqa: A002
    store = store_of(request)
    with answering():
        if body.password is not None:
            raise Invalid("password", f"set passwords with POST /users/{id}/reset-password")
        user = update_user(store, id, by=principal, email=body.email, given_name=body.given_name,
                           family_name=body.family_name, role=_role(store, body.role), enabled=body.enabled)
    return _json(store, user)


@router.patch("/users/{id}", summary="Update some fields of a user")
def patch(id: str, body: UserPatch, request: Request, principal: UserManager) -> dict[str, Any]:  # noqa: A002
    store = store_of(request)
    with answering():
        user = update_user(store, id, by=principal, email=body.email, given_name=body.given_name,
                           family_name=body.family_name, role=_role(store, body.role) if body.role else None,
                           enabled=body.enabled)
    return _json(store, user)


@router.delete("/users/{id}", summary="Delete a user")
def delete(id: str, request: Request, principal: UserManager) -> Response:  # noqa: A002
    with answering():
        delete_user(store_of(request), id, by=principal)
    return Response(status_code=200)


@router.post("/users/{id}/reset-password", summary="Set a new password for a user")
def reset(id: str, request: Request, principal: UserManager,  # noqa: A002
          body: PasswordReset | None = None) -> dict[str, Any]:
    """Without a password in the body, one is generated and returned once in `password`. The user's sessions
    end."""
    store = store_of(request)
    with answering():
        done = reset_password(store, id, by=principal, password=body.password if body else None)
    document = _json(store, done.user)
    if done.password is not None:
        document["password"] = done.password
    return document
