"""Match expressions: key specifiers, combinators, list comprehensions, multi-key and enrichment
expressions, inline-filter semantics and compile-time errors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from onca.detect.simple import SimpleDetectionError, compile_match

PLUTO = {
    "audit_event": "RECLASSIFICATION",
    "status": "success",
    "entity": {
        "name": "Pluto",
        "diameter": {"distance": 2370, "unit": "km"},
        "moons": [
            {"name": "Charon", "year_discovered": 1978, "discovered_by": ["James W. Christy"]},
            {"name": "Nix", "year_discovered": 2005, "discovered_by": ["H. A. Weaver", "S. A. Stern"]},
            {"name": "Hydra", "year_discovered": 2005, "discovered_by": ["A. J. Steffl"]},
        ],
    },
    "p_enrichment": {"ipinfo_location": {"srcAddr": {"city": "Idaho Falls", "geo": {"country": "US"}}}},
    "dotted.key": "literal",
}


def eq(key: dict[str, Any], value: Any) -> dict[str, Any]:
    return {**key, "Condition": "Equals", "Value": value}


class ReadOnlyEvent(Mapping[str, Any]):
    """An event reachable only through the Mapping interface, like the runtime's wrapper."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def test_simple_key_specifiers_reach_nested_values() -> None:
    assert compile_match([eq({"Key": "status"}, "success")])(PLUTO)
    assert compile_match([eq({"Key": "dotted.key"}, "literal")])(PLUTO)
    assert compile_match([eq({"DeepKey": ["entity", "diameter", "unit"]}, "km")])(PLUTO)
    assert compile_match([eq({"DeepKey": ["entity", "moons", 1, "name"]}, "Nix")])(PLUTO)
    assert compile_match([eq({"DeepKey": ["entity", "moons", "2", "name"]}, "Hydra")])(PLUTO)
    assert compile_match([eq({"KeyPath": "entity.moons[0].name"}, "Charon")])(PLUTO)
    assert compile_match([eq({"KeyPath": "$.entity.diameter.distance"}, 2370)])(PLUTO)
    assert compile_match([eq({"KeyPath": "entity.moons[-1].name"}, "Hydra")])(PLUTO)
    assert not compile_match([eq({"KeyPath": "entity.moons[7].name"}, "Hydra")])(PLUTO)


def test_simple_key_path_wildcard_any_element() -> None:
    assert compile_match([eq({"KeyPath": "entity.moons[*].name"}, "Hydra")])(PLUTO)
    assert not compile_match([eq({"KeyPath": "entity.moons[*].name"}, "Styx")])(PLUTO)
    nested = [{"KeyPath": "entity.moons[*].discovered_by[*]", "Condition": "Equals", "Value": "S. A. Stern"}]
    assert compile_match(nested)(PLUTO)
    none_null = [{"KeyPath": "entity.moons[*].name", "Condition": "IsNotNull"}]
    assert compile_match(none_null)(PLUTO)


def test_simple_enrichment_key() -> None:
    city = {"Enrichment": {"Table": "ipinfo_location", "Selector": "srcAddr", "FieldPath": "city"}}
    country = {"Enrichment": {"Table": "ipinfo_location", "Selector": "srcAddr", "FieldPath": "geo.country"}}
    assert compile_match([eq(city, "Idaho Falls")])(PLUTO)
    assert compile_match([{**country, "Condition": "IsIn", "Values": ["US", "CA"]}])(PLUTO)
    assert not compile_match([eq(city, "Boise")])(PLUTO)
    assert not compile_match([eq(city, "Idaho Falls")])({"srcAddr": "1.2.3.4"})


def test_simple_event_read_through_mapping_interface_only() -> None:
    event = ReadOnlyEvent({"actor": ReadOnlyEvent({"login": "octocat"}), "action": "repo.archived"})
    assert compile_match([eq({"KeyPath": "actor.login"}, "octocat"), eq({"Key": "action"}, "repo.archived")])(
        event
    )


class TextKeyEvent(ReadOnlyEvent):
    """A wrapper that folds key case and so accepts only text keys, like a case-insensitive event."""

    def __getitem__(self, key: str) -> Any:
        return self._data[key.lower()]


def test_simple_deep_key_integer_on_text_only_wrapper() -> None:
    matcher = compile_match([eq({"DeepKey": ["codes", 0]}, 403)])
    assert matcher(TextKeyEvent({"codes": TextKeyEvent({"0": 403})}))
    assert matcher({"codes": {0: 403}})
    assert matcher({"codes": [403]})
    assert not matcher(TextKeyEvent({"codes": TextKeyEvent({"1": 403})}))


def test_simple_detection_list_is_implicit_and() -> None:
    matcher = compile_match([eq({"Key": "status"}, "success"), eq({"Key": "audit_event"}, "OTHER")])
    assert matcher(PLUTO) is False


def test_simple_combinators() -> None:
    yes, no = eq({"Key": "status"}, "success"), eq({"Key": "status"}, "failure")
    assert compile_match([{"All": [yes, yes]}])(PLUTO)
    assert not compile_match([{"All": [yes, no]}])(PLUTO)
    assert compile_match([{"Any": [no, yes]}])(PLUTO)
    assert not compile_match([{"Any": [no, no]}])(PLUTO)
    assert compile_match([{"OnlyOne": [no, yes, no]}])(PLUTO)
    assert not compile_match([{"OnlyOne": [yes, yes]}])(PLUTO)
    assert not compile_match([{"OnlyOne": [no]}])(PLUTO)
    assert compile_match([{"None": [no, no]}])(PLUTO)
    assert not compile_match([{"None": [no, yes]}])(PLUTO)
    assert compile_match([{"Any": [{"All": [yes, no]}, {"None": [no]}]}])(PLUTO)


def test_simple_list_comprehension_conditions() -> None:
    discovered_2005 = [{"Key": "year_discovered", "Condition": "Equals", "Value": 2005}]
    named_nix = [{"Key": "name", "Condition": "Equals", "Value": "Nix"}]

    def moons(condition: str, expressions: list[dict[str, Any]]) -> bool:
        node = {"KeyPath": "entity.moons", "Condition": condition, "Expressions": expressions}
        return compile_match([node])(PLUTO)

    assert moons("AnyElement", discovered_2005)
    assert not moons("AllElements", discovered_2005)
    assert moons("AllElements", [{"Key": "year_discovered", "Condition": "IsLessThan", "Value": 2010}])
    assert not moons("OnlyOneElement", discovered_2005)
    assert moons("OnlyOneElement", named_nix)
    assert not moons("NoElement", named_nix)
    assert moons("NoElement", [{"Key": "name", "Condition": "Equals", "Value": "Styx"}])
    # Expressions are AND-ed per element: no single moon is both Charon and from 2005.
    assert not moons(
        "AnyElement", [*discovered_2005, {"Key": "name", "Condition": "Equals", "Value": "Charon"}]
    )


def test_simple_list_comprehension_on_missing_or_scalar() -> None:
    node = {"Key": "missing", "Condition": "AnyElement", "Expressions": [{"Condition": "AlwaysTrue"}]}
    assert not compile_match([node])(PLUTO)
    assert compile_match([{**node, "Condition": "NoElement"}])(PLUTO)
    assert not compile_match([{**node, "Key": "status"}])(PLUTO)
    assert compile_match([{**node, "Condition": "AllElements", "Key": "empty"}])({"empty": []})


def test_simple_multi_key_compares_two_fields() -> None:
    event = {"user": {"id": "u-1"}, "target": "u-1", "limit": 5, "used": 9, "prefix": "u-"}
    same = {"Condition": "Equals", "Values": [{"KeyPath": "user.id"}, {"Key": "target"}]}
    assert compile_match([same])(event)
    assert not compile_match([{**same, "Condition": "DoesNotEqual"}])(event)
    over = {"Condition": "IsGreaterThan", "Values": [{"Key": "used"}, {"Key": "limit"}]}
    assert compile_match([over])(event)
    starts = {"Condition": "StartsWith", "Values": [{"Key": "target"}, {"Key": "prefix"}]}
    assert compile_match([starts])(event)
    assert not compile_match([{**same, "Values": [{"Key": "target"}, {"Key": "absent"}]}])(event)
    assert compile_match(
        [{**same, "Condition": "DoesNotEqual", "Values": [{"Key": "target"}, {"Key": "absent"}]}]
    )(event)


def test_simple_inline_filters_let_events_without_the_key_through() -> None:
    block = [{"KeyPath": "environment", "Condition": "StartsWith", "Value": "Sandbox"}]
    inline = compile_match(block, where="InlineFilters")
    assert inline({"other": 1}) is True
    assert inline({"environment": "Sandbox-1"}) is True
    assert inline({"environment": "Prod"}) is False
    # A null value is not a missing key: positive comparisons fail, inverse ones pass.
    assert inline({"environment": None}) is False
    assert compile_match([{**block[0], "Condition": "DoesNotStartWith"}], where="InlineFilters")(
        {"environment": None}
    )
    # The same block in a Detection does not match an event without the key.
    assert compile_match(block, where="Detection")({"other": 1}) is False


def test_simple_inline_filters_existence_checks_still_apply() -> None:
    inline = compile_match([{"Key": "errorCode", "Condition": "Exists"}], where="InlineFilters")
    assert inline({}) is False
    assert inline({"errorCode": "AccessDenied"}) is True


def test_simple_inline_filters_empty_block_matches_everything() -> None:
    assert compile_match([{"All": []}], where="InlineFilters")({}) is True
    assert compile_match([], where="InlineFilters")({}) is True
    assert compile_match(None, where="InlineFilters")({}) is True


def test_simple_evaluation_never_raises_on_odd_events() -> None:
    matcher = compile_match(
        [
            {"KeyPath": "a.b[0].c", "Condition": "StartsWith", "Value": "x"},
            {"KeyPath": "a", "Condition": "AnyElement", "Expressions": [{"Key": "c", "Condition": "Exists"}]},
        ]
    )
    for event in (
        {},
        {"a": None},
        {"a": 5},
        {"a": {"b": "text"}},
        {"a": {"b": [None]}},
        {"a": [1, "x", None]},
    ):
        assert matcher(event) is False


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        (
            [{"Key": "a", "Condition": "Equalz", "Value": 1}],
            "Detection[0].Condition: unknown operator 'Equalz'",
        ),
        ([{"Key": "a", "Condition": "Equalz", "Value": 1}], "did you mean 'Equals'"),
        ([{"Key": "a", "Condition": "GreaterThan", "Value": 1}], "did you mean 'IsGreaterThan'"),
        ([{"Key": "a", "Condition": "Equals"}], "Detection[0]: Equals needs a Value"),
        (
            [{"Key": "a", "Condition": "Equals", "Value": [1]}],
            "Detection[0].Value: must be a string, number or boolean",
        ),
        ([{"Key": "a", "Condition": "IsIn", "Values": []}], "Detection[0].Values: must be a non-empty list"),
        (
            [{"Key": "a", "Condition": "IsGreaterThan", "Value": "big"}],
            "Detection[0].Value: must be a number",
        ),
        (
            [{"Key": "a", "Condition": "IsIPAddressInCIDR", "Value": "10.0.0.0/33"}],
            "Detection[0].Value: must be a CIDR",
        ),
        ([{"Key": "a", "Condition": "IsNull", "Value": "x"}], "Detection[0].Value: IsNull takes no value"),
        ([{"Key": "a", "Condition": "Equals", "Value": 1, "Valeu": 2}], "Detection[0].Valeu: unexpected key"),
        (
            [{"Key": "a", "KeyPath": "a", "Condition": "Exists"}],
            "Detection[0]: holds more than one key specifier",
        ),
        ([{"Condition": "Equals", "Value": 1}], "Detection[0]: needs a key specifier"),
        ([{"KeyPath": "a..b", "Condition": "Exists"}], "Detection[0].KeyPath: malformed key path"),
        ([{"KeyPath": "a[x]", "Condition": "Exists"}], "Detection[0].KeyPath: malformed key path"),
        ([{"DeepKey": [], "Condition": "Exists"}], "Detection[0].DeepKey: must be a non-empty list"),
        (
            [{"All": [{"Key": "a", "Condition": "Nope"}]}],
            "Detection[0].All[0].Condition: unknown operator 'Nope'",
        ),
        ([{"All": [], "Any": []}], "Detection[0].Any: a combinator (All) must be the only key"),
        ([{"Any": {"Key": "a"}}], "Detection[0].Any: must be a list of match expressions"),
        ([{"Key": "a", "Condition": "AnyElement"}], "Detection[0]: AnyElement needs Expressions"),
        (
            [{"Key": "a", "Condition": "AnyElement", "Expressions": []}],
            "Detection[0].Expressions: must hold at least one",
        ),
        (
            [{"Key": "l", "Condition": "AnyElement", "Expressions": [{"Key": "x", "Condition": "Bad"}]}],
            "Detection[0].Expressions[0].Condition: unknown operator 'Bad'",
        ),
        (
            [{"Condition": "Equals", "Values": [{"Key": "a"}]}],
            "Detection[0].Values: must list exactly two key specifiers",
        ),
        ([{"Condition": "AlwaysTrue", "Key": "a"}], "Detection[0].Key: unexpected key"),
        ([{"Key": "a"}], "Detection[0]: needs a Condition"),
        (["Equals"], "Detection[0]: must be a match expression"),
        ([], "Detection: must hold at least one match expression"),
        (
            {"Enrichment": {"Table": "t"}, "Condition": "Exists"},
            "Detection.Enrichment.Selector: must be a non-empty string",
        ),
    ],
)
def test_simple_compile_errors_name_the_path(expr: Any, message: str) -> None:
    with pytest.raises(SimpleDetectionError) as raised:
        compile_match(expr)
    assert message in str(raised.value)


def test_simple_compile_error_uses_given_where() -> None:
    with pytest.raises(SimpleDetectionError, match=r"^DynamicSeverities\[1\]\.Conditions\[0\]\.Condition"):
        compile_match([{"Key": "a", "Condition": "x"}], where="DynamicSeverities[1].Conditions")
