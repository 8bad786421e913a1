"""Alert destinations over REST (Panther calls them outputs): ``GET /destinations`` lists them, ``POST`` creates
one, ``GET/PUT/DELETE /destinations/{id}`` (the id or the name) read, replace and remove one, and
``POST /destinations/{id}/test`` sends a sample alert there now and answers what the service said.

Destinations of the server's config file are listed too, marked ``managedBy: config``, and cannot be changed
here; those created here are kept in the metadata store and take effect for the next alert. Secrets are never
shown: they come out masked, and a PUT that leaves a secret out, or sends it back masked, keeps the stored one,
so what a GET shows can be sent back with only the fields that change.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from onca.alerts.config import DestinationConfigError
from onca.alerts.delivery import deliver_once
from onca.alerts.managed import DestinationClash, ReadOnlyDestination, UnknownDestination
from onca.alerts.masking import MASK, shown_settings
from onca.alerts.sample import sample_alert
from onca.api.auth import Principal, requires

router = APIRouter(tags=["destinations"])
Reader = Annotated[Principal, Depends(requires("DestinationRead"))]
Writer = Annotated[Principal, Depends(requires("DestinationModify"))]

# What a GET shows beside the settings; sent back in a PUT, it is ignored
READ_ONLY_KEYS = ("managedBy", "createdAt", "lastModified", "createdBy")
# config setting -> the field of this API that carries it, for naming what was wrong
_API_FIELDS = {"name": "displayName", "kind": "outputType", "id": "outputId", "severities": "defaultForSeverity",
               "log_types": "logTypes", "alert_types": "alertTypes"}


class _DestinationFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default_for_severity: list[str] | None = Field(
        None, validation_alias=AliasChoices("defaultForSeverity", "severities"),
        description="Alerts of these severities go here when their detection names no destination.",
        examples=[["HIGH", "CRITICAL"]])
    log_types: list[str] | None = Field(None, validation_alias=AliasChoices("logTypes", "log_types"),
                                        description="If set, only alerts on these log types.")
    alert_types: list[str] | None = Field(None, validation_alias=AliasChoices("alertTypes", "alert_types"),
                                          description="Alert types sent here (rule, rule_error, policy, ...).")
    settings: dict[str, Any] = Field(
        default_factory=dict, description=f"The kind's own settings (see `onca destinations kinds`). A secret "
                                          f"sent as {MASK!r} or left out keeps its stored value.",
        examples=[{"url": "https://hooks.example.com/onca", "signing_secret": "whsec_3b1f0c9d"}])

    @field_validator("settings")
    @classmethod
    def _no_identity_in_settings(cls, settings: dict[str, Any]) -> dict[str, Any]:
        for key, field in (("kind", "outputType"), ("id", "outputId")):
            if key in settings:
                raise ValueError(f"{key!r} is not one of the kind's settings: give it as {field}")
        return settings

    @model_validator(mode="before")
    @classmethod
    def _without_read_only(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if key not in READ_ONLY_KEYS}
        return data

    def entry(self, name: str | None) -> dict[str, Any]:
        """The destination's settings in config terms; fields given at the top win over the same in settings."""
        entry = dict(self.settings)
        given = {"name": name, "severities": self.default_for_severity, "log_types": self.log_types,
                 "alert_types": self.alert_types}
        entry.update({key: value for key, value in given.items() if value is not None})
        return entry


class DestinationCreate(_DestinationFields):
    output_id: str | None = Field(None, validation_alias=AliasChoices("outputId", "id"),
                                  description="A stable id detections may use; a UUID is generated if left out.")
    display_name: str = Field(validation_alias=AliasChoices("displayName", "name"),
                              description="The name, unique among destinations; detections may use it too.")
    output_type: str = Field(validation_alias=AliasChoices("outputType", "kind"),
                             description="The destination kind: webhook, slack, pagerduty, ...",
                             examples=["webhook"])


class DestinationUpdate(_DestinationFields):
    output_id: str | None = Field(None, validation_alias=AliasChoices("outputId", "id"),
                                  description="Ignored when it is the destination's id; an id cannot change.")
    display_name: str | None = Field(None, validation_alias=AliasChoices("displayName", "name"),
                                     description="A new name; the current one stays when left out.")
    output_type: str | None = Field(None, validation_alias=AliasChoices("outputType", "kind"),
                                    description="A new kind; the current one stays when left out. Changing "
                                                "it keeps no secret: send the new kind's settings in full.")


def _json(server: Any, destination: Any, records: dict[str, Any]) -> dict[str, Any]:
    config = destination.config
    document = {"outputId": server.destinations.id_of(destination), "displayName": config.name,
                "outputType": destination.kind, "defaultForSeverity": list(config.severities),
                "logTypes": list(config.log_types), "alertTypes": list(config.alert_types),
                "settings": shown_settings(config)}
    managed_id = server.managed_destinations.managed_id(destination)
    if managed_id is None:
        return {**document, "managedBy": "config"}
    document["managedBy"] = "api"
    record = records.get(managed_id)
    if record is not None:
        document.update(createdAt=record.created_at.isoformat(), lastModified=record.updated_at.isoformat(),
                        createdBy=record.created_by)
    return document


async def _records(server: Any, destination: Any) -> dict[str, Any]:
    managed_id = server.managed_destinations.managed_id(destination)
    record = None if managed_id is None else await asyncio.to_thread(server.store.destinations.get, managed_id)
    return {managed_id: record} if record is not None else {}


def _find(request: Request, key: str) -> Any:
    destination = request.app.state.server.destinations.get(key)
    if destination is None:
        raise HTTPException(404, f"no destination is named or has the id {key!r}")
    return destination


def _api_problem(problem: str) -> str:
    field, _, rest = problem.partition(":")
    head, dot, tail = field.partition(".")
    if head in _API_FIELDS:
        return f"{_API_FIELDS[head]}{dot}{tail}:{rest}"
    return problem if head == "settings" or not rest else f"settings.{problem}"


async def _change(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a change off the event loop; its refusals become answers naming what was wrong."""
    try:
        return await asyncio.to_thread(call, *args, **kwargs)
    except DestinationConfigError as exc:
        raise HTTPException(400, "; ".join(_api_problem(p) for p in exc.problems)) from None
    except (ReadOnlyDestination, DestinationClash) as exc:
        raise HTTPException(409, str(exc)) from None
    except UnknownDestination as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/destinations", summary="List alert destinations")
async def list_destinations(request: Request, principal: Reader) -> dict[str, Any]:
    server = request.app.state.server
    records = {r.id: r for r in await asyncio.to_thread(server.store.destinations.list)}
    return {"results": [_json(server, d, records) for d in server.destinations], "next": None}


@router.post("/destinations", status_code=201, summary="Create an alert destination")
async def create_destination(body: DestinationCreate, request: Request, principal: Writer) -> dict[str, Any]:
    server = request.app.state.server
    record, destination = await _change(server.managed_destinations.create, body.output_type,
                                        body.entry(body.display_name), destination_id=body.output_id,
                                        created_by=principal.email or principal.name)
    return _json(server, destination, {record.id: record})


@router.get("/destinations/{id}", summary="Get an alert destination")
async def get_destination(id: str, request: Request, principal: Reader) -> dict[str, Any]:  # noqa: A002
    server = request.app.state.server
    destination = _find(request, id)
    return _json(server, destination, await _records(server, destination))


@router.put("/destinations/{id}", summary="Replace an alert destination's settings")
async def update_destination(id: str, body: DestinationUpdate, request: Request,  # noqa: A002
                             principal: Writer) -> dict[str, Any]:
    server = request.app.state.server
    current = server.destinations.get(id)
    current_id = server.destinations.id_of(current) if current is not None else id
    if body.output_id is not None and body.output_id != current_id:
        raise HTTPException(400, f"outputId: the id of destination {id!r} is {current_id!r} and cannot change")
    record, destination = await _change(server.managed_destinations.update, id, body.output_type,
                                        body.entry(body.display_name))
    return _json(server, destination, {record.id: record})


@router.delete("/destinations/{id}", status_code=204, summary="Delete an alert destination")
async def delete_destination(id: str, request: Request, principal: Writer) -> None:  # noqa: A002
    await _change(request.app.state.server.managed_destinations.delete, id)


@router.post("/destinations/{id}/test", summary="Send a sample alert to a destination")
async def test_destination(id: str, request: Request, principal: Writer) -> dict[str, Any]:  # noqa: A002
    destination = _find(request, id)
    result = await asyncio.to_thread(deliver_once, sample_alert(), destination)
    return {"success": result.ok, "statusCode": result.status_code, "retryable": result.retryable,
            "message": result.error or result.response}
