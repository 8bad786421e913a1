import pytest

from onca.ingest.parsers import build_parser
from onca.ingest.parsers.grok_patterns import BUILTIN_PATTERNS

REQUIRED = ["USERNAME", "USER", "EMAILADDRESS", "INT", "BASE10NUM", "NUMBER", "BASE16NUM", "POSINT",
    "NONNEGINT", "WORD", "NOTSPACE", "SPACE", "DATA", "GREEDYDATA", "QUOTEDSTRING", "UUID", "MAC", "IPV6",
    "IPV4", "IP", "HOSTNAME", "IPORHOST", "HOSTPORT", "PATH", "UNIXPATH", "WINPATH", "URIPROTO", "URIHOST",
    "URIPATH", "URIPARAM", "URIPATHPARAM", "URI", "MONTH", "MONTHNUM", "MONTHDAY", "DAY", "YEAR", "HOUR",
    "MINUTE", "SECOND", "TIME", "DATE_US", "DATE_EU", "ISO8601_TIMEZONE", "TIMESTAMP_ISO8601", "DATE",
    "DATESTAMP", "TZ", "HTTPDATE", "SYSLOGTIMESTAMP", "PROG", "SYSLOGPROG", "SYSLOGHOST", "SYSLOGFACILITY",
    "LOGLEVEL", "COMMONAPACHELOG", "COMBINEDAPACHELOG"]

# name -> (values the whole pattern must match, values it must not match)
CASES = {
    "USERNAME": (["alice", "j.doe-2_x"], ["a b", "x@y"]),
    "EMAILADDRESS": (["jane.doe+tag@mail.example.co.uk", "ops@localhost"], ["@example.com", "a b@c.d"]),
    "INT": (["0", "-17", "+42"], ["1.5", "x1"]),
    "BASE10NUM": (["3.14", "-0.5", ".5", "10", "7."], ["1e5", "--1"]),
    "NUMBER": (["42", "-3.75"], ["four"]),
    "BASE16NUM": (["0x1F", "deadBEEF", "-0xff"], ["0xZZ"]),
    "POSINT": (["1", "65535"], ["0", "-1", "012"]),
    "NONNEGINT": (["0", "123"], ["-1"]),
    "WORD": (["hello_world1", "Zürich"], ["two words", ""]),
    "NOTSPACE": (["a/b?c=d"], ["a b", ""]),
    "SPACE": (["", "  \t"], ["x"]),
    "QUOTEDSTRING": (['"a \\"quoted\\" word"', "'single'", '""'], ['"unterminated', 'no quotes']),
    "UUID": (["123e4567-e89b-12d3-a456-426614174000"], ["123e4567-e89b-12d3-a456"]),
    "MAC": (["00:1A:2b:3c:4D:5e", "00-1a-2b-3c-4d-5e", "001a.2b3c.4d5e"], ["00:1a:2b:3c:4d"]),
    "IPV4": (["192.168.0.1", "255.255.255.255", "0.0.0.0"], ["256.1.1.1", "1.2.3", "1.2.3.4.5"]),
    "IPV6": (["2001:db8::1", "::1", "::", "fe80::1%eth0", "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
              "::ffff:192.0.2.128", "1::", "1:2:3:4:5:6:7::"], ["2001:db8:::1", "1:2:3:4:5:6:7:8:9", "g::1"]),
    "IP": (["10.0.0.1", "2001:db8::42"], ["example.com"]),
    "HOSTNAME": (["example.com", "web-01.prod.example.com", "localhost", "host.example.com."], ["-bad.com", "a..b"]),
    "IPORHOST": (["10.1.2.3", "db.internal"], ["a b"]),
    "HOSTPORT": (["example.com:8080", "10.0.0.1:443"], ["example.com:", "example.com:0"]),
    "UNIXPATH": (["/var/log/nginx/access.log", "/"], ["relative/path"]),
    "WINPATH": (["C:\\Windows\\System32\\cmd.exe", "\\\\server\\share\\file.txt"], ["/usr/bin"]),
    "PATH": (["/etc/passwd", "D:\\data\\x.csv"], ["data"]),
    "URIPROTO": (["https", "svn+ssh"], ["1http"]),
    "URIHOST": (["example.com", "example.com:8443", "10.0.0.1:80"], ["example.com:"]),
    "URIPATH": (["/a/b/c.html", "/search;jsessionid=1"], ["a/b"]),
    "URIPARAM": (["?q=1&x=%20y", "?"], ["q=1"]),
    "URIPATHPARAM": (["/search?q=grok", "/index.html"], ["?q=1"]),
    "URI": (["https://user:pw@example.com:8443/path/x?q=1", "ftp://10.0.0.1/", "http://example.com"],
            ["example.com/path"]),
    "MONTH": (["Jan", "January", "sep", "Sept", "DEC"], ["Janu", "13"]),
    "MONTHNUM": (["1", "09", "12"], ["13", "00"]),
    "MONTHDAY": (["1", "09", "31"], ["32", "00"]),
    "DAY": (["Mon", "Tuesday", "sun"], ["Mo"]),
    "YEAR": (["2024", "99"], ["202"]),
    "HOUR": (["0", "09", "23"], ["24"]),
    "MINUTE": (["00", "59"], ["60", "5"]),
    "SECOND": (["00", "59", "60", "59.123456"], ["61"]),
    "TIME": (["13:55:36", "09:05:00.123"], ["13:55", "25:00:00"]),
    "DATE_US": (["10/31/2024", "1-2-24"], ["31/10/2024"]),
    "DATE_EU": (["31.10.2024", "31/10/2024"], ["10.31.2024"]),
    "ISO8601_TIMEZONE": (["Z", "+02:00", "-0530"], ["UTC"]),
    "TIMESTAMP_ISO8601": (["2024-03-01T12:34:56Z", "2024-03-01 12:34:56.789+01:00", "2024-03-01T12:34"],
                          ["2024/03/01 12:34:56"]),
    "DATE": (["10/31/2024", "31.10.2024"], ["2024-10-31"]),
    "DATESTAMP": (["10/31/2024 13:55:36", "31.10.2024-13:55:36"], ["10/31/2024"]),
    "TZ": (["UTC", "PST", "CEST", "Z"], ["utc"]),
    "HTTPDATE": (["10/Oct/2000:13:55:36 -0700"], ["10/10/2000:13:55:36 -0700"]),
    "SYSLOGTIMESTAMP": (["Oct 11 22:14:15", "Feb  5 07:01:02"], ["2024-10-11 22:14:15"]),
    "PROG": (["sshd", "postfix/smtpd", "CRON"], ["a[1]"]),
    "SYSLOGHOST": (["mymachine", "10.0.0.2"], ["a b"]),
    "LOGLEVEL": (["INFO", "warn", "Warning", "ERROR", "err", "DEBUG", "FATAL", "crit", "emerg", "Notice"],
                 ["loud"]),
}


def matches(name: str, value: str) -> bool:
    return build_parser("regex", {"match": [f"%{{{name}:v}}"]})(value) is not None


def test_grok_library_has_the_usual_names():
    missing = [name for name in REQUIRED if name not in BUILTIN_PATTERNS]
    assert missing == []


@pytest.mark.parametrize("name", sorted(BUILTIN_PATTERNS))
def test_grok_pattern_compiles_alone(name):
    assert build_parser("regex", {"match": [f"%{{{name}:v}}"]}) is not None


@pytest.mark.parametrize(("name", "good", "bad"), [(n, g, b) for n, (g, b) in CASES.items()], ids=list(CASES))
def test_grok_pattern_matches_its_values(name, good, bad):
    assert [v for v in good if not matches(name, v)] == []
    assert [v for v in bad if matches(name, v)] == []


def test_grok_syslogprog_captures_program_and_pid():
    parser = build_parser("regex", {"match": ["%{SYSLOGPROG}"]})
    assert parser("sshd[4242]") == {"program": "sshd", "pid": "4242"}
    assert parser("kernel") == {"program": "kernel", "pid": None}


def test_grok_syslogfacility_captures_facility_and_priority():
    parser = build_parser("regex", {"match": ["%{SYSLOGFACILITY} %{GREEDYDATA:msg}"]})
    assert parser("<4.6> hello") == {"facility": "4", "priority": "6", "msg": "hello"}


def test_grok_quotedstring_keeps_the_quotes():
    parser = build_parser("regex", {"match": ["%{QUOTEDSTRING:q} %{INT:n}"]})
    assert parser('"GET / HTTP/1.1" 200') == {"q": '"GET / HTTP/1.1"', "n": "200"}
