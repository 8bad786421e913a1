"""Enrichment: lookup tables that add ``p_enrichment`` to events before detection, and answer
``event.lookup(table, key)`` in detections.

- ``LookupService``: the live tables of a process; its ``apply`` is the ingest pipeline step.
- ``LookupTableSettings`` / ``LookupTableDefinition``: a table as the API, the config file or content define it.
- ``build_table`` / ``load_data_file``: a definition with its rows (CSV or JSONL), bad rows reported by line.
- ``SharedLookup``: ``event.lookup`` for detection worker processes, read from the file the service writes.
- ``TableChanges``: creating, changing and deleting tables (and their data) through the API: store, then live.
"""

from onca.enrich.changes import TableChanges, TableConflict, TableInvalid, TableNotFound
from onca.enrich.content import content_tables
from onca.enrich.definition import (
    AssociatedLogType,
    DefinitionError,
    LookupTableDefinition,
    LookupTableSettings,
    describe_errors,
    lake_table_name,
    settings_from,
)
from onca.enrich.enricher import ENRICHMENT_FIELD, Enricher
from onca.enrich.origins import UPLOAD, config_definitions, load_stored, stored_definition, stored_table
from onca.enrich.rows import FORMATS, DataError, RowProblem, data_format, decode_text, read_rows
from onca.enrich.selectors import SelectorError, compile_selector
from onca.enrich.service import LookupService, TableProblem, describe_problems
from onca.enrich.shared_file import SharedLookup, SharedTables
from onca.enrich.table import LookupTable, build_table, load_data_file

__all__ = [
    "ENRICHMENT_FIELD",
    "FORMATS",
    "AssociatedLogType",
    "DataError",
    "DefinitionError",
    "Enricher",
    "LookupService",
    "LookupTable",
    "LookupTableDefinition",
    "LookupTableSettings",
    "RowProblem",
    "SelectorError",
    "SharedLookup",
    "SharedTables",
    "TableChanges",
    "TableConflict",
    "TableInvalid",
    "TableNotFound",
    "TableProblem",
    "UPLOAD",
    "build_table",
    "compile_selector",
    "config_definitions",
    "content_tables",
    "data_format",
    "decode_text",
    "describe_errors",
    "describe_problems",
    "lake_table_name",
    "load_data_file",
    "load_stored",
    "read_rows",
    "settings_from",
    "stored_definition",
    "stored_table",
]
