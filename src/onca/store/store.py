"""The metadata store: one object, opened from a URL, holding one repository per kind of record."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from onca.store.alerts import AlertRepo
from onca.store.compliance import ComplianceRepo
from onca.store.custom_schemas import CustomSchemaRepo
from onca.store.destinations import DestinationRepo
from onca.store.detections import DetectionRepo
from onca.store.engine import make_store_engine
from onca.store.log_sources import LogSourceRepo
from onca.store.lookup_tables import LookupTableRepo
from onca.store.login_sessions import SessionRepo
from onca.store.migrate import upgrade
from onca.store.records import AlertRecord
from onca.store.roles import RoleRepo
from onca.store.saved_queries import SavedQueryRepo
from onca.store.session import Transactions
from onca.store.system_errors import SystemErrorRepo
from onca.store.tokens import TokenRepo
from onca.store.users import UserRepo
from onca.store.windows import WindowRepo


class Store:
    """Repositories: `alerts`, `windows` (dedup state), `detections` (alerting suspension),
    `system_errors`, `compliance`, `users`, `roles`, `tokens` (API tokens), `sessions` (users' sign-in
    sessions), `log_sources` (sources created through the API), `saved_queries`, `custom_schemas`,
    `destinations` (alert destinations created through the API), `lookup_tables` (lookup tables created through
    the API, with their data). Each call is its own transaction unless made inside `transaction()`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._tx = Transactions(engine)
        self.alerts = AlertRepo(self._tx)
        self.windows = WindowRepo(self._tx)
        self.detections = DetectionRepo(self._tx)
        self.system_errors = SystemErrorRepo(self._tx)
        self.compliance = ComplianceRepo(self._tx)
        self.users = UserRepo(self._tx)
        self.roles = RoleRepo(self._tx)
        self.tokens = TokenRepo(self._tx)
        self.sessions = SessionRepo(self._tx)
        self.log_sources = LogSourceRepo(self._tx)
        self.saved_queries = SavedQueryRepo(self._tx)
        self.custom_schemas = CustomSchemaRepo(self._tx)
        self.destinations = DestinationRepo(self._tx)
        self.lookup_tables = LookupTableRepo(self._tx)

    @property
    def url(self) -> str:
        """The store's URL with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """Make the repository calls inside the block one transaction. A write transaction takes SQLite's
        write lock at once; on PostgreSQL rows are locked as they are read for update."""
        with self._tx.transaction(write=write) as session:
            yield session

    def get_alert(self, alert_id: str) -> AlertRecord | None:
        return self.alerts.get(alert_id)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Open the store at `url` (sqlite:///path/onca.db, sqlite:// for memory, postgresql://user@host/db) and
    bring its schema up to date."""
    engine = make_store_engine(url)
    if migrate:
        try:
            upgrade(engine)
        except Exception:
            engine.dispose()
            raise
    return Store(engine)
