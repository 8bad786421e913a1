"""Client address allowlists by CIDR block."""

from __future__ import annotations

import pytest

from onca.api.auth import ip_allowed, normalize_cidrs


@pytest.mark.parametrize("client, cidrs, allowed", [
    ("203.0.113.9", [], True),
    ("203.0.113.9", ["203.0.113.0/24"], True),
    ("203.0.114.9", ["203.0.113.0/24"], False),
    ("203.0.114.9", ["203.0.113.0/24", "203.0.114.0/24"], True),
    ("10.1.2.3", ["10.0.0.0/8"], True),
    ("10.1.2.3", ["10.1.2.3"], True),
    ("::ffff:10.1.2.3", ["10.0.0.0/8"], True),
    ("2001:db8::1", ["2001:db8::/32"], True),
    ("2001:db9::1", ["2001:db8::/32"], False),
    ("2001:db8::1", ["10.0.0.0/8"], False),
    ("testclient", ["10.0.0.0/8"], False),
    ("", ["10.0.0.0/8"], False),
    (None, ["10.0.0.0/8"], False),
    ("10.1.2.3", ["not-a-block", "10.0.0.0/8"], True),
])
def test_ip_allowed(client, cidrs, allowed):
    assert ip_allowed(client, cidrs) is allowed


def test_normalize_cidrs_canonical_and_deduplicated():
    assert normalize_cidrs(["10.1.2.3/8", "10.0.0.0/8", "2001:DB8::1/32", "192.0.2.7"]) == [
        "10.0.0.0/8", "2001:db8::/32", "192.0.2.7/32"]


def test_normalize_cidrs_names_the_bad_block():
    with pytest.raises(ValueError, match="'10.0.0.0/33' is not a CIDR block"):
        normalize_cidrs(["10.0.0.0/8", "10.0.0.0/33"])
