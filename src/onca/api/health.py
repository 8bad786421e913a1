"""Liveness, readiness and Prometheus metrics: what an orchestrator and a monitoring system ask."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from onca.api.metrics import CONTENT_TYPE, render

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict:
    return {"status": "ok"}


def _checks(server) -> dict[str, str]:  # noqa: ANN001
    checks = {}
    try:
        with server.store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["store"] = "ok"
    except Exception as exc:  # noqa: BLE001 - readiness reports, it does not raise
        checks["store"] = f"unavailable: {exc.__class__.__name__}"
    service = server.service
    checks["ingest"] = "ok" if service.running else "not running"
    if service.last_error:
        checks["ingest"] += f" (last error: {service.last_error})"
    return checks


@router.get("/readyz", summary="Ready to accept data and API calls")
async def readyz(request: Request) -> JSONResponse:
    checks = await asyncio.to_thread(_checks, request.app.state.server)
    ready = checks["store"] == "ok" and checks["ingest"].startswith("ok")
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks},
                        status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics")
async def metrics(request: Request) -> Response:
    body = await asyncio.to_thread(render, request.app.state.metrics)
    return Response(body, media_type=CONTENT_TYPE)
