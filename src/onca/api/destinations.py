"""Alert destinations over REST: ``GET /destinations`` and ``/destinations/{id}`` show what the server delivers to
(credentials masked), ``POST /destinations/{id}/test`` sends a sample alert there now and answers what the
service said."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request

from onca.alerts.delivery import deliver_once
from onca.alerts.sample import sample_alert
from onca.api.auth import Principal, requires

router = APIRouter(tags=["destinations"])
Reader = Annotated[Principal, Depends(requires("DestinationRead"))]
Writer = Annotated[Principal, Depends(requires("DestinationModify"))]


def _json(destinations: Any, destination: Any) -> dict[str, Any]:
    settings = destination.config.model_dump(mode="json", by_alias=True)  # secrets come out masked
    return {"outputId": destinations.id_of(destination), "displayName": destination.config.name,
            "outputType": destination.kind, "defaultForSeverity": list(destination.config.severities),
            "logTypes": list(destination.config.log_types), "alertTypes": list(destination.config.alert_types),
            "settings": settings}


def _find(request: Request, destination_id: str) -> tuple[Any, Any]:
    destinations = request.app.state.server.destinations
    destination = destinations.get(destination_id)
    if destination is None:
        raise HTTPException(404, f"no destination is named or has the id {destination_id!r}")
    return destinations, destination


@router.get("/destinations", summary="List alert destinations")
async def list_destinations(request: Request, principal: Reader) -> dict[str, Any]:
    destinations = request.app.state.server.destinations
    return {"results": [_json(destinations, d) for d in destinations], "next": None}


@router.get("/destinations/{id}", summary="Get an alert destination")
async def get_destination(id: str, request: Request, principal: Reader) -> dict[str, Any]:  # noqa: A002
    return _json(*_find(request, id))


@router.post("/destinations/{id}/test", summary="Send a sample alert to a destination")
async def test_destination(id: str, request: Request, principal: Writer) -> dict[str, Any]:  # noqa: A002
    _, destination = _find(request, id)
    result = await asyncio.to_thread(deliver_once, sample_alert(), destination)
    return {"success": result.ok, "statusCode": result.status_code, "retryable": result.retryable,
            "message": result.error or result.response}
