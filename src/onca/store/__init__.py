"""The metadata store: alerts and their deliveries, comments and history; system errors; detection alerting
state; compliance; deduplication windows; users, roles, API tokens and sign-in sessions. SQLite by default,
PostgreSQL by URL; the schema is kept current by the Alembic migrations shipped in `onca.store.migrations`.

A lower layer: it imports nothing else from Onca and returns its own plain dataclasses.
"""

from onca.store.alerts import SYSTEM_ACTOR, new_id
from onca.store.destinations import DestinationRecord
from onca.store.errors import Conflict, InvalidCursor, InvalidValue, NotFound, StoreError
from onca.store.lookup_tables import LookupTableData, LookupTableRecord
from onca.store.records import (
    ACTOR_TYPES,
    ALERT_SEVERITIES,
    ALERT_STATUSES,
    ALERT_TYPES,
    COMPLIANCE_STATUSES,
    LOG_TYPE_ACCESS_KINDS,
    ActorRef,
    AlertRecord,
    ApiTokenRecord,
    Comment,
    CustomSchemaRecord,
    ComplianceEntry,
    DedupWindow,
    DeliveryAttempt,
    DetectionState,
    HistoryEntry,
    LogSourceRecord,
    SavedQueryRecord,
    RoleRecord,
    SystemErrorRecord,
    UserRecord,
    UserSessionRecord,
)
from onca.store.paging import every_page
from onca.store.store import Store, open_store
from onca.store.tokens import SYSTEM
from onca.store.users import check_email
from onca.store.windows import window_key

__all__ = [
    "ACTOR_TYPES",
    "ALERT_SEVERITIES",
    "ALERT_STATUSES",
    "ALERT_TYPES",
    "COMPLIANCE_STATUSES",
    "LOG_TYPE_ACCESS_KINDS",
    "SYSTEM",
    "SYSTEM_ACTOR",
    "ActorRef",
    "AlertRecord",
    "ApiTokenRecord",
    "Comment",
    "CustomSchemaRecord",
    "ComplianceEntry",
    "Conflict",
    "DedupWindow",
    "DeliveryAttempt",
    "DestinationRecord",
    "DetectionState",
    "HistoryEntry",
    "LogSourceRecord",
    "LookupTableData",
    "LookupTableRecord",
    "SavedQueryRecord",
    "InvalidCursor",
    "InvalidValue",
    "NotFound",
    "RoleRecord",
    "Store",
    "StoreError",
    "SystemErrorRecord",
    "UserRecord",
    "UserSessionRecord",
    "check_email",
    "every_page",
    "new_id",
    "open_store",
    "window_key",
]
