"""Rows (plain dicts) to Arrow tables, checked against the table's schema.

pyarrow converts a list of dicts to a struct array in C++, which is faster than `Table.from_pylist` (no Python
transposition into columns). Its slow spot is timezone-aware datetimes: for each one it calls `utcoffset()`,
about ten times the cost of the rest of the conversion. When every datetime in a batch is naive or in
`datetime.UTC`, the wall-clock fields already are the UTC instant, so pyarrow's documented
`PYARROW_IGNORE_TIMEZONE` switch gives exactly the same values; the batch is checked first and converted the
ordinary way otherwise.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import UTC
from itertools import chain, repeat
from operator import attrgetter
from typing import Any

import pyarrow as pa

_IGNORE_TZ = "PYARROW_IGNORE_TIMEZONE"
_ENV_LOCK = threading.Lock()


class RowError(ValueError):
    """A batch of rows does not fit its table's schema."""


def _timestamp_paths(data_type: pa.DataType, path: tuple[str | None, ...]) -> Iterator[tuple[str | None, ...]]:
    """Paths to timestamp values; None in a path stands for 'every element of a list'."""
    if pa.types.is_timestamp(data_type):
        yield path
    elif pa.types.is_struct(data_type):
        for child in data_type:
            yield from _timestamp_paths(child.type, (*path, child.name))
    elif pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        yield from _timestamp_paths(data_type.value_type, (*path, None))


def _zones_at(rows: Sequence[Any], path: tuple[str | None, ...]) -> set[Any]:
    """The tzinfo of every datetime at `path`, a level at a time over the whole batch with C-level loops.

    Raises TypeError or AttributeError when a value has the wrong shape.
    """
    first, *rest = path
    values: Iterable[Any] = map(dict.get, rows, repeat(first))  # rows themselves are never None
    for key in rest:
        if key is None:
            values = chain.from_iterable(filter(None, values))
        else:
            values = map(dict.get, filter(None, values), repeat(key))
    return set(map(_tzinfo, filter(None, values)))


_tzinfo = attrgetter("tzinfo")
_UTC_OR_NAIVE = frozenset((None, UTC))


@contextmanager
def _ignoring_timezones() -> Iterator[None]:
    with _ENV_LOCK:
        previous = os.environ.get(_IGNORE_TZ)
        os.environ[_IGNORE_TZ] = "1"
        try:
            yield
        finally:
            if previous is None:
                del os.environ[_IGNORE_TZ]
            else:
                os.environ[_IGNORE_TZ] = previous


class RowConverter:
    """Converts rows for one schema; build once per schema and reuse."""

    def __init__(self, schema: pa.Schema):
        self.schema = schema
        self._struct = pa.struct(list(schema))
        self._columns = frozenset(schema.names)
        self._timestamp_paths = [p for f in schema for p in _timestamp_paths(f.type, (f.name,))]

    def unknown_columns(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        return set().union(*rows) - self._columns  # one C-level pass over every key of the batch

    def _fast_timestamps_safe(self, rows: Sequence[dict[str, Any]]) -> bool:
        try:
            return all(_zones_at(rows, p) <= _UTC_OR_NAIVE for p in self._timestamp_paths)
        except (AttributeError, TypeError):  # a malformed value; let pyarrow's ordinary path report it
            return False

    def __call__(self, rows: Sequence[dict[str, Any]]) -> pa.Table:
        if not isinstance(rows, list | tuple):
            rows = list(rows)  # every check below walks the rows again
        unknown = self.unknown_columns(rows)
        if unknown:
            raise RowError(f"rows have keys that are not columns of the schema: {', '.join(sorted(unknown))}")
        fast = bool(self._timestamp_paths) and self._fast_timestamps_safe(rows)
        try:
            with _ignoring_timezones() if fast else nullcontext():
                array = pa.array(rows, type=self._struct)
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
            raise RowError(f"rows do not fit the schema: {exc}") from exc
        return pa.Table.from_struct_array(array)  # a chunked array when strings pass 2 GB
