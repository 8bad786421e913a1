"""What Onca reports about itself: ``/system-errors`` (list, resolve) and ``/metrics/summary`` (ingestion,
detection and delivery counts as JSON; Prometheus scrapes ``/metrics``)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from onca.alerts.document import iso_utc
from onca.api.auth import Principal, requires
from onca.store import NotFound

router = APIRouter(tags=["system"])
AlertReader = Annotated[Principal, Depends(requires("AlertRead"))]
AlertWriter = Annotated[Principal, Depends(requires("AlertModify"))]
Summary = Annotated[Principal, Depends(requires("SummaryRead"))]


def system_error_json(error: Any) -> dict[str, Any]:
    """A system error, shaped as Panther lists them among alerts (type SYSTEM_ERROR)."""
    return {"id": error.id, "type": "SYSTEM_ERROR", "status": "RESOLVED" if error.resolved else "OPEN",
            "title": error.message, "createdAt": iso_utc(error.first_seen),
            "lastReceivedEventAt": iso_utc(error.last_seen), "eventCount": error.count,
            "systemError": {"type": error.kind, "sourceId": error.subject},
            "resolvedAt": iso_utc(error.resolved_at) if error.resolved_at else None}


@router.get("/system-errors", summary="Problems Onca reported about itself")
async def list_system_errors(request: Request, principal: AlertReader, resolved: bool | None = None,
                             kind: str | None = None,
                             limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    store = request.app.state.server.store
    errors = await asyncio.to_thread(store.system_errors.list, resolved=resolved, kind=kind, limit=limit)
    return {"results": [system_error_json(e) for e in errors], "next": None}


@router.post("/system-errors/{id}/resolve", summary="Mark a system error resolved")
async def resolve_system_error(id: str, request: Request, principal: AlertWriter) -> dict[str, Any]:  # noqa: A002
    store = request.app.state.server.store
    try:
        error = await asyncio.to_thread(store.system_errors.resolve, id, at=datetime.now(UTC))
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return system_error_json(error)


@router.get("/metrics/summary", summary="Ingestion, detection and delivery counts")
async def summary(request: Request, principal: Summary) -> dict[str, Any]:
    service = request.app.state.server.service
    sources = {source: {"payloads": c.payloads, "bytes": c.bytes, "events": c.events,
                        "classificationFailures": c.failures}
               for source, c in service.source_counts().items()}
    waiting, waiting_bytes = service.spool.depth()
    document: dict[str, Any] = {"sources": sources, "spool": {"payloads": waiting, "bytes": waiting_bytes}}
    if service.detection is not None:
        stage = service.detection.stage
        metrics = stage.engine.metrics()
        busiest = sorted(metrics.items(), key=lambda item: (-item[1].seconds, item[0]))[:20]
        document["detection"] = {
            "findings": dict(stage.counts),
            "busiest": [{"id": d, "events": m.events, "matches": m.matches, "errors": m.errors,
                         "seconds": round(m.seconds, 6)} for d, m in busiest],
            "deliveries": stage.dispatcher.metrics() if stage.dispatcher is not None else {},
        }
    return document
