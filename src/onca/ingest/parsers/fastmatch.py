"""The fastmatch parser: literal text with `%{field}` placeholders, matched with str.find instead of a regex.

Each pattern compiles once into a prefix and a tuple of steps `(delimiter, field, quote)`: the value of `field`
runs up to the next occurrence of `delimiter`. A field with nothing after it takes the rest of the line. A field
between quotes (`"%{f}"` or `'%{f}'`) may hold backslash-escaped quotes; when the line has a backslash at or
after the field, the value is read escape-aware and its escapes are decoded, as Panther does.

The steps run in two forms with the same meaning. `match` walks them in a loop and can say where a line stopped
fitting; `fast_match` is the same walk unrolled into straight-line Python generated once per pattern (faster
than the loop, which is what makes fastmatch fast): it returns None for a line that does not fit, and leaves a
line that holds a backslash to `match`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from onca.ingest.parsers.options import (
    ParserConfigError,
    SharedOptions,
    TextParser,
    check_keys,
    get_str_list,
)

_TAG = re.compile(r"%\{([^}]*)\}")
_QUOTES = "\"'"
_SKIP_NAMES = frozenset({"", "_"})

# One escape sequence, or a run of \xHH bytes (nginx writes non-ASCII bytes of a request that way).
_ESCAPE = re.compile(
    r"(?P<bytes>(?:\\x[0-9A-Fa-f]{2})+)|\\u(?P<u4>[0-9A-Fa-f]{4})|\\U(?P<u8>[0-9A-Fa-f]{8})"
    r"|\\(?P<oct>[0-7]{3})|\\(?P<char>.)",
    re.DOTALL,
)
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
                   "\\": "\\", '"': '"', "'": "'"}

Step = tuple[str, str | None, str]  # (delimiter, field name or None to skip, quote char or "")


def _decode_escape(m: re.Match[str]) -> str:
    if m.group("bytes") is not None:
        raw = bytes.fromhex(m.group("bytes").replace("\\x", ""))
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")
    if m.group("u4") is not None:
        return chr(int(m.group("u4"), 16))
    if m.group("u8") is not None:
        code = int(m.group("u8"), 16)
        return chr(code) if code <= 0x10FFFF else m.group(0)
    if m.group("oct") is not None:
        return chr(int(m.group("oct"), 8))
    char = m.group("char")
    # an escape that means nothing is kept as written (Panther would reject the line; keeping it loses nothing)
    return _SIMPLE_ESCAPES.get(char, m.group(0))


def unescape(text: str) -> str:
    return _ESCAPE.sub(_decode_escape, text) if "\\" in text else text


class FastmatchPattern:
    """One compiled pattern."""

    __slots__ = ("fast_match", "prefix", "source", "steps")

    def __init__(self, source: str, path: str):
        self.source = source
        pieces = _TAG.split(source)  # literal, tag, literal, tag, ..., literal
        if len(pieces) == 1:
            raise ParserConfigError(f"{path}: the pattern has no %{{field}} placeholder")
        self.prefix = pieces[0]
        steps: list[Step] = []
        count = len(pieces) // 2
        for i in range(count):
            name = pieces[2 * i + 1].strip()
            delimiter = pieces[2 * i + 2]
            if not delimiter and i < count - 1:
                nxt = pieces[2 * i + 3].strip()
                raise ParserConfigError(
                    f"{path}: %{{{name}}} and %{{{nxt}}} need literal text between them to tell where one ends")
            before = pieces[2 * i]
            quote = ""
            if before and delimiter and before[-1] in _QUOTES and delimiter[0] == before[-1]:
                quote = before[-1]
            steps.append((delimiter, None if name in _SKIP_NAMES else name, quote))
        self.steps = tuple(steps)
        self.fast_match = self._generate(path)

    def _generate(self, path: str) -> Callable[[str], dict[str, Any] | None]:
        """Unroll the steps into one function. Literals go in through repr(), which always yields a valid
        Python string literal, so no pattern text can change the generated code."""
        body = []
        if any(quote for _, _, quote in self.steps):
            body.append("if '\\\\' in line: return slow(line)")
        if self.prefix:
            body.append(f"if not line.startswith({self.prefix!r}): return None")
        body.append(f"p = {len(self.prefix)}")
        captured = []
        for i, (delimiter, name, _) in enumerate(self.steps):
            if name is not None:
                captured.append((name, f"v{i}"))
            if not delimiter:
                if name is not None:
                    body.append(f"v{i} = line[p:]")
                break
            body.append(f"e = line.find({delimiter!r}, p)")
            body.append("if e < 0: return None")
            if name is not None:
                body.append(f"v{i} = line[p:e]")
            body.append(f"p = e + {len(delimiter)}")
        # a field named twice keeps its last value, as the loop in `match` does
        body.append("return {" + ", ".join(f"{name!r}: {var}" for name, var in captured) + "}")
        source = "def fast_match(line):\n" + "".join(f"    {line}\n" for line in body)
        namespace: dict[str, Any] = {"slow": self._match_or_none}
        exec(compile(source, f"<fastmatch {path}>", "exec"), namespace)  # noqa: S102 - see the docstring
        return namespace["fast_match"]

    def _match_or_none(self, line: str) -> dict[str, Any] | None:
        result = self.match(line)
        return result if result.__class__ is dict else None  # type: ignore[return-value]

    def match(self, line: str) -> dict[str, Any] | str:
        """The captured values, or a sentence saying where the line stopped fitting."""
        prefix = self.prefix
        if prefix and not line.startswith(prefix):
            return f"the line does not start with {prefix!r}"
        pos = len(prefix)
        out: dict[str, Any] = {}
        last_backslash = -2  # computed only when a quoted step needs it
        for delimiter, name, quote in self.steps:
            if not delimiter:
                if name is not None:
                    out[name] = line[pos:]
                return out
            if quote:
                if last_backslash == -2:
                    last_backslash = line.rfind("\\")
                if last_backslash >= pos:
                    found = self._match_quoted(line, pos, delimiter, quote)
                    if found is None:
                        return f"no closing {quote} followed by {delimiter!r} for {self._describe(name)}"
                    value, pos = found
                    if name is not None:
                        out[name] = value
                    continue
            end = line.find(delimiter, pos)
            if end < 0:
                return f"{delimiter!r} not found after {self._describe(name)} (at offset {pos})"
            if name is not None:
                out[name] = line[pos:end]
            pos = end + len(delimiter)
        # text after the pattern's last literal is not looked at, as in Panther
        return out

    @staticmethod
    def _describe(name: str | None) -> str:
        return f"%{{{name}}}" if name is not None else "a skipped field"

    @staticmethod
    def _match_quoted(line: str, pos: int, delimiter: str, quote: str) -> tuple[str, int] | None:
        """Read up to the first quote not escaped by a backslash; it must start the delimiter."""
        i = pos
        while True:
            j = line.find(quote, i)
            if j < 0:
                return None
            k = j
            while k > pos and line[k - 1] == "\\":
                k -= 1
            if (j - k) % 2 == 0:  # an even run of backslashes escapes itself, not the quote
                break
            i = j + 1
        if not line.startswith(delimiter, j):
            return None
        return unescape(line[pos:j]), j + len(delimiter)


class FastmatchParser(TextParser):
    kind = "fastmatch"

    def __init__(self, config: Mapping[str, Any], path: str = "parser.fastmatch"):
        check_keys(path, config, frozenset({"match"}))
        sources = get_str_list(path, config, "match", required=True)
        self.patterns = tuple(FastmatchPattern(src, f"{path}.match[{i}]") for i, src in enumerate(sources))
        self._fast_matches = tuple(p.fast_match for p in self.patterns)
        super().__init__(SharedOptions.from_config(path, config))

    def _match(self, line: str) -> dict[str, Any] | None:
        for fast_match in self._fast_matches:
            result = fast_match(line)
            if result is not None:
                return result
        return self._reject(line)

    def _explain(self, line: str) -> str:
        reasons = [pattern.match(line) for pattern in self.patterns]
        if len(reasons) == 1:
            return f"the line does not match the pattern: {reasons[0]}"
        return "the line matches none of the patterns: " + "; ".join(
            f"match[{i}]: {reason}" for i, reason in enumerate(reasons))
