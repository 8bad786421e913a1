"""Test mocks: names in a detection's module replaced by MagicMocks for the length of one test."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest.mock import MagicMock, patch

from onca.detect.testing.cases import MockSpec


class MockTargetError(AttributeError):
    """A mock names something the detection does not have; the test cannot run as written."""


def _replacement(mock: MockSpec) -> Any:
    if mock.replaces_with_object:
        return mock.new
    return MagicMock(return_value=mock.return_value, side_effect=mock.side_effect)


@contextmanager
def mocks_applied(targets: Sequence[Any], mocks: Sequence[MockSpec]) -> Iterator[None]:
    """Patch each mock onto the first target that has the name (the module, then e.g. a rule object)."""
    with ExitStack() as stack:
        for mock in mocks:
            owner = next((target for target in targets if hasattr(target, mock.object_name)), None)
            if owner is None:
                raise MockTargetError(
                    f"mock {mock.object_name!r}: the detection's module has no attribute {mock.object_name!r}"
                )
            stack.enter_context(patch.object(owner, mock.object_name, _replacement(mock)))
        yield
