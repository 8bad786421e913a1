"""/api-tokens, /api-tokens/{id} and /api-tokens/{id}/rotate as Panther's REST API has them. The id `self`
names the token making the request: a token may read, rotate and delete itself without further permission."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from onca.store import NotFound

from onca.api.auth.deps import demand, requires, signed_in
from onca.api.auth.principal import Principal
from onca.api.auth.routes.common import MAX_LIMIT, answering, store_of
from onca.api.auth.schemas import TokenModify, TokenUpdate
from onca.api.auth.tokens import issue_token, revoke_token, rotate_token, update_token
from onca.api.auth.views import token_json

router = APIRouter(tags=["api tokens"])
READ, MODIFY = "OrganizationAPITokenRead", "OrganizationAPITokenModify"
TokenReader = Annotated[Principal, Depends(requires(READ))]
TokenManager = Annotated[Principal, Depends(requires(MODIFY))]
SignedIn = Annotated[Principal, Depends(signed_in)]


def _target(principal: Principal, token_id: str, permission: str | None) -> str:
    """The id meant by the path. `self` needs no permission when `permission` is None."""
    if token_id == "self":
        if principal.kind != "token":
            raise HTTPException(400, "'self' names the API token making the request; this request was made by a "
                                     "signed-in user")
        if permission is not None:
            demand(principal, permission)
        return principal.id
    if permission is None:
        permission = MODIFY
    demand(principal, permission)
    return token_id


@router.get("/api-tokens", summary="List API tokens")
def list_tokens(request: Request, principal: TokenReader, cursor: str | None = None,
                limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = MAX_LIMIT,
                include_revoked: Annotated[bool, Query(alias="include-revoked")] = False) -> dict[str, Any]:
    with answering():
        tokens, following = store_of(request).tokens.list(include_revoked=include_revoked, limit=limit,
                                                          cursor=cursor)
    return {"results": [token_json(t) for t in tokens], "next": following}


@router.post("/api-tokens", summary="Create an API token")
def create(body: TokenModify, request: Request, principal: TokenManager) -> dict[str, Any]:
    """The token's secret is in `value`, this once; the permissions must be ones you hold."""
    with answering():
        issued = issue_token(store_of(request), name=body.name, permissions=body.permissions, by=principal,
                             allowed_cidrs=body.allowed_cidr_blocks or (), expires_at=body.expires_at)
    return token_json(issued.token, issued.value)


@router.get("/api-tokens/{id}", summary="Get an API token (`self`: the one making the request)")
def get(id: str, request: Request, principal: SignedIn) -> dict[str, Any]:  # noqa: A002
    token_id = _target(principal, id, None if id == "self" else READ)
    token = store_of(request).tokens.get(token_id)
    if token is None or token.revoked_at is not None:
        with answering():
            raise NotFound(f"no API token with id {id!r}")
    return token_json(token)


@router.post("/api-tokens/{id}", summary="Update an API token")
def update(id: str, body: TokenUpdate, request: Request, principal: SignedIn) -> dict[str, Any]:  # noqa: A002
    token_id = _target(principal, id, MODIFY)
    with answering():
        token = update_token(store_of(request), token_id, by=principal, name=body.name,
                             permissions=body.permissions, allowed_cidrs=body.allowed_cidr_blocks)
    return token_json(token)


@router.delete("/api-tokens/{id}", status_code=204, summary="Revoke an API token")
def delete(id: str, request: Request, principal: SignedIn) -> Response:  # noqa: A002
    token_id = _target(principal, id, None)
    with answering():
        revoke_token(store_of(request), token_id, by=principal)
    return Response(status_code=204)


@router.post("/api-tokens/{id}/rotate", summary="Give an API token a new secret")
def rotate(id: str, request: Request, principal: SignedIn) -> dict[str, Any]:  # noqa: A002
    """The new secret is in `value`, this once; the old one stops working at once."""
    token_id = _target(principal, id, None)
    with answering():
        issued = rotate_token(store_of(request), token_id, by=principal)
    return token_json(issued.token, issued.value)
