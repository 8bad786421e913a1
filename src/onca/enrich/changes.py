"""Changing lookup tables created through the API: each change is written to the metadata store, then put live
(enrichment, ``event.lookup`` and the lake copy), so the next events see it.

Tables of content trees and of the config file are changed in their files, never here. Changes are made one at a
time, so the store and the live tables always agree on the last one.
"""

from __future__ import annotations

import threading
from typing import Any

from onca.enrich.definition import LookupTableDefinition, LookupTableSettings
from onca.enrich.origins import UPLOAD, stored_table
from onca.enrich.rows import DataError, data_format, decode_text
from onca.enrich.service import LookupService
from onca.enrich.table import LookupTable, build_table


class TableNotFound(LookupError):
    def __str__(self) -> str:
        return str(self.args[0])


class TableConflict(ValueError):
    """The change would clash with another table, or the table is managed in a file."""


class TableInvalid(ValueError):
    """The settings or the data cannot be used; the message says why (and at which line)."""


class TableChanges:
    def __init__(self, service: LookupService, store: Any) -> None:
        self.service = service
        self.store = store  # onca.store.Store
        self._lock = threading.Lock()

    def _check(self, settings: LookupTableSettings, *, other_than: str | None = None) -> None:
        registry = self.service.registry
        if registry is not None:
            unknown = [a.log_type for a in settings.associated_log_types if a.log_type not in registry]
            if unknown:
                raise TableInvalid(f"unknown log types: {', '.join(unknown)}")
            if settings.log_schema and settings.log_schema not in registry:
                raise TableInvalid(f"schema {settings.log_schema!r} is not a log type; leave it out to keep values "
                                   "as the data has them")
        taken = self.service.conflicting(settings.lookup_name, other_than=other_than)
        if taken is not None:
            where = "the API" if taken.definition.managed_by == "api" else taken.definition.source or "its file"
            raise TableConflict(f"lookup table {taken.name!r} (defined in {where}) already has this name or lake "
                                f"table (panther_lookups.{taken.definition.lake_table})")

    def _own(self, table_id: str) -> LookupTable:
        table = self.service.find(table_id)
        if table is None:
            raise TableNotFound(f"no lookup table {table_id!r}")
        if table.definition.managed_by != "api":
            raise TableConflict(f"lookup table {table.name!r} is managed in {table.definition.source or 'a file'}; "
                                "change it there")
        return table

    def create(self, settings: LookupTableSettings, *, author: str = "") -> LookupTable:
        from onca.store import Conflict

        with self._lock:
            self._check(settings)
            try:
                record = self.store.lookup_tables.create(settings.lookup_name, settings.public(), created_by=author)
            except Conflict as exc:
                raise TableConflict(str(exc)) from None
            table = build_table(LookupTableDefinition(settings, "api", source="api"), None, table_id=record.id)
            self.service.put(table)
            return table

    def update(self, table_id: str, settings: LookupTableSettings) -> LookupTable:
        """Replace the settings; the stored data is read again under them (a new schema or key applies)."""
        from onca.store import Conflict, NotFound

        with self._lock:
            current = self._own(table_id)
            self._check(settings, other_than=current.name)
            try:
                record = self.store.lookup_tables.update(current.id, settings.lookup_name, settings.public())
            except NotFound as exc:
                raise TableNotFound(str(exc)) from None
            except Conflict as exc:
                raise TableConflict(str(exc)) from None
            definition = LookupTableDefinition(settings, "api", source="api")
            try:
                table = stored_table(record, self.store.lookup_tables.data(record.id),
                                     registry=self.service.registry, definition=definition)
            except DataError:
                table = build_table(definition, None, table_id=record.id)
            if current.name != table.name:
                self.service.remove(current.name)
            self.service.put(table)
            return table

    def delete(self, table_id: str) -> LookupTable:
        from onca.store import NotFound

        with self._lock:
            current = self._own(table_id)
            try:
                self.store.lookup_tables.delete(current.id)
            except NotFound as exc:
                raise TableNotFound(str(exc)) from None
            self.service.remove(current.name)
            return current

    def upload(self, table_id: str, data: bytes, *, fmt: str | None = None, media_type: str | None = None,
               author: str = "") -> LookupTable:
        """Replace the table's rows with those of ``data`` (CSV or JSON lines). Rows that cannot be used are
        left out and listed in the table's ``problems``; data of which no row can be used is refused, and the
        table keeps the rows it had. Data without rows (a CSV header alone) empties the table."""
        from onca.store import InvalidValue

        with self._lock:
            current = self._own(table_id)
            try:
                text = decode_text(data)
                fmt = fmt or data_format(media_type=media_type, data=text)
                table = build_table(current.definition, text, fmt=fmt, registry=self.service.registry,
                                    data_source=UPLOAD, table_id=current.id)
            except DataError as exc:
                raise TableInvalid(str(exc)) from None
            if not table.rows and table.problems:
                shown = "; ".join(str(p) for p in table.problems[:5])
                raise TableInvalid(f"no row of the data can be used ({shown}); the table keeps its rows")
            try:
                self.store.lookup_tables.put_data(current.id, text, fmt=fmt, uploaded_by=author)
            except InvalidValue as exc:
                raise TableInvalid(str(exc)) from None
            self.service.put(table)
            return table
