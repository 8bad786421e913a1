"""Text parsers of the log schema language: a schema's `parser:` block turned into a callable per line.

    parser = build_parser("fastmatch", {"match": ['%{ip} - %{user} [%{time}] "%{request}" %{status} %{size}']})
    parser('1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326')   # -> {"ip": "1.2.3.4", ...}

A parser returns a flat dict of field -> string (None for an empty value; the script parser may return nested
values), or None when the line is not of this log type; `parser.last_error` then says why, and
`parser.last_skipped` tells a deliberately skipped line (a comment, a header) from one that did not match.
`parser.reset()` marks the start of a new stream. Typing and timestamps are the normalizer's job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from onca.ingest.parsers.csv import CsvParser
from onca.ingest.parsers.fastmatch import FastmatchParser
from onca.ingest.parsers.options import ParserConfigError, TextParser
from onca.ingest.parsers.regex import RegexParser
from onca.ingest.parsers.script import ScriptParser

__all__ = ["PARSER_KINDS", "LineParser", "ParserConfigError", "TextParser", "build_parser"]


class LineParser(Protocol):
    def __call__(self, line: str) -> dict[str, Any] | None: ...


_BUILDERS: dict[str, Callable[[Mapping[str, Any], str], TextParser]] = {
    "fastmatch": FastmatchParser,
    "regex": RegexParser,
    "csv": CsvParser,
    "script": ScriptParser,
}
PARSER_KINDS = tuple(_BUILDERS)


def build_parser(kind: str, config: Mapping[str, Any]) -> TextParser:
    """Compile a `parser: {kind: config}` block; a bad config raises ParserConfigError naming the key path."""
    builder = _BUILDERS.get(kind)
    if builder is None:
        raise ParserConfigError(f"parser.{kind}: unknown parser (expected one of {', '.join(PARSER_KINDS)})")
    path = f"parser.{kind}"
    if not isinstance(config, Mapping):
        raise ParserConfigError(f"{path}: must be a mapping of options, got {type(config).__name__}")
    return builder(config, path)
