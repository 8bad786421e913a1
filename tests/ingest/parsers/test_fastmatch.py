import pytest
from hypothesis import given
from hypothesis import strategies as st

from onca.ingest.parsers import ParserConfigError, build_parser
from onca.ingest.parsers.fastmatch import FastmatchPattern, unescape

NGINX = ('%{remote_addr} - %{remote_user} [%{time_local}] "%{request}" %{status} %{body_bytes_sent} '
         '"%{http_referer}" "%{http_user_agent}"')
APACHE_COMMON = '%{remote_ip} %{identity} %{user} [%{timestamp}] "%{method} %{request_uri} %{protocol}" %{status} %{bytes_sent}'
ALB = ('%{type} %{time} %{elb} %{client} %{target} %{request_processing_time} %{target_processing_time} '
       '%{response_processing_time} %{elb_status_code} %{target_status_code} %{received_bytes} %{sent_bytes} '
       '"%{request}" "%{user_agent}" %{ssl_cipher} %{ssl_protocol} %{target_group_arn} "%{trace_id}" '
       '"%{domain_name}" "%{chosen_cert_arn}" %{matched_rule_priority} %{request_creation_time} '
       '"%{actions_executed}" "%{redirect_url}" "%{error_reason}" "%{target_port_list}" '
       '"%{target_status_code_list}" "%{classification}" "%{classification_reason}"')
ALB_LINE = ('https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 '
            '10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" '
            '"curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 '
            'arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 '
            '"Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" '
            '"arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 '
            '2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-"')


def fastmatch(*patterns, **options):
    return build_parser("fastmatch", {"match": list(patterns), **options})


def test_fastmatch_nginx_combined_line():
    parser = fastmatch(NGINX, emptyValues=["-"])
    line = ('203.0.113.9 - - [10/Oct/2023:13:55:36 +0000] "GET /index.html?q=1 HTTP/1.1" 200 612 '
            '"https://example.com/" "Mozilla/5.0 (X11; Linux x86_64)"')
    assert parser(line) == {
        "remote_addr": "203.0.113.9", "remote_user": None, "time_local": "10/Oct/2023:13:55:36 +0000",
        "request": "GET /index.html?q=1 HTTP/1.1", "status": "200", "body_bytes_sent": "612",
        "http_referer": "https://example.com/", "http_user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
    }
    assert parser.last_error is None


def test_fastmatch_apache_common_line():
    parser = fastmatch(APACHE_COMMON, emptyValues=["-"])
    record = parser('127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326')
    assert record == {"remote_ip": "127.0.0.1", "identity": None, "user": "frank",
                      "timestamp": "10/Oct/2000:13:55:36 -0700", "method": "GET", "request_uri": "/apache_pb.gif",
                      "protocol": "HTTP/1.0", "status": "200", "bytes_sent": "2326"}


def test_fastmatch_aws_alb_line():
    record = fastmatch(ALB, emptyValues=["-"])(ALB_LINE)
    assert record["client"] == "192.168.131.39:2817"
    assert record["request"] == "GET https://www.example.com:443/ HTTP/1.1"
    assert record["trace_id"] == "Root=1-58337281-1d84f3d73c47ec4e58577259"
    assert record["actions_executed"] == "authenticate,forward"
    assert record["redirect_url"] is None and record["classification_reason"] is None
    assert len(record) == 29


def test_fastmatch_ignores_text_after_the_last_literal_like_panther():
    # the ALB keeps appending fields to its format; a pattern ending in a literal still matches newer lines
    record = fastmatch(ALB, emptyValues=["-"])(ALB_LINE + ' "TID_1234"')
    assert record is not None
    assert record["classification"] is None


def test_fastmatch_escaped_quotes_are_unescaped():
    parser = fastmatch('%{timestamp} "%{message}" %{level}')
    record = parser(r'2020-10-10T14:32:05 "Some quoted text with \"escaped quotes\" inside" WARN')
    assert record == {"timestamp": "2020-10-10T14:32:05",
                      "message": 'Some quoted text with "escaped quotes" inside', "level": "WARN"}


def test_fastmatch_single_quotes_work_too():
    record = fastmatch("%{a} '%{b}' %{c}")(r"x 'it\'s here' y")
    assert record == {"a": "x", "b": "it's here", "c": "y"}


def test_fastmatch_escaped_quote_can_be_last_in_the_field():
    record = fastmatch('"%{a}" %{b}')(r'"\"foo\" bar" baz')
    assert record == {"a": '"foo" bar', "b": "baz"}


def test_fastmatch_escaped_backslash_before_the_closing_quote():
    record = fastmatch('"%{path}" %{rest}')(r'"C:\\Temp\\" next')
    assert record == {"path": "C:\\Temp\\", "rest": "next"}


def test_fastmatch_nginx_hex_escapes_decode_as_utf8():
    parser = fastmatch(NGINX)
    line = (r'198.51.100.4 - - [10/Oct/2023:13:55:36 +0000] "GET /caf\xC3\xA9?x=\x22y\x22 HTTP/1.1" 404 0 '
            r'"-" "bot \"quoted\""')
    record = parser(line)
    assert record["request"] == 'GET /café?x="y" HTTP/1.1'
    assert record["http_user_agent"] == 'bot "quoted"'


def test_fastmatch_unknown_escape_is_kept_as_written():
    assert unescape(r"C:\Users\me \"x\" \n") == 'C:\\Users\\me "x" \n'


def test_fastmatch_unquoted_field_keeps_backslashes():
    assert fastmatch("%{a} %{b}")(r"C:\dir x\y") == {"a": "C:\\dir", "b": "x\\y"}


def test_fastmatch_unicode_values():
    record = fastmatch("%{user} → %{action} [%{where}]")("José Müller → 登录 [Zürich]")
    assert record == {"user": "José Müller", "action": "登录", "where": "Zürich"}


def test_fastmatch_anonymous_fields_are_not_captured():
    record = fastmatch("%{a} %{} %{_} %{d}")("1 2 3 4 5")
    assert record == {"a": "1", "d": "4 5"}


def test_fastmatch_tail_capture_takes_the_rest_of_the_line():
    record = fastmatch("%{timestamp} [%{service}@%{ip}] [%{log_level}] %{message}")(
        '2020-10-10T14:32:05 [FOO_SERVICE@127.0.0.1] [DEBUG] "" Something went wrong')
    assert record == {"timestamp": "2020-10-10T14:32:05", "service": "FOO_SERVICE", "ip": "127.0.0.1",
                      "log_level": "DEBUG", "message": '"" Something went wrong'}


def test_fastmatch_empty_values_at_either_end():
    parser = fastmatch("%{foo} %{bar}")
    assert parser("foo ") == {"foo": "foo", "bar": ""}
    assert parser(" bar") == {"foo": "", "bar": "bar"}


def test_fastmatch_prefix_must_match():
    parser = fastmatch("LOG: %{foo} %{bar}")
    assert parser("LOG: a b") == {"foo": "a", "bar": "b"}
    assert parser("XLOG: a b") is None
    assert "does not start with 'LOG: '" in parser.last_error


def test_fastmatch_first_matching_pattern_wins():
    parser = fastmatch("%{a}|%{b}|%{c}", "%{a}|%{b}")
    assert parser("1|2|3") == {"a": "1", "b": "2", "c": "3"}


def test_fastmatch_line_matching_only_the_second_pattern():
    combined = NGINX
    common = '%{remote_addr} - %{remote_user} [%{time_local}] "%{request}" %{status} %{body_bytes_sent}'
    parser = fastmatch(combined, common, emptyValues=["-"])
    record = parser('10.1.2.3 - bob [10/Oct/2023:13:55:36 +0000] "POST /login HTTP/1.1" 302 0')
    assert record == {"remote_addr": "10.1.2.3", "remote_user": "bob", "time_local": "10/Oct/2023:13:55:36 +0000",
                      "request": "POST /login HTTP/1.1", "status": "302", "body_bytes_sent": "0"}


def test_fastmatch_missing_trailing_fields_do_not_match():
    parser = fastmatch(APACHE_COMMON)
    assert parser('127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0" 200') is None
    assert parser.last_error == "the line does not match the pattern: ' ' not found after %{status} (at offset 65)"


def test_fastmatch_error_lists_every_pattern():
    parser = fastmatch("%{a}|%{b}", "%{a};%{b}")
    assert parser("a,b") is None
    assert parser.last_error == ("the line matches none of the patterns: match[0]: '|' not found after %{a} "
                                 "(at offset 0); match[1]: ';' not found after %{a} (at offset 0)")


def test_fastmatch_unclosed_quote_is_explained():
    parser = fastmatch('%{a} "%{b}" %{c}')
    assert parser(r'x "never \" closed') is None
    assert "no closing \" followed by '\" '" in parser.last_error


def test_fastmatch_last_error_clears_after_a_match():
    parser = fastmatch("%{a} %{b}")
    assert parser("nospace") is None
    assert parser.last_error is not None
    assert parser("a b") is not None
    assert parser.last_error is None


def test_fastmatch_pattern_without_fields_is_a_config_error():
    with pytest.raises(ParserConfigError, match=r"parser\.fastmatch\.match\[1\]: the pattern has no %\{field\}"):
        fastmatch("%{a} %{b}", "just text")


def test_fastmatch_adjacent_fields_are_a_config_error():
    with pytest.raises(ParserConfigError, match=r"parser\.fastmatch\.match\[0\]: %\{a\} and %\{b\} need literal"):
        fastmatch("%{a}%{b} %{c}")


def test_fastmatch_missing_match_is_a_config_error():
    with pytest.raises(ParserConfigError, match=r"parser\.fastmatch\.match: is required"):
        build_parser("fastmatch", {})
    with pytest.raises(ParserConfigError, match=r"parser\.fastmatch\.match: must be a list of strings"):
        build_parser("fastmatch", {"match": "%{a} %{b}"})


_text = st.text(alphabet=st.sampled_from(list('ab -[]"\\:xé')), max_size=30)


@given(line=_text)
def test_fastmatch_generated_fast_path_agrees_with_the_step_loop(line):
    for source in (NGINX, '%{a} "%{b}" %{c}', "[%{a}] %{}:%{b}", 'x%{a}"'):
        pattern = FastmatchPattern(source, "test")
        fast, slow = pattern.fast_match(line), pattern.match(line)
        assert (fast if isinstance(fast, dict) else None) == (slow if isinstance(slow, dict) else None)


@given(values=st.lists(st.text(alphabet=st.characters(blacklist_characters="|\\\"", blacklist_categories=["Cs"])),
                       min_size=3, max_size=3))
def test_fastmatch_recovers_values_free_of_delimiters(values):
    assert fastmatch("%{a}|%{b}|%{c}")("|".join(values)) == dict(zip("abc", values, strict=True))
