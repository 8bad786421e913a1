"""The csv parser: one delimited row per line, values named by `columns` or by the stream's header row.

Quoting follows RFC 4180 (a value in double quotes may hold the delimiter, and `""` is one quote). A row must
have exactly as many values as there are columns. A column named "" is left out of the record. With
`hasHeader: true`, the first line a parser sees after being built or `reset()` is the header: it gives the
column names unless `columns` is set too, in which case it is only skipped; a later line equal to the header
(files joined together) is skipped as well.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from typing import Any

from onca.ingest.parsers.options import (
    ParserConfigError,
    SharedOptions,
    TextParser,
    check_keys,
    get_bool,
    get_str,
    get_str_list,
)

Splitter = Callable[[str], list[str]]


def _single_char_splitter(delimiter: str) -> Splitter:
    def split(line: str) -> list[str]:
        if '"' not in line:  # most rows: no quoting, so a plain split gives what the csv module would
            return line.split(delimiter)
        return next(csv.reader((line,), delimiter=delimiter, quotechar='"', doublequote=True, strict=False))

    return split


def _multi_char_splitter(delimiter: str) -> Splitter:
    """The csv module takes one-character delimiters only; this reads the same quoting with longer ones."""
    width = len(delimiter)

    def split(line: str) -> list[str]:
        if '"' not in line:
            return line.split(delimiter)
        out: list[str] = []
        i = 0
        while True:
            if line.startswith('"', i):
                pieces = []
                j = i + 1
                while True:
                    k = line.find('"', j)
                    if k < 0:  # no closing quote: the value runs to the end of the line
                        pieces.append(line[j:])
                        out.append("".join(pieces))
                        return out
                    pieces.append(line[j:k])
                    if line.startswith('"', k + 1):  # "" inside quotes is one quote
                        pieces.append('"')
                        j = k + 2
                        continue
                    j = k + 1
                    break
                end = line.find(delimiter, j)
                # anything between the closing quote and the delimiter is kept, as the csv module keeps it
                pieces.append(line[j:] if end < 0 else line[j:end])
                out.append("".join(pieces))
            else:
                end = line.find(delimiter, i)
                out.append(line[i:] if end < 0 else line[i:end])
            if end < 0:
                return out
            i = end + width

    return split


class CsvParser(TextParser):
    kind = "csv"

    def __init__(self, config: Mapping[str, Any], path: str = "parser.csv"):
        check_keys(path, config, frozenset({"delimiter", "hasHeader", "columns"}))
        delimiter = get_str(path, config, "delimiter", ",")
        if not delimiter:
            raise ParserConfigError(f"{path}.delimiter: must not be empty")
        if '"' in delimiter or "\n" in delimiter or "\r" in delimiter:
            raise ParserConfigError(f"{path}.delimiter: cannot contain a double quote or a line break")
        self.has_header = get_bool(path, config, "hasHeader")
        columns = get_str_list(path, config, "columns")
        if not columns and not self.has_header:
            raise ParserConfigError(f"{path}: needs `columns` (the column names) or `hasHeader: true`")
        named = [c for c in columns if c]
        if len(set(named)) != len(named):
            dupes = sorted({c for c in named if named.count(c) > 1})
            raise ParserConfigError(f"{path}.columns: names appear more than once: {', '.join(dupes)}")
        self.delimiter = delimiter
        self._split = _single_char_splitter(delimiter) if len(delimiter) == 1 else _multi_char_splitter(delimiter)
        self._fixed_columns: tuple[str, ...] | None = tuple(columns) if columns else None
        self._columns = self._fixed_columns
        self._header_line: str | None = None
        super().__init__(SharedOptions.from_config(path, config))

    @property
    def columns(self) -> tuple[str, ...] | None:
        """The column names in use: the configured ones, or the header's once a header has been seen."""
        return self._columns

    def reset(self) -> None:
        super().reset()
        self._columns = self._fixed_columns
        self._header_line = None

    def _match(self, line: str) -> dict[str, Any] | None:
        if self.has_header:
            if self._header_line is None:
                return self._take_header(line)
            if line == self._header_line:
                return self._skip("skipped: a repeat of the CSV header row")
        values = self._split(line)
        columns = self._columns
        assert columns is not None
        if len(values) != len(columns):
            self.last_error = (f"expected {len(columns)} values separated by {self.delimiter!r}, "
                               f"got {len(values)}")
            return None
        return {name: value for name, value in zip(columns, values, strict=True) if name}

    def _take_header(self, line: str) -> None:
        self._header_line = line
        if self._fixed_columns is None:
            names = self._split(line.removeprefix("\ufeff"))  # a byte-order mark is not part of the first name
            self._columns = tuple(names)
        return self._skip("skipped: the CSV header row (column names)")
