"""Alerts over REST, as Panther's API has them: ``/alerts`` (list with filters, bulk update),
``/alerts/{id}`` (get, update), ``/alerts/{id}/events`` and ``/alert-comments``.

Alerts are Panther-shaped (``type`` ALERT or DETECTION_ERROR, ``detection: {id, type}``, upper-case status and
severity, ``deliveries``); Onca's own fields (log types, dedup string, history, ...) sit beside Panther's.
Paging is ``cursor`` and ``limit``, answered with ``{results, next}``.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from onca.alerts.document import iso_utc
from onca.api.auth import Principal, requires
from onca.api.system import system_error_json
from onca.store import ALERT_STATUSES, AlertRecord, InvalidCursor, InvalidValue, NotFound

router = APIRouter(tags=["alerts"])

DETECTION_TYPES = {"rule": "RULE", "rule_error": "RULE", "policy": "POLICY", "correlation": "CORRELATION_RULE",
                   "scheduled_rule": "SCHEDULED_RULE"}
ALERT_KINDS = {"ALERT": ("rule", "policy", "correlation", "scheduled_rule"), "DETECTION_ERROR": ("rule_error",)}
MAX_LIMIT = 50  # Panther's page limit
Status = Literal["OPEN", "TRIAGED", "RESOLVED", "INVALID", "CLOSED",
                 "open", "triaged", "resolved", "invalid", "closed"]

AlertReader = Annotated[Principal, Depends(requires("AlertRead"))]
AlertWriter = Annotated[Principal, Depends(requires("AlertModify"))]


def alert_json(alert: AlertRecord, store: Any = None, *, full: bool = False) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": alert.id,
        "type": "DETECTION_ERROR" if alert.type == "rule_error" else "ALERT",
        "status": alert.status.upper(),
        "severity": alert.severity,
        "title": alert.title,
        "createdAt": iso_utc(alert.created_at),
        "updatedAt": iso_utc(alert.updated_at),
        "firstEventOccurredAt": iso_utc(alert.first_event_time),
        "lastReceivedEventAt": iso_utc(alert.update_time),
        "eventCount": alert.event_count,
        "detection": {"id": alert.detection_id, "type": DETECTION_TYPES.get(alert.type, "RULE"),
                      "version": alert.detection_version, "name": alert.detection_name},
        "assignee": {"id": alert.assignee, "type": "user"} if alert.assignee else None,
        "runbook": alert.runbook,
        "description": alert.description,
        "reference": alert.reference,
        "context": alert.alert_context,
        "logTypes": list(alert.log_types),
        "destinations": list(alert.destinations),
        "dedupString": alert.dedup,
        "tags": list(alert.tags),
        "reports": alert.reports,
    }
    if full and store is not None:
        document["deliveries"] = [{
            "dispatchedAt": iso_utc(a.at), "label": a.destination_name, "outputId": a.destination_id or
            a.destination_name, "statusCode": a.status_code or 0, "success": a.ok,
            "message": a.error or a.response, "attempt": a.attempt, "retryable": a.retryable,
        } for a in store.alerts.attempts(alert.id)]
        document["history"] = [{
            "at": iso_utc(h.at), "actor": h.actor, "action": h.action, "field": h.field, "old": h.old, "new": h.new,
        } for h in store.alerts.history(alert.id)]
    return document


def _store(request: Request) -> Any:
    return request.app.state.server.store


def _status(value: str | None) -> str | None:
    if value is None:
        return None
    status = value.lower()
    if status not in ALERT_STATUSES:
        raise HTTPException(400, f"status must be one of {', '.join(s.upper() for s in ALERT_STATUSES)}")
    return status


def _actor(principal: Principal) -> str:
    return str(getattr(principal, "email", "") or getattr(principal, "name", "") or principal.id)


@router.get("/alerts", summary="List alerts")
async def list_alerts(
    request: Request,
    principal: AlertReader,
    type: Annotated[Literal["ALERT", "DETECTION_ERROR", "SYSTEM_ERROR"], Query()] = "ALERT",  # noqa: A002
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 25,
    created_after: Annotated[datetime | None, Query(alias="created-after")] = None,
    created_before: Annotated[datetime | None, Query(alias="created-before")] = None,
    detection_id: Annotated[str | None, Query(alias="detection-id")] = None,
    sort_dir: Annotated[Literal["asc", "desc"], Query(alias="sort-dir")] = "desc",
    name_contains: Annotated[str | None, Query(alias="name-contains")] = None,
    log_type: Annotated[str | None, Query(alias="log-type")] = None,
    status: Annotated[list[str] | None, Query()] = None,
    severity: Annotated[list[str] | None, Query()] = None,
    assignee: str | None = None,
    event_count_min: Annotated[int | None, Query(alias="event-count-min", ge=0)] = None,
    event_count_max: Annotated[int | None, Query(alias="event-count-max", ge=0)] = None,
) -> dict[str, Any]:
    store = _store(request)
    if type == "SYSTEM_ERROR":  # Onca keeps these apart (see /system-errors); listed here as Panther does
        errors = await asyncio.to_thread(store.system_errors.list, limit=limit)
        return {"results": [system_error_json(e) for e in errors], "next": None}
    statuses = [_status(s) for s in status or []]
    if log_type and not principal.can_read_log_type(log_type):
        raise HTTPException(403, f"your role may not read log type {log_type}")

    def page() -> tuple[list[AlertRecord], str | None]:
        return store.alerts.list(
            type=ALERT_KINDS[type], status=statuses or None, severity=[s.upper() for s in severity or []] or None,
            detection_id=detection_id, assignee=assignee, text=name_contains, since=created_after,
            until=created_before, log_type=log_type, min_events=event_count_min, max_events=event_count_max,
            oldest_first=sort_dir == "asc", limit=limit, cursor=cursor)

    try:
        alerts, next_cursor = await asyncio.to_thread(page)
    except (InvalidCursor, InvalidValue) as exc:
        raise HTTPException(400, str(exc)) from None
    visible = [a for a in alerts if _visible(principal, a)]
    return {"results": [alert_json(a) for a in visible], "next": next_cursor}


def _visible(principal: Principal, alert: AlertRecord) -> bool:
    """An alert about log types a role may not read is hidden from it (alerts without log types are not)."""
    return all(principal.can_read_log_type(t) for t in alert.log_types)


def _get(store: Any, principal: Principal, alert_id: str) -> AlertRecord:
    alert = store.alerts.get(alert_id)
    if alert is None or not _visible(principal, alert):
        raise HTTPException(404, f"no alert with id {alert_id!r}")
    return alert


@router.get("/alerts/{id}", summary="Get an alert with its deliveries and history")
async def get_alert(id: str, request: Request, principal: AlertReader) -> dict[str, Any]:  # noqa: A002
    store = _store(request)

    def load() -> dict[str, Any]:
        return alert_json(_get(store, principal, id), store, full=True)

    return await asyncio.to_thread(load)


class AlertPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Status | None = None
    assignee: str | None = Field(None, description="User id or email; empty string unassigns.")


class BulkAlertPatch(AlertPatch):
    ids: list[str] = Field(min_length=1, max_length=1000)


def _apply(store: Any, principal: Principal, alert_id: str, patch: AlertPatch) -> AlertRecord:
    _get(store, principal, alert_id)
    try:
        return store.alerts.update(alert_id, status=_status(patch.status), assignee=patch.assignee,
                                   actor=_actor(principal))
    except NotFound:
        raise HTTPException(404, f"no alert with id {alert_id!r}") from None


@router.patch("/alerts/{id}", summary="Update an alert's status or assignee")
async def update_alert(id: str, patch: AlertPatch, request: Request,  # noqa: A002
                       principal: AlertWriter) -> dict[str, Any]:
    store = _store(request)
    return alert_json(await asyncio.to_thread(_apply, store, principal, id, patch))


@router.patch("/alerts", status_code=204, summary="Update the status or assignee of many alerts")
async def update_alerts(patch: BulkAlertPatch, request: Request, principal: AlertWriter) -> None:
    store = _store(request)
    if patch.status is None and patch.assignee is None:
        raise HTTPException(400, "give a status, an assignee or both")

    def apply_all() -> None:
        missing = [i for i in patch.ids if store.alerts.get(i) is None]
        if missing:
            raise HTTPException(404, f"no alert with id {missing[0]!r}")
        with store.transaction():
            for alert_id in patch.ids:
                _apply(store, principal, alert_id, patch)

    await asyncio.to_thread(apply_all)


@router.get("/alerts/{id}/events", summary="The events of an alert, from the rule matches in the lake")
async def alert_events(id: str, request: Request, principal: AlertReader,  # noqa: A002
                       cursor: str | None = None,
                       limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 25) -> dict[str, Any]:
    server = request.app.state.server
    alert = await asyncio.to_thread(_get, server.store, principal, id)
    try:
        offset = int(cursor) if cursor else 0
    except ValueError:
        raise HTTPException(400, f"cursor {cursor!r} is not one this API returned") from None
    if offset < 0:
        raise HTTPException(400, "cursor must not be negative")
    from onca.api.events import alert_events as read_events

    rows = await asyncio.to_thread(read_events, server, alert, offset, limit + 1)
    more = len(rows) > limit
    return {"results": rows[:limit], "next": str(offset + limit) if more else None}


class CommentRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    alert_id: str = Field(alias="alertId")
    body: str = Field(min_length=1, max_length=100_000)
    format: Literal["PLAIN_TEXT", "HTML"] = "PLAIN_TEXT"


def _comment_json(alert_id: str, index: int, comment: Any) -> dict[str, Any]:
    return {"id": f"{alert_id}-{index}", "alertId": alert_id, "body": comment.body, "format": "PLAIN_TEXT",
            "createdAt": iso_utc(comment.at), "createdBy": {"id": comment.author, "type": "user"}}


@router.get("/alert-comments", summary="The comments of an alert")
async def list_comments(request: Request, principal: AlertReader,
                        alert_id: Annotated[str, Query(alias="alert-id")]) -> dict[str, Any]:
    store = _store(request)

    def load() -> list[dict[str, Any]]:
        _get(store, principal, alert_id)
        return [_comment_json(alert_id, i, c) for i, c in enumerate(store.alerts.comments(alert_id), 1)]

    return {"results": await asyncio.to_thread(load), "next": None}


@router.post("/alert-comments", summary="Comment on an alert")
async def add_comment(comment: CommentRequest, request: Request, principal: AlertWriter) -> dict[str, Any]:
    store = _store(request)

    def add() -> dict[str, Any]:
        _get(store, principal, comment.alert_id)
        try:
            created = store.alerts.add_comment(comment.alert_id, author=_actor(principal), body=comment.body)
        except InvalidValue as exc:
            raise HTTPException(400, str(exc)) from None
        count = len(store.alerts.comments(comment.alert_id))
        return _comment_json(comment.alert_id, count, created)

    return await asyncio.to_thread(add)
