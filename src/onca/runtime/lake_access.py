"""The lake as queries see it: every log table and detection table, with its JSON columns typed as JSON."""

from __future__ import annotations

from pathlib import Path

from onca.ingest.columns import json_columns
from onca.lake import Lake, table_name
from onca.runtime.rule_tables import detection_json_columns
from onca.schema import Registry


def open_lake(root: Path, registry: Registry) -> Lake:
    schemas = list(registry)
    mapping = {f"panther_logs.{table_name(s.name)}": json_columns(s) for s in schemas}
    mapping.update(detection_json_columns(schemas))
    return Lake(root, json_columns=mapping)
