"""Type-tolerant comparisons used by the conditions.

Log values arrive as JSON types, but the same field can be a number in one source and a numeric
string in another, and YAML authors write ``Value: 403`` or ``Value: "403"`` interchangeably. These
helpers compare such values the way an analyst means them and never raise: a value that cannot
take part in a comparison simply does not match.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from typing import Any

from onca.detect.simple.paths import MISSING, is_sequence

Number = int | float
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def as_number(value: Any) -> Number | None:
    """A number from a number or a numeric string; booleans are not numbers here."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            return None
        return None if math.isnan(number) else number  # NaN never compares
    return None


def as_text(value: Any) -> str | None:
    """The text of a scalar (booleans as ``true``/``false``, as JSON writes them); None otherwise."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return None


def loose_equal(actual: Any, expected: Any) -> bool:
    """Equality that lets ``403`` match ``"403"`` and ``true`` match ``"true"``."""
    if actual is MISSING or actual is None:
        return False
    if isinstance(actual, bool) or isinstance(expected, bool):
        if isinstance(actual, bool) and isinstance(expected, bool):
            return actual is expected
        text_a, text_e = as_text(actual), as_text(expected)
        if isinstance(actual, (int, float)) and not isinstance(actual, bool):
            return False
        if isinstance(expected, (int, float)) and not isinstance(expected, bool):
            return False
        return text_a is not None and text_e is not None and text_a.lower() == text_e.lower()
    if isinstance(actual, str) and isinstance(expected, str):
        return actual == expected
    number_a, number_e = as_number(actual), as_number(expected)
    if number_a is not None and number_e is not None:
        return number_a == number_e
    try:
        return bool(actual == expected)
    except Exception:  # noqa: BLE001 - an odd wrapper type must not break evaluation
        return False


def folded_equal(actual: Any, expected: Any) -> bool:
    """Case-insensitive equality of the text forms."""
    text_a, text_e = as_text(actual), as_text(expected)
    return text_a is not None and text_e is not None and text_a.casefold() == text_e.casefold()


def contains(actual: Any, expected: Any, *, fold: bool) -> bool:
    """Substring for text, membership for lists, key presence for maps."""
    if is_sequence(actual):
        same = folded_equal if fold else loose_equal
        return any(same(element, expected) for element in actual)
    if isinstance(actual, Mapping):
        key = as_text(expected)
        if key is None:
            return False
        if fold:
            return any(isinstance(k, str) and k.casefold() == key.casefold() for k in actual)
        return key in actual
    return text_test(actual, expected, lambda a, e: e in a, fold=fold)


def text_test(actual: Any, expected: Any, test: Any, *, fold: bool) -> bool:
    text_a, text_e = as_text(actual), as_text(expected)
    if text_a is None or text_e is None:
        return False
    if fold:
        text_a, text_e = text_a.casefold(), text_e.casefold()
    return bool(test(text_a, text_e))


def compare_numbers(actual: Any, expected: Any, test: Any) -> bool:
    number_a, number_e = as_number(actual), as_number(expected)
    if number_a is None or number_e is None:
        return False
    return bool(test(number_a, number_e))


def as_ip(value: Any) -> IPAddress | None:
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def as_network(value: Any) -> IPNetwork | None:
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


def in_network(actual: Any, network: IPNetwork | None) -> bool:
    address = as_ip(actual)
    if address is None or network is None or address.version != network.version:
        return False
    return address in network


def is_null_or_empty(value: Any) -> bool:
    if value is MISSING or value is None:
        return True
    if isinstance(value, str):
        return value == ""
    if isinstance(value, Mapping) or is_sequence(value):
        return len(value) == 0
    return False


def to_plain(value: Any) -> Any:
    """Plain dicts and lists (for JSON) from whatever Mapping/Sequence wrappers the event uses."""
    if value is MISSING:
        return None
    if isinstance(value, Mapping):
        return {str(key): to_plain(item) for key, item in value.items()}
    if is_sequence(value):
        return [to_plain(item) for item in value]
    return value
