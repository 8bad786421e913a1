"""A detection's unit tests, read from the YAML ``Tests`` list (or built by the pypanther adapter)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_UNSET: Any = object()


@dataclass(frozen=True)
class MockSpec:
    """Replace ``object_name`` in the detection's module by a MagicMock returning ``return_value``
    (or raising/iterating ``side_effect``), or by ``new`` itself when given."""

    object_name: str
    return_value: Any = None
    side_effect: Any = None
    new: Any = _UNSET

    @property
    def replaces_with_object(self) -> bool:
        return self.new is not _UNSET


@dataclass(frozen=True)
class TestCase:
    """One test. ``data`` is the Log (rules) or Resource (policies); ``has_data`` says whether the
    test gave one. ``expectations`` holds optional exact outputs (``title``, ``dedup``, ...)."""

    __test__ = False  # not a pytest test class

    name: str
    expected: bool
    data: Any = None
    has_data: bool = True
    mocks: tuple[MockSpec, ...] = ()
    rule_outputs: Mapping[str, Any] | None = None
    expectations: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, entry: Mapping[str, Any], index: int = 0) -> TestCase:
        name = entry.get("Name")
        data_key = "Resource" if "Resource" in entry else "Log"
        mocks = tuple(
            MockSpec(mock["objectName"], mock["returnValue"])
            for mock in entry.get("Mocks") or ()
            if isinstance(mock, Mapping) and "objectName" in mock and "returnValue" in mock
        )
        return cls(
            name=name if isinstance(name, str) else f"test {index + 1}",
            expected=bool(entry.get("ExpectedResult")),
            data=entry.get(data_key),
            has_data=data_key in entry,
            mocks=mocks,
            rule_outputs=entry if "RuleOutputs" in entry else None,
        )


def cases_from_spec(spec: Mapping[str, Any]) -> list[TestCase]:
    tests = spec.get("Tests")
    if not isinstance(tests, list):
        return []
    return [TestCase.from_yaml(entry, index) for index, entry in enumerate(tests) if isinstance(entry, Mapping)]
