"""What the index assumes of standard-library calls: the literal runs of a pattern, and that
ip_address raises nothing but ValueError for any value an event can hold."""

from __future__ import annotations

import ipaddress
import random
import re

import pytest

from onca.detect.event import wrap
from onca.detect.index.library import Literals, ip_address_accepts, pattern_literals


@pytest.mark.parametrize(
    ("pattern", "method", "literals"),
    [
        (r":assumed-role/.+/i-[0-9a-f]+$", "search", Literals("", (":assumed-role/", "/i-"))),
        (r"arn:aws:iam::\d+:root", "match", Literals("arn:aws:iam::", ("arn:aws:iam::", ":root"))),
        (r"arn:aws:iam::\d+:root", "search", Literals("", ("arn:aws:iam::", ":root"))),
        (r"^abc", "match", Literals("", ("abc",))),  # an anchor first: no prefix taken
        (r"a|b", "search", Literals("", ())),  # a branch: nothing is required
        (r"(?i)abc", "search", Literals("", ())),  # case-insensitive: literals say nothing
        (r"ab?c", "search", Literals("", ("a", "c"))),
        (r"x(?=y)z", "search", Literals("", ("x", "z"))),
    ],
)
def test_library_pattern_literals(pattern, method, literals):
    assert pattern_literals(re.compile(pattern), method) == literals


def test_library_pattern_literals_are_needed_for_a_match():
    """Every text a pattern matches holds its runs (and starts with the prefix, for match)."""
    rng = random.Random(5)
    patterns = [r"a.b", r"ab+c", r"x[0-9]y.z", r"(ab)c", r"a\.b", r"a{2}b", r"\d+-a"]
    alphabet = "abcxyz0123456789.-"
    for source in patterns:
        pattern = re.compile(source)
        for method in ("search", "match", "fullmatch"):
            literals = pattern_literals(pattern, method)
            for _ in range(3000):
                text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 9)))
                if getattr(pattern, method)(text):
                    assert text.startswith(literals.prefix)
                    assert all(run in text for run in literals.runs), (source, method, text)


def test_library_ip_address_raises_only_value_error():
    rng = random.Random(9)
    values: list[object] = [
        None, True, False, 0, -1, 2**32, 2**128, 2**200, -(2**70), 1.5, float("nan"), float("inf"),
        "", "1.2.3.4", "::1", "fe80::1%eth0", "1.2.3.4/5", "%", "::%", "\x00", "\ud800", "１.２.３.４",
        "::ffff:1.2.3.4", "1" * 1000, "::" * 100, wrap({"a": 1}), wrap([1, 2]), wrap({}), wrap([]),
    ]
    alphabet = "0123456789abcdef:.%/x \u0660"
    values += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 45))) for _ in range(20000)]
    for value in values:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            assert not ip_address_accepts(value)
        else:
            assert ip_address_accepts(value)
