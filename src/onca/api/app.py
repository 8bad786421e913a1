"""The FastAPI app around a running OncaServer.

Routes: ``/healthz``, ``/readyz``, ``/metrics``; ``/http/{source}`` for HTTP log sources; the REST API under
``/api/v1`` (Panther's resource paths and field names); its OpenAPI document at ``/api/v1/openapi.json``;
GraphQL at ``/graphql`` and ``/public/graphql``.
Errors are JSON objects with a ``message``, as Panther's API answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from onca import __version__
from onca.api import (
    alerts,
    bulk_upload,
    destinations,
    detection_writes,
    detections,
    health,
    log_sources,
    lookup_tables,
    queries,
    retention,
    saved_queries,
    schemas,
    sources,
    system,
)
from onca.api.allowlist import AllowlistMiddleware
from onca.api.audit import AuditMiddleware
from onca.api.metrics import server_registry
from onca.api.server import OncaServer

API_PREFIX = "/api/v1"


def create_app(server: OncaServer, *, manage_lifecycle: bool = True) -> FastAPI:
    """With ``manage_lifecycle`` the app starts the server's background work on startup and stops it (ingesting
    and committing everything accepted) on shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if manage_lifecycle:
            server.start()
        try:
            yield
        finally:
            if manage_lifecycle:
                server.stop()

    app = FastAPI(title="Onca API", version=__version__, lifespan=lifespan,
                  openapi_url=f"{API_PREFIX}/openapi.json", docs_url=f"{API_PREFIX}/docs", redoc_url=None)
    app.state.server = server
    app.state.store = server.store
    app.state.metrics = server_registry(server)
    app.include_router(health.router)
    app.include_router(sources.router)
    app.include_router(alerts.router, prefix=API_PREFIX)
    app.include_router(queries.router, prefix=API_PREFIX)
    app.include_router(detections.router, prefix=API_PREFIX)
    app.include_router(detection_writes.router, prefix=API_PREFIX)
    app.include_router(bulk_upload.router, prefix=API_PREFIX)
    app.include_router(retention.router, prefix=API_PREFIX)
    app.include_router(log_sources.router, prefix=API_PREFIX)
    app.include_router(destinations.router, prefix=API_PREFIX)
    app.include_router(system.router, prefix=API_PREFIX)
    app.include_router(saved_queries.router, prefix=API_PREFIX)
    app.include_router(schemas.router, prefix=API_PREFIX)
    app.include_router(lookup_tables.router, prefix=API_PREFIX)
    _include_auth(app)
    _include_graphql(app)
    app.add_middleware(AuditMiddleware, audit=server.audit)
    if server.config.allowed_cidrs:  # added last, so it runs first: refused clients reach nothing
        app.add_middleware(AllowlistMiddleware, cidrs=server.config.allowed_cidrs)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    return app


def _include_auth(app: FastAPI) -> None:
    from onca.api.auth import auth_router

    app.include_router(auth_router, prefix=API_PREFIX)


def _include_graphql(app: FastAPI) -> None:
    from onca.api.graphql import graphql_router

    app.include_router(graphql_router(), prefix="/graphql", include_in_schema=False)
    app.include_router(graphql_router(), prefix="/public/graphql", include_in_schema=False)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return JSONResponse({"message": message, "detail": exc.detail}, status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        problems.append(f"{where or 'body'}: {error.get('msg', 'invalid')}")
    return JSONResponse({"message": "; ".join(problems), "detail": jsonable_encoder(exc.errors())},
                        status_code=422)
