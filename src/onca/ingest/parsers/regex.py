"""The regex parser: one regular expression (the `match` parts joined) with grok `%{PATTERN:field}` captures.

Every capture, grok or a plain named group, is renamed to a generated group name while the pattern is expanded,
so field names may hold any character (dots, dashes), the same field may be captured in several alternatives
(the first that took part wins), and a pattern used twice does not define its groups twice. The whole line must
match. Patterns written for Panther's RE2 engine mostly work unchanged: `(?<name>...)`, `\\z` and POSIX classes
such as `[[:alpha:]]` are translated to Python's syntax.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Any

from onca.ingest.parsers.grok_patterns import BUILTIN_PATTERNS
from onca.ingest.parsers.options import (
    ParserConfigError,
    SharedOptions,
    TextParser,
    check_keys,
    get_str_list,
    get_str_map,
)

_PATTERN_NAME = re.compile(r"\w+")
_NAMED_GROUP = re.compile(r"\(\?P?<(?![=!])([^>]+)>")
_BACKREF = re.compile(r"\(\?P=([^)]+)\)")
_LEADING_FLAGS = re.compile(r"\(\?([aiLmsux]+)\)")
_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": r"\x00-\x7f", "blank": r" \t", "cntrl": r"\x00-\x1f\x7f",
    "digit": "0-9", "graph": r"!-~", "lower": "a-z", "print": r" -~", "punct": r"!-/:-@\[-`{-~",
    "space": r"\t\n\v\f\r ", "upper": "A-Z", "word": r"\w", "xdigit": "0-9A-Fa-f",
}


class _Expander:
    """Turns grok syntax into a plain Python regex, recording which generated group captures which field."""

    def __init__(self, definitions: Mapping[str, str], definition_paths: Mapping[str, str]):
        self.definitions = definitions
        self.definition_paths = definition_paths
        self.groups: list[tuple[str, str]] = []  # (generated group name, field)

    def expand(self, src: str, where: str, stack: tuple[str, ...] = ()) -> str:
        out: list[str] = []
        latest: dict[str, str] = {}  # field -> its generated group, for (?P=field) back-references
        i, n = 0, len(src)
        while i < n:
            c = src[i]
            if c == "\\":
                pair = src[i:i + 2]
                out.append("\\Z" if pair == "\\z" else pair)  # RE2's end of text
                i += 2
            elif c == "[":
                i = self._char_class(src, i, out)
            elif c == "%" and src.startswith("{", i + 1):
                end = src.find("}", i + 2)
                if end < 0:
                    raise ParserConfigError(f"{where}: %{{ at offset {i} is never closed with }}")
                out.append(self._tag(src[i + 2:end], where, stack, latest))
                i = end + 1
            elif c == "(" and (m := _NAMED_GROUP.match(src, i)):
                out.append(f"(?P<{self._new_group(m.group(1), latest)}>")
                i = m.end()
            elif c == "(" and (m := _BACKREF.match(src, i)):
                name = m.group(1)
                if name not in latest:
                    raise ParserConfigError(f"{where}: back-reference to {name!r} comes before that group")
                out.append(f"(?P={latest[name]})")
                i = m.end()
            else:
                out.append(c)
                i += 1
        return "".join(out)

    def _new_group(self, field: str, latest: dict[str, str]) -> str:
        group = f"_g{len(self.groups)}"
        self.groups.append((group, field))
        latest[field] = group
        return group

    def _tag(self, tag: str, where: str, stack: tuple[str, ...], latest: dict[str, str]) -> str:
        # %{NAME}, %{NAME:field}, or grok's %{NAME:field:type} (the type is the schema's business here)
        parts = tag.split(":", 2)
        name = parts[0].strip()
        field = parts[1].strip() if len(parts) > 1 else ""
        if not _PATTERN_NAME.fullmatch(name):
            raise ParserConfigError(f"{where}: %{{{tag}}} does not start with a pattern name")
        if name in stack:
            cycle = " -> ".join((*stack, name))
            raise ParserConfigError(f"{where}: pattern {name} refers to itself ({cycle})")
        source = self.definitions.get(name)
        if source is None:
            raise ParserConfigError(f"{where}: unknown grok pattern {name}")
        body = self.expand(_scope_leading_flags(source), self.definition_paths.get(name, where), (*stack, name))
        if not field:
            return f"(?:{body})"
        return f"(?P<{self._new_group(field, latest)}>{body})"

    @staticmethod
    def _char_class(src: str, start: int, out: list[str]) -> int:
        """Copy a [...] class verbatim (no grok or group syntax inside), translating POSIX [:name:] classes."""
        j = start + 1
        if src.startswith("^", j):
            j += 1
        if src.startswith("]", j):  # a leading ] is a literal
            j += 1
        pieces = [src[start:j]]
        n = len(src)
        while j < n:
            c = src[j]
            if c == "\\":
                pieces.append(src[j:j + 2])
                j += 2
                continue
            if c == "[" and src.startswith(":", j + 1):
                close = src.find(":]", j + 2)
                posix = _POSIX_CLASSES.get(src[j + 2:close]) if close > 0 else None
                if posix is not None:
                    pieces.append(posix)
                    j = close + 2
                    continue
            pieces.append(c)
            j += 1
            if c == "]":
                break
        out.append("".join(pieces))
        return j


def _scope_leading_flags(source: str) -> str:
    """`(?i)abc` is only valid at the very start of a regex; inside a larger one it becomes `(?i:abc)`."""
    m = _LEADING_FLAGS.match(source)
    return f"(?{m.group(1)}:{source[m.end():]})" if m else source


def _compile(source: str, where: str) -> re.Pattern[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "possible nested set" FutureWarnings about RE2-valid classes
        try:
            return re.compile(source)
        except re.error as exc:
            raise ParserConfigError(f"{where}: invalid regular expression: {exc}") from None


class RegexParser(TextParser):
    kind = "regex"

    def __init__(self, config: Mapping[str, Any], path: str = "parser.regex"):
        check_keys(path, config, frozenset({"match", "patternDefinitions"}))
        parts = get_str_list(path, config, "match", required=True)
        custom = get_str_map(path, config, "patternDefinitions")
        for name in custom:
            if not _PATTERN_NAME.fullmatch(name):
                raise ParserConfigError(f"{path}.patternDefinitions.{name}: a pattern name is letters, digits and _")
        definitions = {**BUILTIN_PATTERNS, **custom}
        paths = {name: f"{path}.patternDefinitions.{name}" for name in custom}
        # each custom definition must stand on its own, even when the match pattern does not use it
        for name in custom:
            _compile(_Expander(definitions, paths).expand(custom[name], paths[name], (name,)), paths[name])

        where = f"{path}.match" if len(parts) > 1 else f"{path}.match[0]"
        expander = _Expander(definitions, paths)
        self.source = "".join(parts)
        self.regex = _compile(expander.expand(self.source, where), where)
        if not expander.groups:
            raise ParserConfigError(f"{where}: the pattern captures no field; name a capture with "
                                    "%{PATTERN:field} or (?P<field>...)")
        self._parts = parts
        self._path = path
        self._definitions, self._paths = definitions, paths
        index = self.regex.groupindex
        fields = [field for _, field in expander.groups]
        self._indexes = tuple(index[group] for group, _ in expander.groups)
        self._fields = tuple(fields)
        self._unique = len(set(fields)) == len(fields)
        self._prefix_cache: dict[int, re.Pattern[str] | None] = {}  # for _explain, filled on demand
        super().__init__(SharedOptions.from_config(path, config))

    def _match(self, line: str) -> dict[str, Any] | None:
        m = self.regex.fullmatch(line)
        if m is None:
            return self._reject(line)
        values = m.group(*self._indexes) if len(self._indexes) > 1 else (m.group(self._indexes[0]),)
        if self._unique:
            return dict(zip(self._fields, values, strict=True))
        out: dict[str, Any] = {}
        for field, value in zip(self._fields, values, strict=True):
            if out.get(field) is None:
                out[field] = value
        return out

    def _explain(self, line: str) -> str:
        """Name the first `match` part at which the line stops fitting, when the parts allow telling."""
        if len(self._parts) > 1:
            for k in range(1, len(self._parts)):
                prefix = self._prefix_regex(k)
                if prefix is not None and prefix.match(line) is None:
                    return f"the line does not match the pattern (it stops fitting at match[{k - 1}])"
            return f"the line does not match the pattern (it stops fitting at match[{len(self._parts) - 1}])"
        return "the line does not match the pattern"

    def _prefix_regex(self, k: int) -> re.Pattern[str] | None:
        cache = self._prefix_cache
        if k not in cache:
            try:
                source = _Expander(self._definitions, self._paths).expand("".join(self._parts[:k]), self._path)
                cache[k] = _compile(source, self._path)
            except ParserConfigError:  # the first k parts may not be a regex on their own (an open group)
                cache[k] = None
        return cache[k]

