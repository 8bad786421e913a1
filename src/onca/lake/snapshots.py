"""Tables whose data is replaced whole rather than appended (lookup tables): one Parquet file per table.

The new file is written and renamed into place before the old ones are removed, so a reader sees the old data,
the new data, or, for a moment, both; never a partial file. A fingerprint kept in the file's metadata lets a
table that has not changed (a server restarting) skip the write.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from onca.lake.files import write_parquet
from onca.lake.layout import DATA_SUFFIX, check_name, is_data_file, table_dir

FINGERPRINT_KEY = b"onca.fingerprint"


def _data_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*" + DATA_SUFFIX) if is_data_file(p.name))


def _fingerprint(path: Path) -> str | None:
    try:
        metadata = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowException):
        return None
    value = metadata.get(FINGERPRINT_KEY)
    return value.decode() if value else None


def replace_table(root: Path, database: str, table: str, data: pa.Table, *, fingerprint: str = "") -> bool:
    """Make ``data`` the whole content of ``database.table``; False when it already was (same fingerprint)."""
    directory = table_dir(Path(root), check_name("database", database), check_name("table", table))
    existing = _data_files(directory)
    if fingerprint and len(existing) == 1 and _fingerprint(existing[0]) == fingerprint:
        return False
    if fingerprint:
        data = data.replace_schema_metadata({**(data.schema.metadata or {}), FINGERPRINT_KEY: fingerprint.encode()})
    write_parquet(data, directory)
    for old in existing:
        old.unlink(missing_ok=True)
    return True


def drop_table(root: Path, database: str, table: str) -> None:
    """Remove ``database.table`` and its data, if there is any."""
    shutil.rmtree(table_dir(Path(root), check_name("database", database), check_name("table", table)),
                  ignore_errors=True)
