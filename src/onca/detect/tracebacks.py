"""Tracebacks that show the content's own frames, not Onca's or the import machinery's."""

from __future__ import annotations

import traceback
from pathlib import Path

_ONCA_DIR = str(Path(__file__).resolve().parents[1])
_HIDDEN = ("<frozen importlib", "/importlib/", "/unittest/mock.py", _ONCA_DIR)


def _hidden(filename: str) -> bool:
    return any(marker in filename for marker in _HIDDEN)


def content_traceback(error: BaseException) -> str:
    """``error``'s traceback without the leading frames that belong to Onca or importlib."""
    summary = traceback.TracebackException.from_exception(error)
    frames = list(summary.stack)
    while frames and _hidden(frames[0].filename):
        frames.pop(0)
    summary.stack = traceback.StackSummary.from_list(frames)
    return "".join(summary.format()).rstrip()


def error_location(error: BaseException) -> tuple[str | None, int | None, str | None]:
    """``(file, line, function)`` of the innermost content frame where ``error`` was raised."""
    if isinstance(error, SyntaxError) and error.filename:
        return error.filename, error.lineno, None
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if not _hidden(frame.filename)]
    if not frames:
        return None, None, None
    last = frames[-1]
    return last.filename, last.lineno, last.name


def describe_error(error: BaseException) -> str:
    """``TypeName: message`` as test reports show it."""
    return f"{type(error).__name__}: {error}"
