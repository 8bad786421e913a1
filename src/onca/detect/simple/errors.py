"""The one error type raised while compiling simple detection YAML."""

from __future__ import annotations


class SimpleDetectionError(ValueError):
    """A simple detection block is malformed; the message starts with the key path, e.g.
    ``Detection[0].Condition: unknown operator 'Equalz'``."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")
