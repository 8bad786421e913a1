"""A log type ready to parse: its schema's parser (JSON or text) joined with its compiled normalizer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

import orjson

from onca.ingest.normalize import Normalizer, RecordError
from onca.schema.model import LogSchema


class SkippedLine(Exception):
    """A line the parser skips on purpose (a header or a comment): not an event, and not a failure."""


class CompiledLogType:
    def __init__(self, schema: LogSchema):
        self.schema = schema
        self.name = schema.name
        self.normalizer = Normalizer(schema)
        self.is_json = schema.parser is None
        self._raw_keys = frozenset(
            name for f in schema.fields
            for name in (f.name, *(f.transform.source if f.transform and f.transform.kind == "rename" else ())))
        self._line_parser: Callable[[str], dict[str, Any] | None] | None = None
        if schema.parser is not None:
            from onca.ingest.parsers import build_parser

            self._line_parser = build_parser(schema.parser.kind, schema.parser.config)

    def parse_text(self, line: str) -> dict[str, Any]:
        """The raw object of a text line, before normalization; raises RecordError when the line does not match."""
        assert self._line_parser is not None
        obj = self._line_parser(line)
        if obj is None:
            if getattr(self._line_parser, "last_skipped", False):
                self._check_header()
                raise SkippedLine
            reason = getattr(self._line_parser, "last_error", None) or "the line does not match the parser"
            raise RecordError(f"{self.schema.parser.kind} parser: {reason}")  # type: ignore[union-attr]
        return obj

    def _check_header(self) -> None:
        """A csv header must name this type's fields: otherwise the first line of another type's stream would
        be taken for a header and swallowed."""
        config = self.schema.parser.config if self.schema.parser else {}
        columns = getattr(self._line_parser, "columns", None)
        if not config.get("hasHeader") or config.get("columns") or not columns:
            return
        known = sum(1 for c in columns if c in self._raw_keys)
        if known < min(3, len(columns)):
            self._line_parser.reset()  # type: ignore[union-attr]
            raise RecordError(f"csv parser: the first line is not a header of {self.name} "
                              f"({known} of {len(columns)} column names are fields of it)")

    def with_own_parser(self) -> CompiledLogType:
        from onca.ingest.parsers import build_parser

        clone = object.__new__(CompiledLogType)
        clone.__dict__.update(self.__dict__)
        clone._line_parser = build_parser(self.schema.parser.kind, self.schema.parser.config)  # type: ignore[union-attr]
        return clone

    def reset(self) -> None:
        """A new stream starts (a csv header is read again)."""
        if self._line_parser is not None:
            self._line_parser.reset()

    def normalize(self, obj: dict[str, Any], *, parse_time: datetime, row_id: str,
                  source_id: str = "", source_label: str = "") -> dict[str, Any]:
        return self.normalizer.normalize(obj, parse_time=parse_time, row_id=row_id, source_id=source_id,
                                         source_label=source_label)


def decode_json_object(text: str) -> dict[str, Any]:
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise RecordError(f"not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise RecordError(f"expected a JSON object, got a JSON {type(obj).__name__}")
    return obj


@cache
def _compile_cached(schema: LogSchema) -> CompiledLogType:
    return CompiledLogType(schema)


def compile_log_type(schema: LogSchema, *, shared: bool = True) -> CompiledLogType:
    """Compiled once per schema per process (schemas are frozen, so they key the cache). Text parsers keep
    per-stream state, so a caller reading streams concurrently asks for its own copy (shared=False), which still
    reuses the cached normalizer."""
    cached = _compile_cached(schema)
    if shared or cached.is_json:
        return cached
    return cached.with_own_parser()
