"""The live lookup tables of one process, kept in step everywhere they are used.

Putting or removing a table takes effect at once: the enricher's plan is rebuilt (the next batch of events is
enriched with it), the shared file that answers ``event.lookup`` in detection workers is rewritten for that
table, and its copy in the lake (``panther_lookups.<name>``) is replaced.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa

from onca.enrich.content import content_tables
from onca.enrich.definition import DefinitionError, LookupTableDefinition, lake_table_name
from onca.enrich.enricher import Enricher
from onca.enrich.lake_copy import drop_lake_copy, write_lake_copy
from onca.enrich.rows import DataError
from onca.enrich.shared_file import SharedLookup, SharedTables
from onca.enrich.table import LookupTable, build_table, load_data_file
from onca.schema.registry import Registry

log = logging.getLogger(__name__)
PROBLEMS_SHOWN = 5  # bad rows named per table in a summary; the table keeps them all


@dataclass(frozen=True)
class TableProblem:
    """Something wrong while loading tables: ``subject`` is the table's name, or the file at fault."""

    subject: str
    message: str

    def __str__(self) -> str:
        return self.message


def describe_problems(table: LookupTable) -> str | None:
    """One line about the rows of ``table`` that were left out, or None when there were none."""
    if not table.problems:
        return None
    shown = "; ".join(str(p) for p in table.problems[:PROBLEMS_SHOWN])
    more = len(table.problems) - PROBLEMS_SHOWN
    return (f"lookup table {table.name}: {len(table.problems)} rows of {table.data_source or 'its data'} were "
            f"left out ({shown}{f'; and {more} more' if more > 0 else ''})")


class LookupService:
    """Holds the tables; ``apply`` is the ingest pipeline step that enriches events."""

    def __init__(self, registry: Registry | None = None, *, lake_root: Path | None = None,
                 shared_file: Path | None = None) -> None:
        self.registry = registry
        self.lake_root = lake_root
        self.shared = SharedTables(shared_file) if shared_file is not None else None
        self.enricher = Enricher()
        self._tables: dict[str, LookupTable] = {}
        self._lock = threading.RLock()

    # The pipeline step
    def apply(self, log_type: str, events: list[dict[str, Any]]) -> None:
        self.enricher.apply(log_type, events)

    @property
    def shared_path(self) -> Path | None:
        """The file detection workers read lookups from (None without one)."""
        return self.shared.path if self.shared is not None else None

    def lookup_function(self) -> SharedLookup | None:
        """What ``event.lookup`` calls in detection processes (None without a shared file)."""
        return SharedLookup(self.shared.path) if self.shared is not None else None

    # Reading
    def tables(self) -> list[LookupTable]:
        with self._lock:
            return sorted(self._tables.values(), key=lambda t: t.name)

    def get(self, name: str) -> LookupTable | None:
        return self._tables.get(name)

    def find(self, table_id: str) -> LookupTable | None:
        """The table with this id, else the one with this name."""
        with self._lock:
            for table in self._tables.values():
                if table.id == table_id:
                    return table
            return self._tables.get(table_id)

    def conflicting(self, name: str, *, other_than: str | None = None) -> LookupTable | None:
        """A table, other than ``other_than``, with the name ``name`` or the same lake table."""
        lake_table = lake_table_name(name)
        with self._lock:
            for table in self._tables.values():
                if table.name != other_than and (table.name == name or table.definition.lake_table == lake_table):
                    return table
        return None

    def lookup(self, name: str, key: Any) -> dict[str, Any] | None:
        """The row of enabled table ``name`` for ``key``, in this process."""
        table = self._tables.get(name)
        if table is None or not table.enabled:
            return None
        row = table.lookup(key)
        return dict(row) if row is not None else None

    # Changing
    def put(self, table: LookupTable) -> None:
        """Add or replace the table of that name."""
        with self._lock:
            self._tables[table.name] = table
            self.enricher.update(self._tables.values())
            if self.shared is not None:
                self.shared.replace(table)
            self._copy_to_lake(table)

    def remove(self, name: str) -> LookupTable | None:
        with self._lock:
            table = self._tables.pop(name, None)
            if table is None:
                return None
            self.enricher.update(self._tables.values())
            if self.shared is not None:
                self.shared.remove(name)
            if self.lake_root is not None:
                drop_lake_copy(self.lake_root, table)
            return table

    def _copy_to_lake(self, table: LookupTable) -> None:
        if self.lake_root is None:
            return
        try:
            write_lake_copy(self.lake_root, table, self.registry)
        except (OSError, pa.ArrowException, ValueError) as exc:
            # Enrichment does not depend on the lake copy: say so and go on.
            log.warning("lookup table %s could not be copied to the lake: %s", table.name, exc)

    # Loading definitions with their data files
    def add_new(self, definition: LookupTableDefinition, load: Callable[[], LookupTable], *,
                table_id: str = "") -> list[TableProblem]:
        """Put the table ``load`` reads, unless another has its name; a table whose data cannot be read is
        put without rows. Returns what went wrong."""
        name = definition.name
        taken = self.conflicting(name)
        if taken is not None:
            return [TableProblem(name, f"lookup table {name!r} ({definition.source or definition.managed_by}) has "
                                       f"the name or lake table of {taken.name!r} ({taken.definition.managed_by}); "
                                       "it is ignored")]
        return self._load(definition, load, table_id)

    def _load(self, definition: LookupTableDefinition, load: Callable[[], LookupTable],
              table_id: str) -> list[TableProblem]:
        name = definition.name
        problems = []
        try:
            table = load()
        except (DataError, DefinitionError) as exc:
            problems.append(TableProblem(name, str(exc)))
            table = build_table(definition, None, table_id=table_id)
        summary = describe_problems(table)
        if summary:
            problems.append(TableProblem(name, summary))
        self.put(table)
        return problems

    def load_content(self, paths: Iterable[Path]) -> list[TableProblem]:
        """The lookup tables of detection content trees; returns the problems found.

        Called again (content changed), tables of the trees are read anew: those gone from them are removed,
        the others replaced, and tables from elsewhere are left as they are."""
        found = content_tables(paths)
        problems = [TableProblem(p.item_id or str(p.path), str(p)) for p in found.problems]
        names = {definition.name for definition in found.definitions}
        for table in self.tables():
            if table.definition.managed_by == "content" and table.name not in names:
                self.remove(table.name)
        for definition in found.definitions:
            load = partial(load_data_file, definition, registry=self.registry)
            current = self.get(definition.name)
            if current is not None and current.definition.managed_by == "content" \
                    and self.conflicting(definition.name, other_than=current.name) is None:
                problems += self._load(definition, load, "")
            else:
                problems += self.add_new(definition, load)
        return problems
