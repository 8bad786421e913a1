"""The events behind an alert: its rows in the rule-match (or signal, or rule-error) tables of the lake."""

from __future__ import annotations

from typing import Any

from onca.lake import table_name
from onca.runtime.lake_access import open_lake
from onca.runtime.rule_tables import DATABASE_OF_KIND
from onca.store import AlertRecord

_DATABASE_OF_ALERT = {"rule_error": DATABASE_OF_KIND["error"]}


def alert_events(server: Any, alert: AlertRecord, offset: int, limit: int) -> list[dict[str, Any]]:
    """Rows whose p_alert_id is the alert's, oldest event first. Rows still buffered for the lake are written
    first, so an alert's events are there as soon as the alert is."""
    server.service.writer.flush()
    lake = open_lake(server.paths.lake, server.registry)
    database = _DATABASE_OF_ALERT.get(alert.type, DATABASE_OF_KIND["match"])
    present = set(lake.tables())
    tables = [f"{database}.{table_name(t)}" for t in alert.log_types]
    tables = [t for t in tables if t in present]
    if not tables:
        return []
    union = " UNION ALL BY NAME ".join(f"SELECT * FROM {t} WHERE p_alert_id = $id" for t in tables)
    sql = f"SELECT * FROM ({union}) ORDER BY p_event_time, p_row_id LIMIT {int(limit)} OFFSET {int(offset)}"
    return lake.query(sql, {"id": alert.id}).to_pylist()
