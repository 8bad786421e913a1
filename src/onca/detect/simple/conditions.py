"""The table of conditions a match expression may name.

Each entry says what the condition needs (nothing, a ``Value``, a ``Values`` list, no key at all,
or nested ``Expressions`` over list elements), how it tests one event value, and whether it is the
inverse of a positive test. Inverse conditions are exactly ``not`` their positive twin, so a
missing or null value fails every positive condition and passes every inverse one.
"""

from __future__ import annotations

import difflib
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from onca.detect.simple.paths import MISSING
from onca.detect.simple.values import (
    as_ip,
    as_network,
    as_number,
    compare_numbers,
    contains,
    folded_equal,
    in_network,
    is_null_or_empty,
    loose_equal,
    text_test,
)

UNARY = "unary"  # no Value (an optional boolean Value flips it when false)
VALUE = "value"  # one scalar Value
VALUES = "values"  # a list of scalar Values
ABSOLUTE = "absolute"  # no key at all
ELEMENTS = "elements"  # a list key plus nested Expressions for its elements


@dataclass(frozen=True)
class Condition:
    name: str
    arity: str
    test: Callable[..., bool]
    negated: bool = False
    # Existence and null checks look at absence themselves; every other condition treats an
    # absent key as "no value" (and InlineFilters let the event through, as Panther documents).
    null_check: bool = False
    # Compile-time conversion of the expected Value; raises ValueError with a readable reason.
    prepare: Callable[[Any], Any] | None = None
    # Also accepts a Values list (any element matching), e.g. several CIDR blocks.
    accepts_values: bool = False


def _numeric(value: Any) -> Any:
    if as_number(value) is None:
        raise ValueError(f"must be a number, got {value!r}")
    return value


def _network(value: Any) -> Any:
    network = as_network(value)
    if network is None:
        raise ValueError(f"must be a CIDR block such as 10.0.0.0/8, got {value!r}")
    return network


def _cidr_test(actual: Any, expected: Any) -> bool:
    # A multi-key expression passes the other key's raw value, which is parsed here.
    network = expected if not isinstance(expected, str) else as_network(expected)
    return in_network(actual, network)


def _starts(actual: Any, expected: Any, *, fold: bool = False) -> bool:
    return text_test(actual, expected, str.startswith, fold=fold)


def _ends(actual: Any, expected: Any, *, fold: bool = False) -> bool:
    return text_test(actual, expected, str.endswith, fold=fold)


def _ip_test(predicate: Callable[[Any], bool]) -> Callable[[Any], bool]:
    def test(actual: Any) -> bool:
        address = as_ip(actual)
        return address is not None and predicate(address)

    return test


_TABLE: list[Condition] = []


def _pair(positive: str, negative: str, arity: str, test: Callable[..., bool], **extra: Any) -> None:
    _TABLE.append(Condition(positive, arity, test, **extra))
    _TABLE.append(Condition(negative, arity, test, negated=True, **extra))


_pair("Equals", "DoesNotEqual", VALUE, loose_equal)
_pair("IEquals", "IDoesNotEqual", VALUE, folded_equal)
_pair("StartsWith", "DoesNotStartWith", VALUE, _starts)
_pair("EndsWith", "DoesNotEndWith", VALUE, _ends)
_pair("Contains", "DoesNotContain", VALUE, lambda a, e: contains(a, e, fold=False))
_pair("IStartsWith", "IDoesNotStartWith", VALUE, lambda a, e: _starts(a, e, fold=True))
_pair("IEndsWith", "IDoesNotEndWith", VALUE, lambda a, e: _ends(a, e, fold=True))
_pair("IContains", "IDoesNotContain", VALUE, lambda a, e: contains(a, e, fold=True))
# Older content names Python's ``in`` test Has / DoesNotHave.
_pair("Has", "DoesNotHave", VALUE, lambda a, e: contains(a, e, fold=False))
_pair("IsIn", "IsNotIn", VALUES, lambda a, values: any(loose_equal(a, v) for v in values))
_pair("IsIPAddressInCIDR", "IsIPAddressNotInCIDR", VALUE, _cidr_test, prepare=_network, accepts_values=True)
_pair("IsNull", "IsNotNull", UNARY, lambda a: a is MISSING or a is None, null_check=True)
_pair("IsNullOrEmpty", "IsNotNullOrEmpty", UNARY, is_null_or_empty, null_check=True)
_pair("Exists", "DoesNotExist", UNARY, lambda a: a is not MISSING, null_check=True)
for _name, _op in (
    ("IsGreaterThan", operator.gt),
    ("IsGreaterThanOrEquals", operator.ge),
    ("IsLessThan", operator.lt),
    ("IsLessThanOrEquals", operator.le),
):
    _TABLE.append(Condition(_name, VALUE, lambda a, e, _op=_op: compare_numbers(a, e, _op), prepare=_numeric))
_TABLE += [
    Condition("IsIPAddress", UNARY, _ip_test(lambda ip: True)),
    Condition("IsIPv4Address", UNARY, _ip_test(lambda ip: ip.version == 4)),
    Condition("IsIPv6Address", UNARY, _ip_test(lambda ip: ip.version == 6)),
    Condition("IsIPAddressPublic", UNARY, _ip_test(lambda ip: ip.is_global)),
    Condition("IsIPAddressPrivate", UNARY, _ip_test(lambda ip: ip.is_private)),
    Condition("AlwaysTrue", ABSOLUTE, lambda: True),
    Condition("AlwaysFalse", ABSOLUTE, lambda: False),
    Condition("AnyElement", ELEMENTS, lambda hits, total: hits >= 1),
    Condition("AllElements", ELEMENTS, lambda hits, total: hits == total),
    Condition("NoElement", ELEMENTS, lambda hits, total: hits == 0),
    Condition("OnlyOneElement", ELEMENTS, lambda hits, total: hits == 1),
]

CONDITIONS: dict[str, Condition] = {condition.name: condition for condition in _TABLE}


def lookup(name: Any) -> Condition | None:
    return CONDITIONS.get(name) if isinstance(name, str) else None


def suggestion(name: str) -> str:
    close = difflib.get_close_matches(name, list(CONDITIONS), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
