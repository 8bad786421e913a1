"""How detection output lands in the lake: rule matches, signals and rule errors as rows.

Each of `panther_rule_matches`, `panther_signals` and `panther_rule_errors` holds one table per log type with the
log type's own columns plus the detection columns below, so a query written against `panther_logs.x` works on
`panther_rule_matches.x` too, and the union views (`panther_views.all_rule_matches`, ...) line up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa

from onca.detect.findings import Finding
from onca.ingest.columns import TIMESTAMP, arrow_schema, json_columns, row_converter
from onca.lake.layout import RULE_ERRORS, RULE_MATCHES, SIGNALS, table_name
from onca.schema.model import LogSchema

DETECTION_COLUMNS = (
    ("p_rule_id", pa.string()),
    ("p_rule_severity", pa.string()),
    ("p_rule_tags", pa.list_(pa.string())),
    ("p_rule_reports", pa.string()),  # JSON: framework -> ids
    ("p_alert_id", pa.string()),
    ("p_alert_severity", pa.string()),
    ("p_alert_context", pa.string()),  # JSON
    ("p_alert_creation_time", TIMESTAMP),
    ("p_alert_update_time", TIMESTAMP),
)
ERROR_COLUMN = ("p_rule_error", pa.string())
DETECTION_JSON_COLUMNS = ("p_rule_reports", "p_alert_context")
DATABASE_OF_KIND = {"match": RULE_MATCHES, "signal": SIGNALS, "error": RULE_ERRORS}


def detection_schema(schema: LogSchema, *, errors: bool = False) -> pa.Schema:
    fields = list(arrow_schema(schema)) + [pa.field(n, t) for n, t in DETECTION_COLUMNS]
    if errors:
        fields.append(pa.field(*ERROR_COLUMN))
    return pa.schema(fields)


def detection_json_columns(schemas: list[LogSchema]) -> dict[str, list[str]]:
    """The JSON columns of every detection table, for the lake's query views."""
    mapping: dict[str, list[str]] = {}
    for schema in schemas:
        columns = json_columns(schema) + list(DETECTION_JSON_COLUMNS)
        for database in DATABASE_OF_KIND.values():
            mapping[f"{database}.{table_name(schema.name)}"] = columns
    return mapping


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


class DetectionRows:
    """Rows for one log type's detection tables."""

    def __init__(self, schema: LogSchema):
        self.table = table_name(schema.name)
        self.match_schema = detection_schema(schema)
        self.error_schema = detection_schema(schema, errors=True)
        self._convert: Callable[[dict[str, Any]], dict[str, Any]] = row_converter(schema)

    def schema_for(self, kind: str) -> pa.Schema:
        return self.error_schema if kind == "error" else self.match_schema

    def row(self, finding: Finding, *, alert_id: str | None, alert_created: datetime | None,
            updated: datetime) -> dict[str, Any]:
        row = self._convert(finding.event)
        row.update(
            p_rule_id=finding.detection_id,
            p_rule_severity=finding.severity,
            p_rule_tags=list(finding.tags),
            p_rule_reports=_json(finding.reports),
            p_alert_id=alert_id,
            p_alert_severity=finding.severity if alert_id else None,
            p_alert_context=_json(finding.alert_context),
            p_alert_creation_time=alert_created,
            p_alert_update_time=updated if alert_id else None,
        )
        if finding.kind == "error":
            row["p_rule_error"] = finding.error
        return row
