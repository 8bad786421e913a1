"""The metadata store: alerts and their deliveries, comments and history; system errors; detection alerting
state; compliance; deduplication windows. SQLite by default, PostgreSQL by URL; the schema is kept current by
the Alembic migrations shipped in `onca.store.migrations`.

A lower layer: it imports nothing else from Onca and returns its own plain dataclasses.
"""

from onca.store.alerts import SYSTEM_ACTOR, new_id
from onca.store.errors import InvalidCursor, InvalidValue, NotFound, StoreError
from onca.store.records import (
    ALERT_SEVERITIES,
    ALERT_STATUSES,
    ALERT_TYPES,
    COMPLIANCE_STATUSES,
    AlertRecord,
    Comment,
    ComplianceEntry,
    DedupWindow,
    DeliveryAttempt,
    DetectionState,
    HistoryEntry,
    SystemErrorRecord,
)
from onca.store.store import Store, open_store
from onca.store.windows import window_key

__all__ = [
    "ALERT_SEVERITIES",
    "ALERT_STATUSES",
    "ALERT_TYPES",
    "COMPLIANCE_STATUSES",
    "SYSTEM_ACTOR",
    "AlertRecord",
    "Comment",
    "ComplianceEntry",
    "DedupWindow",
    "DeliveryAttempt",
    "DetectionState",
    "HistoryEntry",
    "InvalidCursor",
    "InvalidValue",
    "NotFound",
    "Store",
    "StoreError",
    "SystemErrorRecord",
    "new_id",
    "open_store",
    "window_key",
]
