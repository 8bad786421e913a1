"""What every text parser shares: config checking, the common options, and the base class.

The common options run in a fixed order, as Panther runs them: `skipPrefix` and `skipLines` decide whether a
line is looked at at all; after a match, `trimSpace` strips the values, then values listed in `emptyValues`
become None, and last `expandFields` adds fields rendered from the values captured so far.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

COMMON_KEYS = frozenset({"emptyValues", "trimSpace", "skipPrefix", "skipLines", "expandFields"})

_TEMPLATE_TAG = re.compile(r"%\{([^}]*)\}")


class ParserConfigError(ValueError):
    """A parser config that cannot be built; the message starts with the key path, e.g. `parser.regex.match[1]`."""


# ---- config checking ---------------------------------------------------------------------------------------


def check_keys(path: str, config: Mapping[str, Any], own_keys: frozenset[str]) -> None:
    allowed = own_keys | COMMON_KEYS
    for key in config:
        if key not in allowed:
            raise ParserConfigError(f"{path}.{key}: unknown option (expected one of {', '.join(sorted(allowed))})")


def get_str(path: str, config: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    value = config.get(key, default)
    if value is not None and not isinstance(value, str):
        raise ParserConfigError(f"{path}.{key}: must be a string, got {type(value).__name__}")
    return value


def get_bool(path: str, config: Mapping[str, Any], key: str) -> bool:
    value = config.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ParserConfigError(f"{path}.{key}: must be true or false, got {value!r}")
    return value


def get_str_list(path: str, config: Mapping[str, Any], key: str, *, required: bool = False) -> list[str]:
    value = config.get(key)
    if value is None:
        if required:
            raise ParserConfigError(f"{path}.{key}: is required")
        return []
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ParserConfigError(f"{path}.{key}: must be a list of strings, got {type(value).__name__}")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise ParserConfigError(f"{path}.{key}[{i}]: must be a string, got {type(item).__name__}")
    if required and not value:
        raise ParserConfigError(f"{path}.{key}: needs at least one entry")
    return list(value)


def get_str_map(path: str, config: Mapping[str, Any], key: str) -> dict[str, str]:
    value = config.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ParserConfigError(f"{path}.{key}: must be a mapping of names to strings, got {type(value).__name__}")
    out = {}
    for name, item in value.items():
        if not isinstance(name, str) or not name:
            raise ParserConfigError(f"{path}.{key}: names must be non-empty strings, got {name!r}")
        if not isinstance(item, str):
            raise ParserConfigError(f"{path}.{key}.{name}: must be a string, got {type(item).__name__}")
        out[name] = item
    return out


# ---- expandFields templates --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Template:
    """`"%{year}-%{month}"`: literal text with the values of other fields put in; a missing value renders as ""."""

    parts: tuple[str, ...]  # literal, field, literal, field, ..., literal

    @classmethod
    def compile(cls, source: str) -> Template:
        pieces = _TEMPLATE_TAG.split(source)
        # re.split puts the captured names at odd indexes; names are trimmed as Panther trims them
        return cls(tuple(p if i % 2 == 0 else p.strip() for i, p in enumerate(pieces)))

    def render(self, values: Mapping[str, Any]) -> str:
        parts = self.parts
        out = [parts[0]]
        for i in range(1, len(parts), 2):
            value = values.get(parts[i])
            if value is not None:
                out.append(value if isinstance(value, str) else str(value))
            out.append(parts[i + 1])
        return "".join(out)


# ---- the shared options ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SharedOptions:
    empty_values: frozenset[str] = frozenset()
    trim_space: bool = False
    skip_prefix: str = ""
    skip_lines: int = 0
    expand_fields: tuple[tuple[str, Template], ...] = ()

    @classmethod
    def from_config(cls, path: str, config: Mapping[str, Any]) -> SharedOptions:
        skip_lines = config.get("skipLines", 0) or 0
        if isinstance(skip_lines, bool) or not isinstance(skip_lines, int) or skip_lines < 0:
            raise ParserConfigError(f"{path}.skipLines: must be a whole number of lines, got {skip_lines!r}")
        expand = get_str_map(path, config, "expandFields")
        return cls(
            empty_values=frozenset(get_str_list(path, config, "emptyValues")),
            trim_space=get_bool(path, config, "trimSpace"),
            skip_prefix=get_str(path, config, "skipPrefix") or "",
            skip_lines=skip_lines,
            expand_fields=tuple((name, Template.compile(src)) for name, src in expand.items()),
        )

    @property
    def changes_values(self) -> bool:
        return bool(self.trim_space or self.empty_values or self.expand_fields)

    def apply(self, values: dict[str, Any]) -> dict[str, Any]:
        """Trim, null the placeholders, then add the expanded fields (in the order the config lists them)."""
        empties = self.empty_values
        if self.trim_space:
            for key, value in values.items():
                if value.__class__ is str:
                    value = value.strip()
                    values[key] = None if value in empties else value
        elif empties:
            for key, value in values.items():
                if value.__class__ is str and value in empties:
                    values[key] = None
        for name, template in self.expand_fields:
            rendered = template.render(values)
            # as in Panther, an expansion that comes out empty (or as a placeholder) adds nothing
            if rendered and rendered not in empties:
                values[name] = rendered
        return values


class TextParser:
    """Base of the four text parsers: applies skipPrefix/skipLines and the shared options around `_match`.

    `last_error` says why the last line was not accepted (None after a match); `last_skipped` is True when that
    line was passed over on purpose (a skipPrefix comment, a skipped leading line, a CSV header) rather than
    failing to match.
    """

    kind = ""

    def __init__(self, options: SharedOptions):
        self.options = options
        self._error: str | None = None
        self._failed_line: str | None = None
        self.last_skipped = False
        self._lines_to_skip = options.skip_lines
        self._apply = options.apply if options.changes_values else None

    def reset(self) -> None:
        """Start of a new stream: per-stream state (skipLines, a CSV header) starts over."""
        self._lines_to_skip = self.options.skip_lines

    def __call__(self, line: str) -> dict[str, Any] | None:
        skip_prefix = self.options.skip_prefix
        if skip_prefix and line.startswith(skip_prefix):
            return self._skip(f"skipped: the line starts with skipPrefix {skip_prefix!r}")
        if self._lines_to_skip:
            self._lines_to_skip -= 1
            return self._skip("skipped: one of the first skipLines lines of the stream")
        self.last_skipped = False
        values = self._match(line)
        if values is None:
            return None
        self._error = self._failed_line = None
        apply = self._apply
        return values if apply is None else apply(values)

    # Classification tries parsers on lines of other log types all the time, so a reason that takes work to
    # put into words is only worked out when someone reads it (see `_reject`).
    @property
    def last_error(self) -> str | None:
        if self._error is None and self._failed_line is not None:
            self._error = self._explain(self._failed_line)
            self._failed_line = None
        return self._error

    @last_error.setter
    def last_error(self, value: str | None) -> None:
        self._error = value
        self._failed_line = None

    def _reject(self, line: str) -> None:
        """The line does not match; `_explain(line)` says why if `last_error` is read."""
        self._error = None
        self._failed_line = line

    def _explain(self, line: str) -> str:
        return "the line does not match"

    def _skip(self, reason: str) -> None:
        """Pass a line over on purpose; callers `return self._skip(...)`, which is None."""
        self.last_error = reason
        self.last_skipped = True

    def _match(self, line: str) -> dict[str, Any] | None:  # pragma: no cover - every parser overrides it
        raise NotImplementedError
