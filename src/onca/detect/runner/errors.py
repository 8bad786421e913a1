"""Errors raised while running a detection's functions."""

from __future__ import annotations

from typing import Any


class DetectionRuntimeError(Exception):
    """Base for errors the runner raises about a function's result.

    ``str()`` reads ``first arg: rest, joined`` so that a message and its details print together.
    """

    def __str__(self) -> str:
        if len(self.args) > 1:
            return f"{self.args[0]}: {', '.join(map(str, self.args[1:]))}"
        return str(self.args[0]) if self.args else ""

    def equals(self, other: Any) -> bool:
        return type(self) is type(other) and self.args == other.args

    def has_message_prefix(self, text: str) -> bool:
        return bool(self.args) and self.args[0] == text


class FunctionReturnTypeError(DetectionRuntimeError):
    """A detection function returned a value of the wrong type."""


class UnknownDestinationError(DetectionRuntimeError):
    """``destinations()`` named destinations that do not exist."""

    def result(self) -> Any:
        return self.args[1]


class RunAborted(BaseException):
    """Stops a detection run from outside (a timeout). It derives from BaseException so that
    content's own ``except Exception`` blocks cannot swallow it, and the runner re-raises it
    instead of recording it as one function's error."""


class DetectionTimeout(RunAborted):
    def __init__(self, seconds: float, where: str = "") -> None:
        self.seconds = seconds
        self.where = where
        super().__init__(f"timed out after {seconds:g}s" + (f" in {where}" if where else ""))
