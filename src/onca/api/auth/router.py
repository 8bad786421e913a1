"""`auth_router`: every auth route, for the app to mount under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from onca.api.auth.routes import oidc, roles, session, tokens, users

auth_router = APIRouter()
for _part in (session.router, oidc.router, users.router, roles.router, tokens.router):
    auth_router.include_router(_part)
