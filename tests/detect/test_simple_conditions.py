"""Every condition of the simple-detection language, on matching and non-matching values."""

from __future__ import annotations

from typing import Any

import pytest

from onca.detect.simple import CONDITIONS, compile_match

NO_VALUE = object()

# (condition, Value or Values (list) or NO_VALUE, event value (NO_VALUE: key absent), expected)
CASES: list[tuple[str, Any, Any, bool]] = [
    ("Equals", "repo.archived", "repo.archived", True),
    ("Equals", "repo.archived", "repo.create", False),
    ("Equals", 403, "403", True),
    ("Equals", "403", 403.0, True),
    ("Equals", False, False, True),
    ("Equals", False, 0, False),
    ("Equals", "true", True, True),
    ("Equals", "x", NO_VALUE, False),
    ("DoesNotEqual", "a", "b", True),
    ("DoesNotEqual", "a", "a", False),
    ("DoesNotEqual", "a", NO_VALUE, True),
    ("IEquals", "DOWNLOAD", "download", True),
    ("IEquals", "DOWNLOAD", "upload", False),
    ("IDoesNotEqual", "DOWNLOAD", "Download", False),
    ("IDoesNotEqual", "DOWNLOAD", "upload", True),
    ("StartsWith", "system:", "system:kube", True),
    ("StartsWith", "system:", "eks:addon", False),
    ("EndsWith", ".exe", "evil.exe", True),
    ("EndsWith", ".exe", "evil.EXE", False),
    ("Contains", "Update", "ConfigServiceV2.UpdateSink", True),
    ("Contains", "-l", ["-l", "-e"], True),
    ("Contains", "Update", "DeleteSink", False),
    ("Contains", 40, 1403, True),
    ("DoesNotStartWith", "aws-internal", "signin.amazonaws.com", True),
    ("DoesNotStartWith", "aws-internal", "aws-internal/3", False),
    ("DoesNotEndWith", ".com", "example.org", True),
    ("DoesNotEndWith", ".com", "example.com", False),
    ("DoesNotContain", "admin", "member", True),
    ("DoesNotContain", "admin", "domain_admin", False),
    ("IStartsWith", "SYSTEM:", "system:node", True),
    ("IStartsWith", "SYSTEM:", "user:node", False),
    ("IEndsWith", ".EXE", "evil.exe", True),
    ("IEndsWith", ".EXE", "evil.dll", False),
    ("IContains", "ADMIN", "Domain_Admin", True),
    ("IContains", "admin", ["Reader", "ADMIN"], True),
    ("IContains", "ADMIN", "member", False),
    ("IDoesNotStartWith", "SYS", "system", False),
    ("IDoesNotStartWith", "SYS", "user", True),
    ("IDoesNotEndWith", "COM", "a.com", False),
    ("IDoesNotEndWith", "COM", "a.org", True),
    ("IDoesNotContain", "ADMIN", "superadmin", False),
    ("IDoesNotContain", "ADMIN", "reader", True),
    ("Has", "admin", "domain_admin", True),
    ("Has", "-l", ["-e"], False),
    ("DoesNotHave", "-l", ["-e"], True),
    ("DoesNotHave", "-l", ["-l"], False),
    ("IsGreaterThan", 5, 6, True),
    ("IsGreaterThan", 5, 5, False),
    ("IsGreaterThan", 5, "7", True),
    ("IsGreaterThan", 5, "many", False),
    ("IsGreaterThanOrEquals", 10, 10, True),
    ("IsGreaterThanOrEquals", 10, 9.5, False),
    ("IsLessThan", 10, 9, True),
    ("IsLessThan", 10, 10, False),
    ("IsLessThanOrEquals", 10, 10, True),
    ("IsLessThanOrEquals", 10, 11, False),
    ("IsIn", ["allUsers", "allAuthenticatedUsers"], "allUsers", True),
    ("IsIn", [22, 3389], "22", True),
    ("IsIn", ["allUsers"], "me", False),
    ("IsNotIn", [53, 5353], 443, True),
    ("IsNotIn", [53, 5353], 53, False),
    ("IsNotIn", [53], NO_VALUE, True),
    ("IsIPAddressInCIDR", "10.0.0.0/8", "10.20.30.40", True),
    ("IsIPAddressInCIDR", "10.0.0.0/8", "11.0.0.1", False),
    ("IsIPAddressInCIDR", "2001:db8::/32", "2001:db8::1", True),
    ("IsIPAddressInCIDR", "10.0.0.0/8", "not an ip", False),
    ("IsIPAddressInCIDR", ["192.168.0.0/16", "10.0.0.0/8"], "10.1.1.1", True),
    ("IsIPAddressNotInCIDR", "10.0.0.0/8", "8.8.8.8", True),
    ("IsIPAddressNotInCIDR", "10.0.0.0/8", "10.0.0.1", False),
    ("IsNull", NO_VALUE, None, True),
    ("IsNull", NO_VALUE, NO_VALUE, True),
    ("IsNull", NO_VALUE, "", False),
    ("IsNotNull", NO_VALUE, "", True),
    ("IsNotNull", NO_VALUE, None, False),
    ("IsNullOrEmpty", NO_VALUE, "", True),
    ("IsNullOrEmpty", NO_VALUE, [], True),
    ("IsNullOrEmpty", NO_VALUE, {}, True),
    ("IsNullOrEmpty", NO_VALUE, 0, False),
    ("IsNotNullOrEmpty", NO_VALUE, {"methodName": "x"}, True),
    ("IsNotNullOrEmpty", NO_VALUE, "", False),
    ("Exists", NO_VALUE, None, True),
    ("Exists", NO_VALUE, NO_VALUE, False),
    ("DoesNotExist", NO_VALUE, NO_VALUE, True),
    ("DoesNotExist", NO_VALUE, "x", False),
    ("IsIPAddress", NO_VALUE, "1.2.3.4", True),
    ("IsIPAddress", NO_VALUE, "::1", True),
    ("IsIPAddress", NO_VALUE, "1.2.3", False),
    ("IsIPv4Address", NO_VALUE, "1.2.3.4", True),
    ("IsIPv4Address", NO_VALUE, "::1", False),
    ("IsIPv6Address", NO_VALUE, "2001:db8::1", True),
    ("IsIPv6Address", NO_VALUE, "1.2.3.4", False),
    ("IsIPAddressPublic", NO_VALUE, "8.8.8.8", True),
    ("IsIPAddressPublic", NO_VALUE, "10.0.0.1", False),
    ("IsIPAddressPrivate", NO_VALUE, "192.168.1.10", True),
    ("IsIPAddressPrivate", NO_VALUE, "8.8.8.8", False),
]


def _expression(condition: str, value: Any) -> dict[str, Any]:
    expression: dict[str, Any] = {"KeyPath": "field", "Condition": condition}
    if isinstance(value, list):
        expression["Values"] = value
    elif value is not NO_VALUE:
        expression["Value"] = value
    return expression


@pytest.mark.parametrize(("condition", "value", "actual", "expected"), CASES)
def test_simple_condition_evaluates(condition: str, value: Any, actual: Any, expected: bool) -> None:
    event = {} if actual is NO_VALUE else {"field": actual}
    assert compile_match([_expression(condition, value)])(event) is expected


def test_simple_condition_table_covers_every_condition() -> None:
    tested = {case[0] for case in CASES} | {
        "AlwaysTrue",
        "AlwaysFalse",
        "AnyElement",
        "AllElements",
        "NoElement",
        "OnlyOneElement",
    }
    assert set(CONDITIONS) == tested


@pytest.mark.parametrize(
    "condition",
    sorted(
        name
        for name, spec in CONDITIONS.items()
        if not spec.null_check and spec.arity in ("value", "values", "unary")
    ),
)
def test_simple_condition_missing_key_fails_positive_passes_inverse(condition: str) -> None:
    value = next(case[1] for case in CASES if case[0] == condition)
    assert compile_match([_expression(condition, value)])({"other": 1}) is CONDITIONS[condition].negated


def test_simple_condition_absolute() -> None:
    assert compile_match([{"Condition": "AlwaysTrue"}])({}) is True
    assert compile_match([{"Condition": "AlwaysFalse"}])({"a": 1}) is False
    assert compile_match([{"Condition": "AlwaysTrue"}, {"Condition": "AlwaysFalse"}])({}) is False


def test_simple_condition_unary_value_false_flips() -> None:
    private = compile_match([{"Key": "ip", "Condition": "IsIPAddressPrivate", "Value": False}])
    assert private({"ip": "8.8.8.8"}) is True
    assert private({"ip": "10.1.1.1"}) is False


def test_simple_condition_numeric_string_value() -> None:
    assert compile_match([{"Key": "n", "Condition": "IsGreaterThan", "Value": "5"}])({"n": 6}) is True


def test_simple_condition_wrong_types_never_raise() -> None:
    strange = {"field": {"nested": [object(), {"a": 1}]}}
    for name, spec in CONDITIONS.items():
        if spec.arity in ("absolute", "elements"):
            continue
        value = next(case[1] for case in CASES if case[0] == name)
        assert compile_match([_expression(name, value)])(strange) in (True, False)
