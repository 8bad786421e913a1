"""The script parser: a Starlark `parse(log)` function that turns one line into a record.

The source is parsed and run once when the parser is built (a syntax error, or a script without a `parse`
function, is a ParserConfigError); each line is then one call of the frozen module's `parse`. The script sees
the standard Starlark builtins plus `json` (`json.decode`, `json.encode`). It returns a dict (nested dicts and
lists are kept as they are), None to say the line is not of this log type, or an empty dict to say the line is
of this type but carries no event (a header or banner line), which is skipped. A runtime error, a call running
past its time budget, or a return value that is not a dict rejects that line only, with the reason in
`last_error`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import starlark

from onca.ingest.parsers.options import (
    ParserConfigError,
    SharedOptions,
    TextParser,
    check_keys,
    get_str,
)

SECONDS_PER_LINE = 2.0  # a script stuck in a huge loop gives up on that line instead of stalling the stream
MAX_CALL_DEPTH = 200
_FILENAME = "function"


def _summarize(exc: Exception) -> str:
    """Starlark errors come with a traceback and a source excerpt; keep the message and where it happened."""
    lines = str(exc).splitlines()
    message = next((ln.removeprefix("error: ") for ln in lines if ln.startswith("error: ")), None)
    where = next((ln.strip().removeprefix("--> ") for ln in lines if ln.strip().startswith("--> ")), None)
    if message is None:
        message = next((ln for ln in lines if ln.strip()), type(exc).__name__)
    message = message.split(", expected one of ")[0]  # the parser's list of every token it would accept
    return f"{message} (at {where})" if where else message


class ScriptParser(TextParser):
    kind = "script"

    def __init__(self, config: Mapping[str, Any], path: str = "parser.script"):
        check_keys(path, config, frozenset({"function"}))
        source = get_str(path, config, "function")
        if not source or not source.strip():
            raise ParserConfigError(f"{path}.function: must be the Starlark source of a parse(log) function")
        self.source = source
        globals_ = starlark.Globals.extended_by([starlark.LibraryExtension.Json])
        module = starlark.Module()
        try:
            starlark.eval(module, starlark.parse(_FILENAME, source), globals_)
        except starlark.StarlarkError as exc:
            raise ParserConfigError(f"{path}.function: {_summarize(exc)}") from None
        try:
            starlark.eval(module, starlark.parse("check", "onca_parse_type = type(parse)\n"), globals_)
        except starlark.StarlarkError:
            raise ParserConfigError(f"{path}.function: the script does not define parse(log)") from None
        if module["onca_parse_type"] != "function":
            raise ParserConfigError(f"{path}.function: `parse` must be a function taking the log line")
        self._module = module.freeze()
        self._deadline = 0.0
        clock = time.monotonic
        self._options = starlark.EvalOptions(check_cancelled=lambda: clock() > self._deadline,
                                             max_callstack_size=MAX_CALL_DEPTH)
        super().__init__(SharedOptions.from_config(path, config))

    def _match(self, line: str) -> dict[str, Any] | None:
        self._deadline = time.monotonic() + SECONDS_PER_LINE
        try:
            result = self._module.call_with(self._options, "parse", line).value
        except starlark.StarlarkError as exc:
            self.last_error = f"parse() failed: {_summarize(exc)}"
            return None
        except (TypeError, ValueError) as exc:  # a result with no Python form, e.g. a dict keyed by tuples
            self.last_error = f"parse() returned a value that cannot be used: {exc}"
            return None
        if result is None:
            self.last_error = "parse() returned None (the line is not of this log type)"
            return None
        if not isinstance(result, dict):
            self.last_error = f"parse() must return a dict, got {type(result).__name__}"
            return None
        if not result:
            return self._skip("skipped: parse() returned an empty dict (a line of this type with no event)")
        return {k if isinstance(k, str) else str(k): v for k, v in result.items()}
