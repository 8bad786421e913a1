"""The audit log: one Panther.Audit record per API action (who, what, when, from where, with which result).

Records go through the ingest service like any log, so they land in ``panther_logs.panther_audit``, are
searchable with SQL, and Panther's audit-log detections run on them. Action names follow Panther's where it has
them (CREATE_USER, UPDATE_USER_ROLE, DELETE_DETECTION, ...); other actions are named from the method and the
resource (LIST_ALERTS, GET_ALERT, UPDATE_ALERT).

Secrets in request bodies (passwords, tokens, secret values, the secret settings of alert destinations) are
replaced by "<redacted>" before recording.
"""

from __future__ import annotations

import asyncio
import logging
import re
from urllib.parse import parse_qsl, urlencode
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
from prometheus_client.core import CounterMetricFamily
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from onca import __version__
from onca.alerts.masking import secret_setting_names
from onca.runtime.service import AUDIT_SOURCE_ID

log = logging.getLogger(__name__)

AUDITED_PREFIXES = ("/api/", "/graphql", "/public/graphql")
MAX_BODY = 64 * 1024
REDACTED = "<redacted>"
_SECRET_KEY = re.compile(r"(password|secret|token|apikey|api_key|credential|private)", re.IGNORECASE)

# (method, route template) -> action name, where Panther has a name (its audit detections look for these)
PANTHER_ACTIONS = {
    ("POST", "/api/v1/users"): "CREATE_USER",
    ("POST", "/api/v1/users/{id}"): "UPDATE_USER",
    ("PUT", "/api/v1/users/{id}"): "UPDATE_USER",
    ("PATCH", "/api/v1/users/{id}"): "UPDATE_USER",
    ("DELETE", "/api/v1/users/{id}"): "DELETE_USER",
    ("POST", "/api/v1/users/{id}/reset-password"): "RESET_USER_PASSWORD",
    ("POST", "/api/v1/roles"): "CREATE_USER_ROLE",
    ("POST", "/api/v1/roles/{id}"): "UPDATE_USER_ROLE",
    ("PUT", "/api/v1/roles/{id}"): "UPDATE_USER_ROLE",
    ("PATCH", "/api/v1/roles/{id}"): "UPDATE_USER_ROLE",
    ("DELETE", "/api/v1/roles/{id}"): "DELETE_USER_ROLE",
    ("POST", "/api/v1/api-tokens"): "CREATE_API_TOKEN",
    ("POST", "/api/v1/api-tokens/{id}/rotate"): "ROTATE_API_TOKEN",
    ("DELETE", "/api/v1/api-tokens/{id}"): "DELETE_API_TOKEN",
    ("POST", "/api/v1/auth/login"): "SIGN_IN",
    ("GET", "/api/v1/auth/oidc/callback"): "SIGN_IN",
    ("POST", "/api/v1/auth/logout"): "SIGN_OUT",
    ("PATCH", "/api/v1/alerts"): "UPDATE_ALERTS",
    ("PATCH", "/api/v1/alerts/{id}"): "UPDATE_ALERT",
    ("POST", "/api/v1/alert-comments"): "CREATE_ALERT_COMMENT",
    ("POST", "/api/v1/data-lake/queries"): "EXECUTE_DATA_LAKE_QUERY",
    ("DELETE", "/api/v1/data-lake/queries/{id}"): "CANCEL_DATA_LAKE_QUERY",
    ("GET", "/api/v1/auth/me"): "GET_CURRENT_USER",
    ("POST", "/api/v1/log-sources/http"): "CREATE_LOG_SOURCE",
    ("PUT", "/api/v1/log-sources/http/{id}"): "UPDATE_LOG_SOURCE",
    ("DELETE", "/api/v1/log-sources/http/{id}"): "DELETE_LOG_SOURCE",
    ("POST", "/api/v1/destinations/{id}/test"): "SEND_TEST_ALERT",
    ("POST", "/api/v1/schemas"): "CREATE_OR_UPDATE_SCHEMA",
    ("POST", "/api/v1/queries"): "CREATE_SAVED_QUERY",
    ("POST", "/api/v1/queries/{id}"): "UPDATE_SAVED_QUERY",
    ("DELETE", "/api/v1/queries/{id}"): "DELETE_SAVED_QUERY",
    ("POST", "/api/v1/system-errors/{id}/resolve"): "RESOLVE_SYSTEM_ERROR",
}
_VERBS = {"GET": "GET", "POST": "CREATE", "PUT": "UPDATE", "PATCH": "UPDATE", "DELETE": "DELETE"}
_DETECTION_RESOURCES = ("rules", "scheduled-rules", "simple-rules", "policies", "correlation-rules")


def action_name(method: str, template: str) -> str:
    known = PANTHER_ACTIONS.get((method, template))
    if known:
        return known
    parts = [p for p in template.split("/") if p and p not in ("api", "v1")]
    if not parts:
        return f"{_VERBS.get(method, method)}_ROOT"
    if parts[0] in _DETECTION_RESOURCES and method in ("POST", "PUT", "PATCH", "DELETE"):
        return f"{_VERBS[method]}_DETECTION"
    item = parts[-1].startswith("{")
    words = []
    for i, part in enumerate(parts):
        if part.startswith("{"):
            continue
        followed_by_id = i + 1 < len(parts) and parts[i + 1].startswith("{")
        last = i == len(parts) - 1
        singular = followed_by_id or (last and method in ("POST", "PUT", "PATCH", "DELETE"))
        words.append(_singular(part) if singular else part)
    noun = "_".join(words).replace("-", "_").upper()
    verb = "LIST" if method == "GET" and not item else _VERBS.get(method, method)
    return f"{verb}_{noun}"


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


_FIRST_FIELD = re.compile(r"(?:query|mutation)?[^{]*\{\s*([A-Za-z_][A-Za-z0-9_]*)")


def graphql_action(request: dict[str, Any]) -> str:
    """GRAPHQL_<first root field>, e.g. GRAPHQL_EXECUTE_DATA_LAKE_QUERY."""
    match = _FIRST_FIELD.search(str(request.get("query", "")))
    name = match.group(1) if match else str(request.get("operationName") or "request")
    return "GRAPHQL_" + re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


_SECRET_PARAMS = ("code", "state", "id_token", "access_token")


def redact_query(query: str) -> str:
    """A query string with credentials (an OAuth code, state, tokens, secrets) replaced."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, REDACTED if k in _SECRET_PARAMS or _SECRET_KEY.search(k) else v) for k, v in pairs],
                     safe="<>")


def _is_secret_key(key: str) -> bool:
    return bool(_SECRET_KEY.search(key)) or key in secret_setting_names()


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (REDACTED if isinstance(k, str) and _is_secret_key(k) and v not in (None, "", {})
                    else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def actor_of(principal: Any, body: Any) -> dict[str, Any]:
    if principal is None:
        # an attempt without valid credentials: name whom it claimed to be, when it said
        claimed = body.get("email") or body.get("username") if isinstance(body, dict) else None
        return {"id": "", "type": "ANONYMOUS", "name": str(claimed or ""), "attributes": {}}
    kind = str(getattr(principal, "kind", "user")).upper()
    attributes: dict[str, Any] = {}
    email = getattr(principal, "email", None)
    if email:
        attributes["email"] = email
    role = getattr(principal, "role", None) or getattr(principal, "role_name", None)
    if role:
        attributes["roleName"] = str(role)
    return {"id": str(getattr(principal, "id", "")), "type": "TOKEN" if kind == "TOKEN" else "USER",
            "name": str(getattr(principal, "name", "") or email or ""), "attributes": attributes}


class AuditLog:
    def __init__(self, service: Any, *, clock: Any = None):
        self.service = service
        self.clock = clock or (lambda: datetime.now(UTC))
        self.recorded = 0
        self.failed = 0
        service.add_internal_source(AUDIT_SOURCE_ID, ("Panther.Audit",), "Onca audit log")

    def record(self, *, action: str, succeeded: bool, actor: dict[str, Any], params: dict[str, Any],
               errors: list[str], source_ip: str, forwarded_for: list[str], user_agent: str) -> dict[str, Any]:
        entry = {
            "actionName": action,
            "actionResult": "SUCCEEDED" if succeeded else "FAILED",
            "actionParams": params,
            "actor": actor,
            "errors": [{"message": e} for e in errors] or None,
            "sourceIP": source_ip,
            "XForwardedFor": forwarded_for,
            "userAgent": user_agent,
            "timestamp": self.clock().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "pantherVersion": __version__,
        }
        try:
            self.service.accept_events(AUDIT_SOURCE_ID, [entry])
            self.recorded += 1
        except Exception:  # noqa: BLE001 - the action happened; losing its record must not fail the request
            self.failed += 1
            log.exception("cannot record audit entry %s", action)
        return entry

    def metrics(self) -> Iterator[Any]:
        yield CounterMetricFamily("onca_audit_entries", "Audit log entries recorded", value=self.recorded)
        yield CounterMetricFamily("onca_audit_failures", "Audit log entries that could not be recorded",
                                  value=self.failed)


class AuditMiddleware:
    """Wraps the app: keeps a copy of the request body and the response status, then records the action."""

    def __init__(self, app: ASGIApp, audit: AuditLog):
        self.app = app
        self.audit = audit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(AUDITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        body = bytearray()
        status = {"code": 500}
        error_body = bytearray()

        async def receive_copy() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(body) < MAX_BODY:
                body.extend(message.get("body", b"")[: MAX_BODY - len(body)])
            return message

        async def send_copy(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            elif message["type"] == "http.response.body" and status["code"] >= 400 and len(error_body) < 4096:
                error_body.extend(message.get("body", b"")[:4096])
            await send(message)

        try:
            await self.app(scope, receive_copy, send_copy)
        finally:
            # recording spools the entry (an fsync): keep it off the event loop
            await asyncio.to_thread(self._record, scope, bytes(body), status["code"], bytes(error_body))

    def _record(self, scope: Scope, body: bytes, status: int, error_body: bytes) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or scope["path"]
        method = scope["method"]
        if method in ("HEAD", "OPTIONS"):
            return
        parsed: Any = None
        if body:
            try:
                parsed = orjson.loads(body)
            except orjson.JSONDecodeError:
                parsed = None
        params: dict[str, Any] = {}
        inputs = dict(scope.get("path_params") or {})
        if isinstance(parsed, dict):
            inputs.update(redact(parsed))
        elif parsed is not None:
            inputs["body"] = redact(parsed)
        if inputs:
            params["input"] = inputs
        query = scope.get("query_string", b"").decode("latin-1")
        if query:
            params["query"] = redact_query(query)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        forwarded = [p.strip() for p in headers.get("x-forwarded-for", "").split(",") if p.strip()]
        client = scope.get("client")
        principal = (scope.get("state") or {}).get("principal")
        action = action_name(method, template)
        if "run-tests-only=true" in query:
            action = "TEST_DETECTION"  # nothing is saved: the detection's tests ran
        if "graphql" in template and isinstance(parsed, dict):
            action = graphql_action(parsed)
            inputs = {"operationName": parsed.get("operationName"), "query": str(parsed.get("query", ""))[:4096],
                      "variables": redact(parsed.get("variables"))}
            params = {"input": inputs}
        self.audit.record(
            action=action, succeeded=status < 400, actor=actor_of(principal, parsed),
            params=params, errors=_errors(status, error_body), source_ip=client[0] if client else "",
            forwarded_for=forwarded, user_agent=headers.get("user-agent", ""))


def _errors(status: int, body: bytes) -> list[str]:
    if status < 400:
        return []
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return [f"HTTP {status}"]
    message = data.get("message") or data.get("detail") if isinstance(data, dict) else None
    return [message if isinstance(message, str) else f"HTTP {status}: {orjson.dumps(message).decode()[:500]}"]
