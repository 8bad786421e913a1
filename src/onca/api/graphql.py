"""GraphQL over the same domain as REST, at ``/graphql`` and at Panther's ``/public/graphql``.

Panther's data-lake calls work as its clients send them: ``executeDataLakeQuery(input: {sql, databaseName})``
returns ``{id}``, and ``dataLakeQuery(id) { status message results(input: {cursor, pageSize}) { edges { node }
pageInfo { hasNextPage endCursor } columnInfo { order types } stats { bytesScanned executionTime rowCount } } }``
pages through the rows. Alerts, detections, bulk upload of content, log sources, metrics, users and roles are
there too.
Authentication is the REST API's (X-API-Key, bearer token or session cookie); each field checks its permission.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import strawberry
from fastapi import HTTPException, Request
from strawberry.fastapi import GraphQLRouter
from strawberry.scalars import JSON
from strawberry.types import Info

from onca.api.alerts import ALERT_KINDS, alert_json
from onca.api.auth import authenticate
from onca.api.auth.views import role_json, user_json
from onca.api.queries import job_json, owned_job, page_offset, start_query
from onca.store import every_page


class Denied(Exception):
    """Shown to the client as the GraphQL error's message."""


def _principal(info: Info, permission: str) -> Any:
    principal = info.context["principal"]
    if principal is None:
        raise Denied("authentication required: send an API token in X-API-Key")
    if not principal.has(permission):
        raise Denied(f"permission {permission} required")
    return principal


def _server(info: Info) -> Any:
    return info.context["request"].app.state.server


def _http(exc: HTTPException) -> Denied:
    return Denied(str(exc.detail))


# Data-lake queries
@strawberry.input
class ExecuteDataLakeQueryInput:
    sql: str
    database_name: str | None = "panther_logs"


@strawberry.type
class ExecuteDataLakeQueryOutput:
    id: strawberry.ID


@strawberry.input
class DataLakeQueryResultsInput:
    cursor: str | None = None
    page_size: int | None = 100


@strawberry.type
class Edge:
    node: JSON


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class ColumnInfo:
    order: list[str]
    types: JSON


@strawberry.type
class QueryStats:
    bytes_scanned: float
    execution_time: float
    row_count: int


@strawberry.type
class DataLakeQueryResults:
    edges: list[Edge]
    page_info: PageInfo
    column_info: ColumnInfo
    stats: QueryStats


@strawberry.type
class DataLakeQuery:
    id: strawberry.ID
    status: str
    message: str
    sql: str
    started_at: str | None
    completed_at: str | None
    _owner: strawberry.Private[Any]

    @strawberry.field
    def results(self, info: Info, input: DataLakeQueryResultsInput | None = None) -> DataLakeQueryResults:  # noqa: A002
        principal = _principal(info, "DataAnalyticsRead")
        page = input or DataLakeQueryResultsInput()
        try:
            job = owned_job(_server(info), principal, str(self.id))
            document = job_json(job, page_offset(page.cursor), max(1, min(page.page_size or 100, 1000)))
        except HTTPException as exc:
            raise _http(exc) from None
        stats = document["stats"]
        return DataLakeQueryResults(
            edges=[Edge(node=row) for row in _jsonable(document["results"])],
            page_info=PageInfo(has_next_page=document["next"] is not None, end_cursor=document["next"]),
            column_info=ColumnInfo(order=document["columnInfo"]["order"], types=document["columnInfo"]["types"]),
            stats=QueryStats(bytes_scanned=stats["bytesScanned"], execution_time=stats["executionTime"],
                             row_count=stats["rowCount"]))


def _jsonable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(rows)


def _query_of(job: Any) -> DataLakeQuery:
    document = job_json(job, 0, 0)
    return DataLakeQuery(id=strawberry.ID(job.id), status=job.status, message=job.message, sql=job.sql,
                         started_at=document["startedAt"], completed_at=document["completedAt"], _owner=job.owner)


# Alerts
@strawberry.type
class Alert:
    id: strawberry.ID
    type: str
    status: str
    severity: str
    title: str
    created_at: str
    updated_at: str
    first_event_occurred_at: str
    last_received_event_at: str
    event_count: int
    detection_id: str
    assignee: str | None
    log_types: list[str]
    context: JSON
    runbook: str

    @classmethod
    def of(cls, record: Any) -> Alert:
        doc = alert_json(record)
        return cls(id=strawberry.ID(doc["id"]), type=doc["type"], status=doc["status"], severity=doc["severity"],
                   title=doc["title"], created_at=doc["createdAt"], updated_at=doc["updatedAt"],
                   first_event_occurred_at=doc["firstEventOccurredAt"],
                   last_received_event_at=doc["lastReceivedEventAt"], event_count=doc["eventCount"],
                   detection_id=doc["detection"]["id"], assignee=(doc["assignee"] or {}).get("id"),
                   log_types=doc["logTypes"], context=_jsonable([doc["context"]])[0], runbook=doc["runbook"])


@strawberry.type
class AlertEdge:
    node: Alert


@strawberry.type
class AlertsOutput:
    edges: list[AlertEdge]
    page_info: PageInfo


@strawberry.input
class AlertsInput:
    cursor: str | None = None
    page_size: int | None = 25
    type: str | None = "ALERT"
    status: list[str] | None = None
    severity: list[str] | None = None
    detection_id: str | None = None
    created_at_after: datetime | None = None
    created_at_before: datetime | None = None
    name_contains: str | None = None
    log_type: str | None = None


@strawberry.input
class UpdateAlertStatusInput:
    ids: list[strawberry.ID]
    status: str


@strawberry.type
class UpdateAlertsOutput:
    alerts: list[Alert]


# Log sources, metrics, users and roles
@strawberry.type
class LogSource:
    integration_id: str
    integration_label: str
    log_types: list[str]
    auth_method: str
    log_stream_type: str


@strawberry.type
class SourceMetric:
    source: str
    log_type: str
    events: int


@strawberry.type
class Metrics:
    events: list[SourceMetric]
    classification_failures: int
    alerts_created: int
    spool_payloads: int


def _visible(principal: Any, alert: Any) -> bool:
    return all(principal.can_read_log_type(t) for t in alert.log_types)


@strawberry.input
class DetectionsInput:
    cursor: str | None = None
    page_size: int | None = 100
    name_contains: str | None = None
    analysis_types: list[str] | None = None  # RULE, SCHEDULED_RULE, SIMPLE_RULE, CORRELATION_RULE, POLICY
    log_types: list[str] | None = None
    severity: list[str] | None = None
    enabled: bool | None = None


@strawberry.type
class DetectionsOutput:
    edges: list[Edge]
    page_info: PageInfo


# GraphQL analysis types -> the REST resource holding them, and the permission to read it
DETECTION_TYPES = {"RULE": ("rules", "RuleRead"), "SCHEDULED_RULE": ("scheduled-rules", "RuleRead"),
                   "SIMPLE_RULE": ("simple-rules", "RuleRead"), "CORRELATION_RULE": ("correlation-rules", "RuleRead"),
                   "POLICY": ("policies", "PolicyRead")}


def _detections(info: Info, query: DetectionsInput) -> list[dict[str, Any]]:
    """Every detection the caller may read that the filters keep, sorted by id, in the REST API's shapes
    with ``analysisType``."""
    from onca.api.detections import RESOURCES

    principal = info.context["principal"]
    if principal is None:
        raise Denied("authentication required: send an API token in X-API-Key")
    wanted = [t.upper() for t in query.analysis_types or DETECTION_TYPES]
    unknown = [t for t in wanted if t not in DETECTION_TYPES]
    if unknown:
        raise Denied(f"analysisTypes: unknown {', '.join(unknown)}; use {', '.join(DETECTION_TYPES)}")
    readable = [t for t in wanted if principal.has(DETECTION_TYPES[t][1])]
    if not readable:
        raise Denied(f"permission {DETECTION_TYPES[wanted[0]][1]} required")
    catalog = _server(info).content
    found = []
    for analysis_type in readable:
        resource = DETECTION_TYPES[analysis_type][0]
        for item in catalog.by_resource[resource].values():
            shaped = {**RESOURCES[resource][1](item), "analysisType": analysis_type}
            if _keeps(shaped, query):
                found.append(shaped)
    return sorted(found, key=lambda d: d["id"])


def _keeps(detection: dict[str, Any], query: DetectionsInput) -> bool:
    text = f"{detection['id']} {detection.get('displayName', '')}".lower()
    if query.name_contains and query.name_contains.lower() not in text:
        return False
    types = detection.get("logTypes") or detection.get("resourceTypes") or []
    if query.log_types and not set(query.log_types) & set(types):
        return False
    if query.severity and detection.get("severity") not in {s.upper() for s in query.severity}:
        return False
    return query.enabled is None or detection.get("enabled") == query.enabled


@strawberry.type
class Query:
    @strawberry.field
    def detections(self, info: Info, input: DetectionsInput | None = None) -> DetectionsOutput:  # noqa: A002
        """Rules, scheduled rules, simple rules, correlation rules and policies, paged by id."""
        query = input or DetectionsInput()
        found = _detections(info, query)
        start = next((n for n, d in enumerate(found) if d["id"] > query.cursor), len(found)) if query.cursor else 0
        page = found[start:start + max(1, min(query.page_size or 100, 1000))]
        more = start + len(page) < len(found)
        return DetectionsOutput(edges=[Edge(node=d) for d in page],
                                page_info=PageInfo(has_next_page=more, end_cursor=page[-1]["id"] if more else None))

    @strawberry.field
    def detection(self, info: Info, id: strawberry.ID) -> JSON | None:  # noqa: A002
        """One detection by id, with its ``analysisType``; null when there is none the caller may read."""
        found = [d for d in _detections(info, DetectionsInput()) if d["id"] == str(id)]
        return found[0] if found else None

    @strawberry.field
    def data_lake_query(self, info: Info, id: strawberry.ID) -> DataLakeQuery:  # noqa: A002
        principal = _principal(info, "DataAnalyticsRead")
        try:
            return _query_of(owned_job(_server(info), principal, str(id)))
        except HTTPException as exc:
            raise _http(exc) from None

    @strawberry.field
    async def alerts(self, info: Info, input: AlertsInput | None = None) -> AlertsOutput:  # noqa: A002
        principal = _principal(info, "AlertRead")
        query = input or AlertsInput()
        kinds = ALERT_KINDS.get(query.type or "ALERT")
        if kinds is None:
            raise Denied(f"type must be one of {', '.join(ALERT_KINDS)}")
        store = _server(info).store
        try:
            records, next_cursor = await asyncio.to_thread(
                store.alerts.list, type=kinds, status=[s.lower() for s in query.status or []] or None,
                severity=[s.upper() for s in query.severity or []] or None, detection_id=query.detection_id,
                since=query.created_at_after, until=query.created_at_before, text=query.name_contains,
                log_type=query.log_type, limit=max(1, min(query.page_size or 25, 50)), cursor=query.cursor)
        except ValueError as exc:
            raise Denied(str(exc)) from None
        return AlertsOutput(edges=[AlertEdge(node=Alert.of(r)) for r in records if _visible(principal, r)],
                            page_info=PageInfo(has_next_page=next_cursor is not None, end_cursor=next_cursor))

    @strawberry.field
    async def alert(self, info: Info, id: strawberry.ID) -> Alert | None:  # noqa: A002
        principal = _principal(info, "AlertRead")
        record = await asyncio.to_thread(_server(info).store.alerts.get, str(id))
        return Alert.of(record) if record is not None and _visible(principal, record) else None

    @strawberry.field
    def log_sources(self, info: Info) -> list[LogSource]:
        _principal(info, "LogSourceRead")
        return [LogSource(integration_id=s.integration_id, integration_label=s.integration_label,
                          log_types=list(s.log_types), auth_method=s.auth_method, log_stream_type=s.log_stream_type)
                for s in _server(info).service.sources.values()]

    @strawberry.field
    def metrics(self, info: Info) -> Metrics:
        _principal(info, "SummaryRead")
        service = _server(info).service
        counts = service.source_counts()
        events = [SourceMetric(source=s, log_type=t, events=n)
                  for s, c in sorted(counts.items()) for t, n in sorted(c.events.items())]
        stage = service.detection.stage if service.detection is not None else None
        return Metrics(events=events, classification_failures=sum(c.failures for c in counts.values()),
                       alerts_created=stage.counts["alerts"] if stage is not None else 0,
                       spool_payloads=service.spool.depth()[0])

    @strawberry.field
    async def users(self, info: Info) -> list[JSON]:
        """Users as the REST API shows them (GET /api/v1/users)."""
        _principal(info, "UserRead")
        store = _server(info).store

        def load() -> list[dict[str, Any]]:
            roles = {r.id: r for r in every_page(store.roles.list)}
            return [user_json(u, roles.get(u.role_id)) for u in every_page(store.users.list)]

        return await asyncio.to_thread(load)

    @strawberry.field
    def detection_entities_upload_status(self, info: Info,
                                         receipt_id: strawberry.ID) -> DetectionEntitiesUploadStatusOutput | None:
        _principal(info, "BulkUpload")
        upload = _server(info).uploads.get(str(receipt_id))
        if upload is None:
            return None
        result = UploadDetectionEntitiesOutput.of(upload.result) if upload.result is not None else None
        return DetectionEntitiesUploadStatusOutput(created_at=upload.created_at, status=upload.status,
                                                   error=upload.error, mode="CLASSIC_ZIP", result=result)

    @strawberry.field
    async def roles(self, info: Info) -> list[JSON]:
        """Roles as the REST API shows them (GET /api/v1/roles)."""
        _principal(info, "UserRead")
        store = _server(info).store
        return await asyncio.to_thread(lambda: [role_json(r) for r in every_page(store.roles.list)])


@strawberry.type
class UploadStatistics:
    new: int
    new_ids: list[strawberry.ID] | None
    modified: int
    modified_ids: list[strawberry.ID] | None
    deleted: int
    deleted_ids: list[strawberry.ID] | None
    total: int

    @classmethod
    def of(cls, stats: dict[str, Any]) -> UploadStatistics:
        return cls(new=stats["new"], new_ids=stats["newIds"], modified=stats["modified"],
                   modified_ids=stats["modifiedIds"], deleted=stats["deleted"], deleted_ids=stats["deletedIds"],
                   total=stats["total"])


@strawberry.type
class UploadDetectionEntitiesOutput:
    correlation_rules: UploadStatistics
    data_models: UploadStatistics
    global_helpers: UploadStatistics
    lookup_tables: UploadStatistics
    policies: UploadStatistics
    queries: UploadStatistics
    rules: UploadStatistics

    @classmethod
    def of(cls, result: dict[str, Any]) -> UploadDetectionEntitiesOutput:
        return cls(**{_snake(group): UploadStatistics.of(stats) for group, stats in result.items()})


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


@strawberry.input
class UploadDetectionEntitiesInput:
    data: str  # the zip archive, base64
    mode: str | None = "CLASSIC_ZIP"


@strawberry.type
class UploadDetectionEntitiesAsyncOutput:
    receipt_id: strawberry.ID


@strawberry.type
class DetectionEntitiesUploadStatusOutput:
    created_at: datetime
    status: str  # PENDING, FAILED, COMPLETED
    error: str | None
    mode: str
    result: UploadDetectionEntitiesOutput | None


def _upload(info: Info, input: UploadDetectionEntitiesInput) -> dict[str, Any]:  # noqa: A002
    from onca.api.bulk_upload import UploadFailed, decode_base64_archive, upload_archive

    if (input.mode or "CLASSIC_ZIP") != "CLASSIC_ZIP":
        raise Denied("only CLASSIC_ZIP uploads (a panther-analysis tree) are accepted")
    try:
        return upload_archive(_server(info), decode_base64_archive(input.data))
    except UploadFailed as exc:
        raise Denied(f"nothing was uploaded: {exc}") from None


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def upload_detection_entities(self, info: Info,
                                        input: UploadDetectionEntitiesInput) -> UploadDetectionEntitiesOutput:  # noqa: A002
        _principal(info, "BulkUpload")
        return UploadDetectionEntitiesOutput.of(await asyncio.to_thread(_upload, info, input))

    @strawberry.mutation
    def upload_detection_entities_async(self, info: Info,
                                        input: UploadDetectionEntitiesInput) -> UploadDetectionEntitiesAsyncOutput:  # noqa: A002
        _principal(info, "BulkUpload")
        receipt = _server(info).uploads.start(lambda: _upload(info, input))
        return UploadDetectionEntitiesAsyncOutput(receipt_id=strawberry.ID(receipt))
    @strawberry.mutation
    def execute_data_lake_query(self, info: Info, input: ExecuteDataLakeQueryInput) -> ExecuteDataLakeQueryOutput:  # noqa: A002
        principal = _principal(info, "DataAnalyticsRead")
        try:
            job = start_query(_server(info), principal, input.sql, input.database_name or "panther_logs")
        except HTTPException as exc:
            raise _http(exc) from None
        return ExecuteDataLakeQueryOutput(id=strawberry.ID(job.id))

    @strawberry.mutation
    def cancel_data_lake_query(self, info: Info, id: strawberry.ID) -> DataLakeQuery:  # noqa: A002
        principal = _principal(info, "DataAnalyticsRead")
        server = _server(info)
        try:
            owned_job(server, principal, str(id))
        except HTTPException as exc:
            raise _http(exc) from None
        return _query_of(server.queries.cancel(str(id)))

    @strawberry.mutation
    async def update_alert_status_by_id(self, info: Info, input: UpdateAlertStatusInput) -> UpdateAlertsOutput:  # noqa: A002
        principal = _principal(info, "AlertModify")
        store = _server(info).store
        actor = str(getattr(principal, "email", "") or principal.id)

        def update() -> list[Any]:
            updated = []
            for alert_id in input.ids:
                record = store.alerts.get(str(alert_id))
                if record is None or not _visible(principal, record):
                    raise Denied(f"no alert with id {alert_id!r}")
                updated.append(store.alerts.update(str(alert_id), status=input.status.lower(), actor=actor))
            return updated

        try:
            records = await asyncio.to_thread(update)
        except ValueError as exc:
            raise Denied(str(exc)) from None
        return UpdateAlertsOutput(alerts=[Alert.of(r) for r in records])


schema = strawberry.Schema(query=Query, mutation=Mutation)


async def _context(request: Request) -> dict[str, Any]:
    principal = await asyncio.to_thread(authenticate, request)
    if principal is not None:
        request.state.principal = principal  # for the audit log
    return {"request": request, "principal": principal}


def graphql_router() -> GraphQLRouter:
    return GraphQLRouter(schema, context_getter=_context, graphql_ide=None)
