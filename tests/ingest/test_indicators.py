from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onca.ingest import indicators as ind
from onca.ingest.indicators import (
    INDICATOR_COLUMNS,
    SCANNER_NAMES,
    UnknownIndicatorError,
    columns_for,
    finalize,
    get_scanner,
)


def scan(name: str, *values: str) -> dict[str, list[str]]:
    found: dict[str, set[str]] = {}
    scanner = get_scanner(name)
    for value in values:
        scanner(value, found)
    return finalize(found)


def ips(*values: str, name: str = "ip") -> list[str]:
    return scan(name, *values).get("p_any_ip_addresses", [])


def domains(*values: str, name: str = "domain") -> list[str]:
    return scan(name, *values).get("p_any_domain_names", [])


# ---- registry ----------------------------------------------------------------------------------------------


def test_registry_names_every_panther_scanner():
    panther = {"ip", "domain", "hostname", "url", "net_addr", "md5", "sha1", "sha256", "trace_id", "username",
               "email", "aws_arn", "aws_arn_only", "aws_account_id", "aws_instance_id", "aws_tag", "mac",
               "actor_id"}
    assert SCANNER_NAMES == panther == set(INDICATOR_COLUMNS)
    assert all(column.startswith("p_any_") for columns in INDICATOR_COLUMNS.values() for column in columns)


def test_registry_has_a_scanner_for_every_name_the_schema_loader_accepts():
    from onca.schema.load import KNOWN_INDICATORS

    assert set(KNOWN_INDICATORS) <= SCANNER_NAMES


def test_registry_columns_for_is_sorted_and_deduplicated():
    assert columns_for(["url", "hostname", "ip"]) == ["p_any_domain_names", "p_any_ip_addresses"]
    assert columns_for(["aws_arn"]) == ["p_any_aws_account_ids", "p_any_aws_arns", "p_any_aws_instance_ids",
                                        "p_any_emails"]
    assert columns_for([]) == []


def test_registry_unknown_scanner_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match=r"unknown indicator 'ipaddr'.*known: actor_id"):
        get_scanner("ipaddr")
    with pytest.raises(UnknownIndicatorError, match="'bogus'"):
        columns_for(["ip", "bogus"])
    assert issubclass(UnknownIndicatorError, LookupError)


def test_registry_scanners_only_fill_their_declared_columns():
    samples = ["198.51.100.1", "example.com", "https://a.example.com/x",
               "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0", "bob@example.com",
               "aa:bb:cc:dd:ee:ff", "d41d8cd98f00b204e9800998ecf8427e", "123456789012", "i-12345678", "k:v",
               "[::1]:80"]
    for name in SCANNER_NAMES:
        found: dict[str, set[str]] = {}
        for value in samples:
            get_scanner(name)(value, found)
        assert set(found) <= set(INDICATOR_COLUMNS[name]), name


# ---- finalize ----------------------------------------------------------------------------------------------


def test_finalize_sorts_values_and_columns_and_drops_empty_columns():
    found = {"p_any_usernames": {"bob", "alice", "Carol"}, "p_any_emails": set(),
             "p_any_domain_names": {"b.example.com", "a.example.com"}}
    result = finalize(found)
    assert result == {"p_any_domain_names": ["a.example.com", "b.example.com"],
                      "p_any_usernames": ["Carol", "alice", "bob"]}
    assert list(result) == ["p_any_domain_names", "p_any_usernames"]


def test_finalize_deduplicates_across_scanners():
    assert scan("hostname", "198.51.100.1", " 198.51.100.1", "[198.51.100.1]") == {
        "p_any_ip_addresses": ["198.51.100.1"]}


def test_finalize_empty_input_gives_empty_result():
    assert finalize({}) == {}


# ---- ip ----------------------------------------------------------------------------------------------------


def test_ip_valid_v4_and_v6_in_canonical_form():
    assert ips("198.51.100.7", "0.0.0.0", "255.255.255.255") == ["0.0.0.0", "198.51.100.7", "255.255.255.255"]
    assert ips("2001:0DB8:0000:0000:0000:0000:0000:0001") == ["2001:db8::1"]
    assert ips("::", "::1") == ["::", "::1"]


def test_ip_strips_whitespace_and_brackets():
    assert ips(" 203.0.113.9\t", "[2001:db8::7]", " [::1] ") == ["2001:db8::7", "203.0.113.9", "::1"]


def test_ip_zone_id_is_dropped():
    assert ips("fe80::1%eth0", "fe80::2%25") == ["fe80::1", "fe80::2"]
    assert ips("fe80::1%", "fe80::1%eth 0") == []


def test_ip_v4_mapped_v6_yields_both_forms():
    assert ips("::ffff:192.0.2.1", "::FFFF:C000:0201") == ["192.0.2.1", "::ffff:192.0.2.1"]


def test_ip_invalid_values_add_nothing():
    assert ips("", "   ", "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.4:80", "1.2.3.4/24",
               "2001:db8::1::2", "12345::", "example.com", "-", "::g", "[1.2.3.4", "١.٢.٣.٤") == []


# ---- domain ------------------------------------------------------------------------------------------------


def test_domain_lower_cased_and_trailing_dot_removed():
    assert domains("WWW.Example.COM.", "api.example.com") == ["api.example.com", "www.example.com"]


def test_domain_single_label_and_service_labels_accepted():
    assert domains("localhost", "WORKSTATION-01", "_dmarc.example.com", "xn--bcher-kva.de") == [
        "_dmarc.example.com", "localhost", "workstation-01", "xn--bcher-kva.de"]


def test_domain_unicode_names_become_punycode():
    assert domains("bücher.de") == ["xn--bcher-kva.de"]
    assert domains("BÜCHER.de.") == ["xn--bcher-kva.de"]
    assert domains("例え。テスト") == ["xn--r8jz45g.xn--zckzah"]  # ideographic full stop as separator
    assert domains("ｅｘａｍｐｌｅ.com") == ["example.com"]  # full-width letters folded (UTS 46)


def test_domain_names_idna2008_refuses_fall_back_to_idna2003():
    assert domains("☃.net") == ["xn--n3h.net"]


def test_domain_non_hostnames_add_nothing():
    assert domains("", ".", "..", "a..b", "-bad.example.com", "bad-.example.com", "exa mple.com",
                   "example.com:443", "https://example.com", "1.2.3.999", "12345", "*.example.com",
                   "a" * 64 + ".com", ".".join(["abcdefghi"] * 26), "bob@example.com", "\ud800.com") == []


# ---- hostname ----------------------------------------------------------------------------------------------


def test_hostname_ip_or_domain():
    assert scan("hostname", "10.1.2.3", "Mail.Example.org", "[2001:db8::5]") == {
        "p_any_domain_names": ["mail.example.org"], "p_any_ip_addresses": ["10.1.2.3", "2001:db8::5"]}


def test_hostname_malformed_addresses_are_not_domains():
    assert scan("hostname", "10.1.2.300", "host:80", "[nothost]", "", "  ") == {}


# ---- url ---------------------------------------------------------------------------------------------------


def test_url_host_with_userinfo_and_port():
    assert domains("https://alice:s3cret@Login.Example.com:8443/path?q=1#frag", name="url") == [
        "login.example.com"]
    assert ips("ftp://user@198.51.100.20:21/pub", name="url") == ["198.51.100.20"]


def test_url_bracketed_ipv6_host():
    assert ips("http://[2001:db8::1]:8080/x", "https://[fe80::1%25en0]/", name="url") == ["2001:db8::1", "fe80::1"]


def test_url_without_scheme():
    assert domains("example.com/path", "cdn.example.net", "//static.example.org/a.js", "localhost:8080",
                   "shop.example.com:8443/cart?x=http://evil.example", name="url") == [
        "cdn.example.net", "example.com", "localhost", "shop.example.com", "static.example.org"]
    assert ips("203.0.113.5/admin", "[::1]:3000", name="url") == ["203.0.113.5", "::1"]


def test_url_internationalized_host():
    assert domains("https://bücher.de/katalog", name="url") == ["xn--bcher-kva.de"]


def test_url_without_host_adds_nothing():
    assert scan("url", "", "/just/a/path", "?q=1", "mailto:bob@example.com", "urn:isbn:0451450523",
                "file:///etc/passwd", "javascript:alert(1)", "images/logo", "bob@example.com/x",
                "http://", "http://[::1", "not a url at all") == {}


# ---- net_addr ----------------------------------------------------------------------------------------------


def test_net_addr_host_port_forms():
    assert scan("net_addr", "example.com:443", "10.0.0.1:5353", "[2001:db8::1]:53", "2001:db8::2", "bare-host") == {
        "p_any_domain_names": ["bare-host", "example.com"],
        "p_any_ip_addresses": ["10.0.0.1", "2001:db8::1", "2001:db8::2"]}


def test_net_addr_malformed_adds_nothing():
    assert scan("net_addr", "", ":", ":80", "[2001:db8::1]x", "[2001:db8::1", "a:b:c") == {}


# ---- mac ---------------------------------------------------------------------------------------------------


def test_mac_forms_normalize_to_lower_colon():
    assert scan("mac", "AA:BB:CC:DD:EE:FF", "aa-bb-cc-dd-ee-f0", "aabb.ccdd.eef1", "AABBCCDDEEF2",
                "0:1b:63:84:45:e6") == {"p_any_mac_addresses": [
                    "00:1b:63:84:45:e6", "aa:bb:cc:dd:ee:f0", "aa:bb:cc:dd:ee:f1", "aa:bb:cc:dd:ee:f2",
                    "aa:bb:cc:dd:ee:ff"]}


def test_mac_eui64_accepted():
    assert scan("mac", "02:00:5E:10:00:00:00:01") == {"p_any_mac_addresses": ["02:00:5e:10:00:00:00:01"]}


def test_mac_invalid_adds_nothing():
    assert scan("mac", "", "aa:bb:cc", "gg:bb:cc:dd:ee:ff", "aa:bb-cc:dd:ee:ff", "aaa:bb:cc:dd:ee:f",
                "aabb.ccdd", "aabbccddeef", "2001:db8::1", "aa::cc:dd:ee:ff") == {}


# ---- hashes ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "length"), [("md5", 32), ("sha1", 40), ("sha256", 64)])
def test_hash_exact_length_lower_cased(name, length):
    column = INDICATOR_COLUMNS[name][0]
    upper = ("0123456789ABCDEF" * 4)[:length]
    assert scan(name, upper, f"  {upper.lower()}\n") == {column: [upper.lower()]}


@pytest.mark.parametrize(("name", "length"), [("md5", 32), ("sha1", 40), ("sha256", 64)])
def test_hash_wrong_length_or_not_hex_adds_nothing(name, length):
    good = "a" * length
    assert scan(name, "", good[:-1], good + "a", "g" + good[1:], "0x" + good[2:], good[:-2] + "_a",
                good[:-1] + "١") == {}


def test_hash_scanners_do_not_cross_lengths():
    md5 = "d41d8cd98f00b204e9800998ecf8427e"
    assert scan("sha1", md5) == {} and scan("sha256", md5) == {}


# ---- email -------------------------------------------------------------------------------------------------


def test_email_kept_as_given_trimmed():
    assert scan("email", " Bob.Smith+alerts@Example.COM ", "alice@bücher.de") == {
        "p_any_emails": ["Bob.Smith+alerts@Example.COM", "alice@bücher.de"]}


def test_email_not_an_address_adds_nothing():
    assert scan("email", "", "@", "bob", "bob@", "@example.com", "Bob <bob@example.com>", "mailto:bob@example.com",
                "a@b@example.com", "bob smith@example.com", "bob@ example.com", "root@server01",
                "bob@-bad-.com", "a@b.com, c@d.com", "x" * 65 + "@example.com") == {}


# ---- verbatim scanners -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["username", "trace_id", "actor_id", "aws_tag"])
def test_verbatim_values_kept_as_given(name):
    column = INDICATOR_COLUMNS[name][0]
    assert scan(name, "Alice", " env:Prod ", "1-5f84c7a1-0d1d2b2e3f4a", "", "   ") == {
        column: ["1-5f84c7a1-0d1d2b2e3f4a", "Alice", "env:Prod"]}


# ---- aws ---------------------------------------------------------------------------------------------------


def test_aws_arn_with_account_id():
    assert scan("aws_arn", "arn:aws:iam::123456789012:user/alice") == {
        "p_any_aws_account_ids": ["123456789012"], "p_any_aws_arns": ["arn:aws:iam::123456789012:user/alice"]}


def test_aws_arn_s3_without_account_or_region():
    arn = "arn:aws:s3:::my-bucket/logs/2024/01/file name.json.gz"
    assert scan("aws_arn", arn) == {"p_any_aws_arns": [arn]}


def test_aws_arn_managed_policy_account_is_not_an_account_id():
    arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    assert scan("aws_arn", arn) == {"p_any_aws_arns": [arn]}


def test_aws_arn_ec2_instance_id_extracted():
    arn = "arn:aws-us-gov:ec2:us-gov-west-1:123456789012:instance/i-0ABCDEF1234567890"
    assert scan("aws_arn", arn) == {"p_any_aws_account_ids": ["123456789012"], "p_any_aws_arns": [arn],
                                    "p_any_aws_instance_ids": ["i-0abcdef1234567890"]}
    bad = "arn:aws:ec2:us-east-1:123456789012:instance/not-an-instance"
    assert "p_any_aws_instance_ids" not in scan("aws_arn", bad)


def test_aws_arn_assumed_role_session_email_extracted():
    arn = "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123/bob@example.com"
    assert scan("aws_arn", arn)["p_any_emails"] == ["bob@example.com"]
    assert "p_any_emails" not in scan("aws_arn", "arn:aws:sts::123456789012:assumed-role/Deploy/i-0123456789")


def test_aws_arn_only_extracts_nothing_else():
    arn = "arn:aws:ec2:us-east-1:123456789012:instance/i-0abcdef1234567890"
    assert scan("aws_arn_only", arn) == {"p_any_aws_arns": [arn]}


def test_aws_arn_invalid_adds_nothing():
    assert scan("aws_arn", "", "arn", "arn:", "arn:aws:iam", "arn:aws:iam::123456789012", "arn:aws::::x",
                "arn:aws:iam::123456789012:", "ARN:aws:iam::123456789012:user/a", "xarn:aws:s3:::b",
                "arn:aws:iam::123456789012:user/a\nb", "arn:AWS:iam::123456789012:user/a") == {}


def test_aws_account_id_exactly_twelve_ascii_digits():
    assert scan("aws_account_id", "123456789012", " 000000000001 ") == {
        "p_any_aws_account_ids": ["000000000001", "123456789012"]}
    assert scan("aws_account_id", "", "12345678901", "1234567890123", "12345678901a", "١٢٣٤٥٦٧٨٩٠١٢") == {}


def test_aws_instance_id_forms():
    assert scan("aws_instance_id", "i-12345678", "I-12345678", "i-0123456789ABCDEF0") == {
        "p_any_aws_instance_ids": ["i-0123456789abcdef0", "i-12345678"]}
    assert scan("aws_instance_id", "", "i-", "i-1234567", "i-123456789", "i-0123456789abcdef", "i-1234567g",
                "mi-0123456789abcdef0") == {}


# ---- robustness --------------------------------------------------------------------------------------------

_FRAGMENTS = st.sampled_from([
    ":", "::", ".", "[", "]", "%", "@", "/", "//", "://", "arn:", "aws", "xn--", "-", "_", "ffff", "1", "255",
    "0", "i-", "\u3002", "ü", "☃", "\ud800", "\x00", " ", "\n", "é", "ß", "ς", "٣", "Ⅻ", "https", "mailto:",
])
_TEXT = st.one_of(st.text(), st.lists(_FRAGMENTS | st.text(max_size=3), max_size=12).map("".join))


@settings(max_examples=400, deadline=None)
@given(name=st.sampled_from(sorted(SCANNER_NAMES)), value=_TEXT)
def test_scanners_never_raise_on_arbitrary_text(name, value):
    found: dict[str, set[str]] = {}
    get_scanner(name)(value, found)
    assert set(found) <= set(INDICATOR_COLUMNS[name])
    for column, items in finalize(found).items():
        assert all(isinstance(item, str) and item and item == item.strip() for item in items), column


@settings(max_examples=300, deadline=None)
@given(value=_TEXT)
def test_scanners_output_is_well_formed(value):
    for name in ("ip", "hostname", "url", "net_addr"):
        found: dict[str, set[str]] = {}
        get_scanner(name)(value, found)
        for ip in found.get("p_any_ip_addresses", ()):
            assert str(ipaddress.ip_address(ip)) == ip or ip.startswith("::ffff:")
        for domain in found.get("p_any_domain_names", ()):
            assert domain.isascii() and domain == domain.lower() and not domain.endswith(".")
            assert domains(domain) == [domain]  # canonical output is a fixed point


@given(address=st.ip_addresses())
def test_ip_round_trips_every_address(address):
    text = str(address)
    expected = text
    if address.version == 6 and address.ipv4_mapped is not None:
        expected = f"::ffff:{address.ipv4_mapped}"
    assert expected in ips(text, f"[{text}]")


def test_scanner_results_are_cached_per_value_not_shared_between_calls():
    first: dict[str, set[str]] = {}
    second: dict[str, set[str]] = {}
    ind.get_scanner("ip")("198.51.100.9", first)
    ind.get_scanner("ip")("198.51.100.9", second)
    first["p_any_ip_addresses"].add("mutated")
    assert second == {"p_any_ip_addresses": {"198.51.100.9"}}


def test_long_values_bypass_the_cache_and_still_scan():
    host = ".".join(["a" * 60] * 4)  # 243 characters: a valid name
    url = f"https://{host}/" + "p" * 2000
    assert domains(url, name="url") == [host]
    assert domains("x" * 5000) == []


# ---- strings inside JSON values ------------------------------------------------------------------------------

from onca.ingest.indicators.nested import MAX_JSON_SCAN_STRINGS, json_scanner  # noqa: E402

_JSON_STRINGS = st.sampled_from([
    "arn:aws:ec2:us-east-1:123456789012:instance/i-0abcdef1234567890", "i-0ABCDEF1234567890", "10.0.0.1",
    "::ffff:192.0.2.1", "bob@example.com", "d41d8cd98f00b204e9800998ecf8427e", " 192.0.2.7 ", "", "prod",
    "arn:aws:sts::123456789012:assumed-role/r/alice@example.com", "example.com", "a" * 600,
]) | st.text(max_size=20)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | _JSON_STRINGS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=30,
)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@settings(max_examples=300, deadline=None)
@given(_JSON_VALUES, st.lists(st.sampled_from(sorted(SCANNER_NAMES)), min_size=1, max_size=4, unique=True))
def test_json_scanner_finds_what_each_scanner_finds_in_each_string(value, names):
    scanners = [get_scanner(n) for n in names]
    expected: dict[str, set[str]] = {}
    for text in _strings(value):
        for scanner in scanners:
            if text:
                scanner(text, expected)
    found: dict[str, set[str]] = {}
    scan_json = json_scanner(scanners)
    scan_json(value, found)
    scan_json(value, found)  # the second time from its memory, with the same result
    assert finalize(found) == finalize(expected)


def test_json_scanner_stops_after_its_budget_of_strings():
    value = {"items": [f"10.0.{i // 250}.{i % 250}" for i in range(MAX_JSON_SCAN_STRINGS + 500)]}
    found: dict[str, set[str]] = {}
    json_scanner([get_scanner("ip")])(value, found)
    assert len(found["p_any_ip_addresses"]) == MAX_JSON_SCAN_STRINGS

