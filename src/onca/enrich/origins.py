"""Tables of the server's config file and of the metadata store (created through the API), as definitions and
loaded tables."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from onca.enrich.definition import LookupTableDefinition, LookupTableSettings, settings_from
from onca.enrich.service import LookupService, TableProblem
from onca.enrich.table import LookupTable, build_table

UPLOAD = "upload"


def config_definitions(entries: Iterable[LookupTableSettings], *, source: str = "config") -> list[LookupTableDefinition]:
    """Definitions of the config file's ``lookupTables`` (settings with a ``file``)."""
    definitions = []
    for entry in entries:
        settings = LookupTableSettings.model_validate(entry.model_dump(by_alias=True, exclude={"file"}))
        definitions.append(LookupTableDefinition(settings, "config", data_file=getattr(entry, "file", None),
                                                 source=source))
    return definitions


def stored_definition(record: Any) -> LookupTableDefinition:
    """The definition of a table the store keeps (``onca.store.LookupTableRecord``)."""
    return LookupTableDefinition(settings_from(record.settings, where=f"lookup table {record.name}"), "api",
                                 source="api")


def stored_table(record: Any, data: Any, *, registry: Any = None,
                 definition: LookupTableDefinition | None = None) -> LookupTable:
    """The table with its uploaded rows (``data``: ``onca.store.LookupTableData`` or None)."""
    definition = definition or stored_definition(record)
    if data is None:
        return build_table(definition, None, table_id=record.id)
    return build_table(definition, data.content, fmt=data.format, registry=registry, data_source=UPLOAD,
                       table_id=record.id)


def load_stored(service: LookupService, store: Any) -> list[TableProblem]:
    """Every table of the store, with its data; returns the problems found."""
    from onca.store import every_page

    problems: list[TableProblem] = []
    for record in every_page(store.lookup_tables.list):
        try:
            definition = stored_definition(record)
        except ValueError as exc:
            problems.append(TableProblem(record.name, str(exc)))
            continue
        load = partial(stored_table, record, store.lookup_tables.data(record.id), registry=service.registry,
                       definition=definition)
        problems += service.add_new(definition, load, table_id=record.id)
    return problems
