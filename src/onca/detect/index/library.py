"""Standard-library calls whose behaviour on event values the index knows exactly.

- ``re``: ``pattern.search/match/fullmatch(text)`` is truthy only when the text holds each run of
  literal characters the pattern's top level requires (and, for ``match``/``fullmatch``, starts with the
  leading one). The runs come from the standard parser of ``re``; a pattern it cannot take apart (or one
  matching case-insensitively) gives no runs, and then only "it is text" is known.
- ``ipaddress.ip_address(value)`` either returns an address or raises ValueError, for every value an
  event can hold (None, bools, numbers, text, and the read-only views of objects and lists).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

try:  # the parser behind re.compile; without it, patterns give no literal runs
    from re import _constants as re_constants  # type: ignore[attr-defined]
    from re import _parser as re_parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - a Python without them
    re_parser = re_constants = None

REGEX_METHODS = ("search", "match", "fullmatch")


@dataclass(frozen=True)
class Literals:
    """What a text must hold for a pattern to match it: ``prefix`` (match/fullmatch: it starts with it)
    and ``runs`` (it contains each)."""

    prefix: str
    runs: tuple[str, ...]


def pattern_literals(pattern: re.Pattern[str], method: str) -> Literals:
    """The literal runs the top level of ``pattern`` requires, in order."""
    if re_parser is None or pattern.flags & re.IGNORECASE or not isinstance(pattern.pattern, str):
        return Literals("", ())
    try:
        parsed = re_parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - the parser is internal to re: any surprise means "nothing known"
        return Literals("", ())
    if parsed.state.flags & re.IGNORECASE:  # an inline (?i) at the start
        return Literals("", ())
    runs: list[str] = []
    current: list[str] = []
    starts_literal = False
    for position, (op, argument) in enumerate(parsed):
        if op is re_constants.LITERAL:
            if position == 0:
                starts_literal = True
            current.append(chr(argument))
            continue
        # Anything else (a class, a repeat, a group, an anchor, a branch) ends the run.
        if current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    prefix = runs[0] if starts_literal and method in ("match", "fullmatch") else ""
    return Literals(prefix, tuple(run for run in runs if run))


def regex_holds(pattern: re.Pattern[str], method: str, text: str) -> bool:
    return getattr(pattern, method)(text) is not None


def ip_address_accepts(value: Any) -> bool:
    """Whether ``ipaddress.ip_address(value)`` returns (it raises ValueError otherwise)."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


# function -> the exceptions it can raise, given any value an event can hold
RAISES: dict[Any, tuple[type[BaseException], ...]] = {ipaddress.ip_address: (ValueError,)}
ACCEPTS = {ipaddress.ip_address: ip_address_accepts}
