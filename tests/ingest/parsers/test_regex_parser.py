import pytest

from onca.ingest.parsers import ParserConfigError, build_parser

S3_ACCESS = [
    "%{NOTSPACE:bucket_owner} %{NOTSPACE:bucket} \\[%{HTTPDATE:time}\\] %{NOTSPACE:remote_ip} ",
    "%{NOTSPACE:requester} %{NOTSPACE:request_id} %{NOTSPACE:operation} %{NOTSPACE:key} ",
    '"%{DATA:request_uri}" %{NOTSPACE:http_status} %{NOTSPACE:error_code} %{NOTSPACE:bytes_sent} ',
    '%{NOTSPACE:object_size} %{NOTSPACE:total_time} %{NOTSPACE:turnaround_time} "%{DATA:referrer}" ',
    '"%{DATA:user_agent}" %{NOTSPACE:version_id}',
    # fields S3 added over the years: older lines simply end earlier
    "(?: %{NOTSPACE:host_id} %{NOTSPACE:signature_version} %{NOTSPACE:cipher_suite} ",
    "%{NOTSPACE:authentication_type} %{NOTSPACE:host_header} %{NOTSPACE:tls_version})?",
    "(?: %{NOTSPACE:access_point_arn})?(?: %{NOTSPACE:acl_required})?",
]
S3_LINE = ("79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 "
           "[06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be "
           '3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /awsexamplebucket1?versioning HTTP/1.1" 200 - 113 - 7 - '
           '"-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= '
           "SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.2 "
           "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes")
RFC3164 = ["<%{NONNEGINT:priority}>%{SYSLOGTIMESTAMP:timestamp} %{SYSLOGHOST:hostname} ",
           "%{SYSLOGPROG}: %{GREEDYDATA:message}"]
RFC5424 = ["<%{NONNEGINT:priority}>%{NONNEGINT:version} %{TIMESTAMP_ISO8601:timestamp} ",
           "%{NOTSPACE:hostname} %{NOTSPACE:app_name} %{NOTSPACE:proc_id} %{NOTSPACE:msg_id} ",
           r"(?P<structured_data>-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: %{GREEDYDATA:message})?"]


def regex(*parts, **options):
    return build_parser("regex", {"match": list(parts), **options})


def test_regex_s3_server_access_line():
    record = regex(*S3_ACCESS, emptyValues=["-"])(S3_LINE)
    assert record["bucket"] == "awsexamplebucket1"
    assert record["time"] == "06/Feb/2019:00:00:38 +0000"
    assert record["request_uri"] == "GET /awsexamplebucket1?versioning HTTP/1.1"
    assert record["key"] is None and record["error_code"] is None and record["referrer"] is None
    assert record["user_agent"] == "S3Console/0.4"
    assert record["tls_version"] == "TLSV1.2"
    assert record["access_point_arn"] == "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP"
    assert record["acl_required"] == "Yes"


def test_regex_missing_trailing_fields_are_none():
    old_line = S3_LINE.split(" s9lz")[0]  # an S3 line from before host_id and later fields existed
    record = regex(*S3_ACCESS, emptyValues=["-"])(old_line)
    assert record["user_agent"] == "S3Console/0.4"
    assert record["host_id"] is None and record["tls_version"] is None and record["acl_required"] is None


def test_regex_syslog_rfc3164():
    record = regex(*RFC3164)("<34>Oct 11 22:14:15 mymachine su[2301]: 'su root' failed for lonvick on /dev/pts/8")
    assert record == {"priority": "34", "timestamp": "Oct 11 22:14:15", "hostname": "mymachine",
                      "program": "su", "pid": "2301", "message": "'su root' failed for lonvick on /dev/pts/8"}


def test_regex_syslog_rfc3164_without_pid_and_single_digit_day():
    record = regex(*RFC3164)("<13>Feb  5 17:32:18 10.0.0.99 sshd: Accepted publickey for root")
    assert record["timestamp"] == "Feb  5 17:32:18"
    assert record["hostname"] == "10.0.0.99"
    assert record["program"] == "sshd" and record["pid"] is None


def test_regex_syslog_rfc5424():
    line = ('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 '
            '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry')
    record = regex(*RFC5424, emptyValues=["-"])(line)
    assert record == {"priority": "165", "version": "1", "timestamp": "2003-10-11T22:14:15.003Z",
                      "hostname": "mymachine.example.com", "app_name": "evntslog", "proc_id": None,
                      "msg_id": "ID47",
                      "structured_data": '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]',
                      "message": "An application event log entry"}


def test_regex_syslog_rfc5424_without_structured_data_or_message():
    record = regex(*RFC5424, emptyValues=["-"])("<34>1 2003-10-11T22:14:15.003+02:00 host su - - -")
    assert record["structured_data"] is None
    assert record["message"] is None


def test_regex_combined_apache_log_pattern():
    record = regex("%{COMBINEDAPACHELOG}")(
        '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 '
        '"http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"')
    assert record == {"clientip": "127.0.0.1", "ident": "-", "auth": "frank",
                      "timestamp": "10/Oct/2000:13:55:36 -0700", "verb": "GET", "request": "/apache_pb.gif",
                      "httpversion": "1.0", "rawrequest": None, "response": "200", "bytes": "2326",
                      "referrer": '"http://www.example.com/start.html"',
                      "agent": '"Mozilla/4.08 [en] (Win98; I ;Nav)"'}


def test_regex_common_apache_log_with_dash_bytes_and_raw_request():
    record = regex("%{COMMONAPACHELOG}")('::1 - - [10/Oct/2000:13:55:36 -0700] "-" 408 -')
    assert record["clientip"] == "::1"
    assert record["rawrequest"] == "-" and record["verb"] is None
    assert record["bytes"] is None


def test_regex_juniper_audit_lines_with_custom_patterns():
    # parts are concatenated as-is; custom patterns may replace a built-in name (USERNAME here)
    parser = regex(
        "^%{JUNIPER_TIMESTAMP:timestamp}", r" my-jwas \[mws-audit\]", r"\[%{DATA:log_level}\] ?",
        r"\[(?:%{API_KEY:apikey}|%{USERNAME:username})\] ?", r"(\[%{DATA:request_ip}\])?", "%{GREEDYDATA:message}",
        patternDefinitions={"JUNIPER_TIMESTAMP": r"[A-Z][a-z]{2} \d?\d \d\d:\d\d:\d\d",
                            "API_KEY": "[a-fA-F0-9]{32}", "USERNAME": r"\w{1,31}"},
        trimSpace=True)
    first = parser("Jan 22 16:14:23 my-jwas [mws-audit][INFO] [mykonos] [10.10.0.117] Logged in successfully")
    assert first == {"timestamp": "Jan 22 16:14:23", "log_level": "INFO", "apikey": None, "username": "mykonos",
                     "request_ip": "10.10.0.117", "message": "Logged in successfully"}
    second = parser("Jan 23 19:16:22 my-jwas [mws-audit][INFO] [ea77722a8516b0d1135abb19b1982852] Deactivate response")
    assert second["apikey"] == "ea77722a8516b0d1135abb19b1982852" and second["username"] is None
    assert second["request_ip"] is None and second["message"] == "Deactivate response"
    third = parser("Feb 14 19:02:54 my-jwas [mws-audit][INFO][mykonos] Changed configuration parameters: a, b")
    assert third["username"] == "mykonos" and third["message"] == "Changed configuration parameters: a, b"


def test_regex_plain_named_groups_in_both_syntaxes():
    record = regex(r"(?P<user>\w+)@(?<domain>[\w.]+) (?P<rest>.*)")("alice@example.com says hi")
    assert record == {"user": "alice", "domain": "example.com", "rest": "says hi"}


def test_regex_field_names_may_hold_dots_and_dashes():
    record = regex("%{IP:id.orig_h}:%{INT:id.orig-p} (?P<net.dir>in|out)")("10.0.0.1:443 in")
    assert record == {"id.orig_h": "10.0.0.1", "id.orig-p": "443", "net.dir": "in"}


def test_regex_same_field_in_alternatives_takes_the_branch_that_matched():
    parser = regex("(?:%{IPV4:client}|%{HOSTNAME:client}) %{WORD:verb}")
    assert parser("10.1.1.1 GET") == {"client": "10.1.1.1", "verb": "GET"}
    assert parser("web-01.example.com PUT") == {"client": "web-01.example.com", "verb": "PUT"}


def test_regex_pattern_used_twice_defines_its_groups_twice():
    parser = regex("%{ENDPOINT:src} > %{ENDPOINT:dst}", patternDefinitions={"ENDPOINT": "%{IP:ip}:%{POSINT:port}"})
    record = parser("10.0.0.1:5353 > fe80::1:53")
    # inner captures repeat; the first one that took part keeps the name
    assert record == {"src": "10.0.0.1:5353", "ip": "10.0.0.1", "port": "5353", "dst": "fe80::1:53"}


def test_regex_grok_type_suffix_is_accepted_and_ignored():
    assert regex("%{NUMBER:bytes:int} %{WORD:w}")("42 x") == {"bytes": "42", "w": "x"}


def test_regex_whole_line_must_match():
    parser = regex("%{WORD:a} %{WORD:b}")
    assert parser("one two") == {"a": "one", "b": "two"}
    assert parser("one two three") is None
    assert parser(" one two") is None


def test_regex_unicode_line():
    record = regex(r"%{DATA:user} \[%{DATA:city}\] %{GREEDYDATA:msg}")("Jürgen [Zürich] 登录成功 ✓")
    assert record == {"user": "Jürgen", "city": "Zürich", "msg": "登录成功 ✓"}


def test_regex_custom_definition_may_use_other_patterns():
    parser = regex("%{CONN:conn} %{WORD:action}",
                   patternDefinitions={"CONN": "%{IP:src_ip}:%{POSINT:src_port}"})
    assert parser("192.0.2.1:5353 ALLOW") == {"conn": "192.0.2.1:5353", "src_ip": "192.0.2.1", "src_port": "5353",
                                              "action": "ALLOW"}


def test_regex_re2_syntax_is_translated():
    parser = regex(r"[[:alpha:]]+ (?P<n>[[:digit:]]+)\z")
    assert parser("abc 123") == {"n": "123"}


def test_regex_leading_flag_in_a_definition_is_scoped():
    parser = regex("%{LEVEL:level} %{GREEDYDATA:msg}", patternDefinitions={"LEVEL": "(?i)warn|error"})
    assert parser("WARN disk almost full") == {"level": "WARN", "msg": "disk almost full"}


def test_regex_empty_values_and_trim():
    parser = regex(r"%{DATA:a}\|%{DATA:b}\|%{DATA:c}", emptyValues=["-", "N/A"], trimSpace=True)
    assert parser(" x |  - |N/A") == {"a": "x", "b": None, "c": None}


def test_regex_failure_names_the_part_where_the_line_stops_fitting():
    parser = regex(*RFC3164)
    assert parser("<34>Oct 11 22:14:15 mymachine") is None
    assert parser.last_error == "the line does not match the pattern (it stops fitting at match[0])"
    assert parser("<34>Oct 11 22:14:15 mymachine su 'su root' failed") is None
    assert parser.last_error == "the line does not match the pattern (it stops fitting at match[1])"
    assert parser("<34>Oct 11 22:14:15 host su: ok") is not None
    assert parser.last_error is None


def test_regex_failure_of_a_single_part_pattern():
    parser = regex("%{INT:n}")
    assert parser("abc") is None
    assert parser.last_error == "the line does not match the pattern"


def test_regex_unknown_pattern_is_a_config_error():
    with pytest.raises(ParserConfigError, match=r"^parser\.regex\.match\[0\]: unknown grok pattern FOO$"):
        regex("%{FOO:x}")


def test_regex_unknown_pattern_inside_a_definition_names_the_definition():
    with pytest.raises(ParserConfigError,
                       match=r"^parser\.regex\.patternDefinitions\.MINE: unknown grok pattern NOPE$"):
        regex("%{WORD:x}", patternDefinitions={"MINE": "%{NOPE}"})


def test_regex_recursive_definitions_are_a_config_error():
    with pytest.raises(ParserConfigError, match=r"pattern A refers to itself \(A -> B -> A\)"):
        regex("%{A:x}", patternDefinitions={"A": "a%{B}", "B": "b%{A}"})


def test_regex_invalid_regex_is_a_config_error():
    with pytest.raises(ParserConfigError, match=r"^parser\.regex\.match: invalid regular expression: "):
        regex("(?P<a>x", "y")
    with pytest.raises(ParserConfigError, match=r"^parser\.regex\.patternDefinitions\.BAD: invalid regular"):
        regex("%{WORD:w}", patternDefinitions={"BAD": "[a-"})


def test_regex_pattern_without_captures_is_a_config_error():
    with pytest.raises(ParserConfigError, match=r"the pattern captures no field"):
        regex("%{WORD} %{INT}")


def test_regex_unclosed_tag_is_a_config_error():
    with pytest.raises(ParserConfigError, match=r"%\{ at offset 0 is never closed"):
        regex("%{WORD:x")


def test_regex_bad_pattern_definitions_shape_is_a_config_error():
    with pytest.raises(ParserConfigError, match=r"^parser\.regex\.patternDefinitions: must be a mapping"):
        regex("%{WORD:w}", patternDefinitions=["A"])
    with pytest.raises(ParserConfigError, match=r"^parser\.regex\.patternDefinitions\.bad-name: a pattern name"):
        regex("%{WORD:w}", patternDefinitions={"bad-name": "x"})
