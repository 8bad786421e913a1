"""What the lake holds: its tables on disk and the columns their files carry.

A table exists once it has at least one data file. Data files never change after they are renamed into place,
so the columns of a table are remembered with the set of files they were read from and only new files are
read again.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from onca.lake.layout import DATA_GLOB, InvalidName, check_name, is_data_file


@dataclass(frozen=True, slots=True)
class LakeTable:
    database: str
    name: str
    path: Path

    @property
    def qualified(self) -> str:
        return f"{self.database}.{self.name}"

    @property
    def glob(self) -> str:
        return str(self.path / DATA_GLOB)

    def files(self) -> list[str]:
        return sorted(_data_files(self.path))


def _data_files(directory: Path) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if is_data_file(name):
                yield os.path.join(dirpath, name)


def _has_data(directory: Path) -> bool:
    return next(_data_files(directory), None) is not None


def _named_dirs(directory: Path, kind: str) -> Iterator[Path]:
    """Subdirectories whose names are valid lake names; anything else is not part of the lake."""
    if not directory.is_dir():
        return
    for entry in sorted(directory.iterdir()):
        try:
            check_name(kind, entry.name)
        except InvalidName:
            continue
        if entry.is_dir():
            yield entry


def discover(root: Path) -> list[LakeTable]:
    """Every table under `root` that has data, ordered by database then name."""
    return [
        LakeTable(db_dir.name, table_dir.name, table_dir)
        for db_dir in _named_dirs(Path(root), "database")
        for table_dir in _named_dirs(db_dir, "table")
        if _has_data(table_dir)
    ]


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def parquet_source(paths: str | Iterable[str]) -> str:
    """A DuckDB read_parquet call over a glob or a list of files, columns matched by name across files.

    Partition directories are not turned into columns: the path is the hour of p_event_time, which is in every
    row and has min/max statistics per row group, and a log's own field may be called `year` or `hour`.
    """
    if isinstance(paths, str):
        target = quote_literal(paths)
    else:
        target = "[" + ", ".join(quote_literal(p) for p in paths) + "]"
    return f"read_parquet({target}, hive_partitioning = false, union_by_name = true)"


@dataclass(slots=True)
class _Known:
    files: frozenset[str]
    columns: list[str]


class ColumnCache:
    """The union of the column names of a table's files, read incrementally as files arrive."""

    def __init__(self) -> None:
        self._known: dict[Path, _Known] = {}
        self._lock = threading.Lock()

    def columns(self, con: duckdb.DuckDBPyConnection, table: LakeTable) -> list[str]:
        files = frozenset(table.files())
        with self._lock:
            known = self._known.get(table.path)
        if known is not None and known.files == files:
            return known.columns
        if known is not None and known.files < files:
            seen = set(known.columns)
            added = [c for c in _describe(con, sorted(files - known.files)) if c not in seen]
            columns = known.columns + added
        else:
            columns = _describe(con, table.glob) if files else []
        with self._lock:
            self._known[table.path] = _Known(files, columns)
        return columns


def _describe(con: duckdb.DuckDBPyConnection, paths: str | list[str]) -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {parquet_source(paths)}").fetchall()]
