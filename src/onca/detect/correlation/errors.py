"""The one error type raised while compiling a correlation rule or reading its tests."""

from __future__ import annotations


class CorrelationError(ValueError):
    """A correlation rule or test is malformed; the message starts with the key path, e.g.
    ``Detection[0].Transitions[0].From: unknown member 'Foo'``."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")
