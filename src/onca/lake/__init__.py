"""The data lake: Hive-partitioned Parquet written by LakeWriter, read through DuckDB views by Lake."""

from onca.lake.catalog import LakeTable, discover
from onca.lake.convert import RowError
from onca.lake.layout import (
    CLASSIFICATION_FAILURES,
    DATABASES,
    LOGS,
    SYSTEM,
    InvalidName,
    partition_dir,
    table_name,
)
from onca.lake.query import Lake
from onca.lake.writer import LakeWriter, WriterStats

__all__ = [
    "CLASSIFICATION_FAILURES", "DATABASES", "LOGS", "SYSTEM", "InvalidName", "Lake", "LakeTable", "LakeWriter",
    "RowError", "WriterStats", "discover", "partition_dir", "table_name",
]
