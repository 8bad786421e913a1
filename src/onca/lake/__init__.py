"""The data lake: Hive-partitioned Parquet written by LakeWriter, read through DuckDB views by Lake."""

from onca.lake.catalog import LakeTable, discover
from onca.lake.convert import RowError
from onca.lake.layout import (
    CLASSIFICATION_FAILURES,
    DATABASES,
    LOGS,
    LOOKUPS,
    SYSTEM,
    InvalidName,
    partition_dir,
    table_name,
)
from onca.lake.query import Lake
from onca.lake.snapshots import drop_table, replace_table
from onca.lake.writer import LakeWriter, WriterStats

__all__ = [
    "CLASSIFICATION_FAILURES", "DATABASES", "LOGS", "LOOKUPS", "SYSTEM", "InvalidName", "Lake", "LakeTable",
    "LakeWriter", "RowError", "WriterStats", "discover", "drop_table", "partition_dir", "replace_table",
    "table_name",
]
