"""The built-in grok pattern library of the regex parser: name -> regular expression (Python `re` syntax).

A definition may use other patterns as `%{NAME}` (or `%{NAME:field}` to capture a field, as the Apache and syslog
composites do). A schema's `patternDefinitions` may add names or replace these.
"""

from __future__ import annotations

_H16 = "[0-9A-Fa-f]{1,4}"
_IPV4 = (r"(?<![0-9])(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}"
         r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?![0-9])")


def _ipv6() -> str:
    """RFC 4291 text forms: full, every `::` compression, and an embedded IPv4 tail; an optional zone id."""
    ls32 = f"(?:{_H16}:{_H16}|{_IPV4})"

    def head(n: int) -> str:  # up to n groups before "::"
        if n == 0:
            return ""
        return f"(?:(?:{_H16}:){{0,{n - 1}}}{_H16})?" if n > 1 else f"(?:{_H16})?"

    forms = [
        f"(?:{_H16}:){{6}}{ls32}",
        f"::(?:{_H16}:){{5}}{ls32}",
        f"{head(1)}::(?:{_H16}:){{4}}{ls32}",
        f"{head(2)}::(?:{_H16}:){{3}}{ls32}",
        f"{head(3)}::(?:{_H16}:){{2}}{ls32}",
        f"{head(4)}::{_H16}:{ls32}",
        f"{head(5)}::{ls32}",
        f"{head(6)}::{_H16}",
        f"{head(7)}::",
    ]
    return "(?:" + "|".join(forms) + ")(?:%[0-9A-Za-z._~-]+)?"


_HOST_LABEL = "[0-9A-Za-z](?:[0-9A-Za-z_-]{0,61}[0-9A-Za-z])?"

BUILTIN_PATTERNS: dict[str, str] = {
    # text
    "DATA": r".*?",
    "GREEDYDATA": r".*",
    "NOTSPACE": r"\S+",
    "SPACE": r"\s*",
    "WORD": r"\b\w+\b",
    "QUOTEDSTRING": r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`(?:[^`\\]|\\.)*`',
    "QS": r"%{QUOTEDSTRING}",
    "NS": r"%{NOTSPACE}",
    "HEXDIGIT": r"[0-9A-Fa-f]",
    "UUID": r"[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}",
    # numbers
    "INT": r"[+-]?[0-9]+",
    "BASE10NUM": r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)",
    "NUMBER": r"%{BASE10NUM}",
    "BASE16NUM": r"[+-]?(?:0[xX])?[0-9A-Fa-f]+",
    "POSINT": r"\b[1-9][0-9]*\b",
    "NONNEGINT": r"\b[0-9]+\b",
    # users and hosts
    "USERNAME": r"[a-zA-Z0-9._-]+",
    "USER": r"%{USERNAME}",
    "EMAILLOCALPART": r"[a-zA-Z0-9!#$&'*+/=?^_`|~-]+(?:\.[a-zA-Z0-9!#$&'*+/=?^_`|~-]+)*",
    "EMAILADDRESS": r"%{EMAILLOCALPART}@%{HOSTNAME}",
    "CISCOMAC": r"(?:[0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}",
    "WINDOWSMAC": r"(?:[0-9A-Fa-f]{2}-){5}[0-9A-Fa-f]{2}",
    "COMMONMAC": r"(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}",
    "MAC": r"%{CISCOMAC}|%{WINDOWSMAC}|%{COMMONMAC}",
    "IPV4INT": r"25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]",
    "IPV4": _IPV4,
    "IPV6": _ipv6(),
    "IP": r"%{IPV6}|%{IPV4}",
    "HOSTNAME": rf"\b{_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?",
    "HOST": r"%{HOSTNAME}",
    "IPORHOST": r"%{IP}|%{HOSTNAME}",
    "HOSTPORT": r"%{IPORHOST}:%{POSINT}",
    "PID": r"%{POSINT}",
    # paths and URIs
    "UNIXPATH": r"(?:/(?:[\w%!$@:.,+~-]|\\.)*)+",
    "WINPATH": r"(?:[A-Za-z]+:|\\)(?:\\[^\\?*]*)+",
    "PATH": r"%{UNIXPATH}|%{WINPATH}",
    "TTY": r"/dev/(?:pts|tty[pq]?)(?:\w+)?/?[0-9]+",
    "URIPROTO": r"[A-Za-z][A-Za-z0-9+.-]*",
    "URIHOST": r"%{IPORHOST}(?::%{POSINT})?",
    "URIPATH": r"(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_-]*)+",
    "URIPARAM": r"\?[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\[\]<>-]*",
    "URIPATHPARAM": r"%{URIPATH}(?:%{URIPARAM})?",
    "URI": r"%{URIPROTO}://(?:%{USER}(?::[^@]*)?@)?(?:%{URIHOST})?(?:%{URIPATHPARAM})?",
    # dates and times
    "MONTH": (r"\b(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
              r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b"),
    "MONTHNUM": r"0?[1-9]|1[0-2]",
    "MONTHNUM2": r"0[1-9]|1[0-2]",
    "MONTHDAY": r"0[1-9]|[12][0-9]|3[01]|[1-9]",
    "DAY": r"\b(?i:mon(?:day)?|tue(?:sday)?|wed(?:nesday)?|thu(?:rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)\b",
    "YEAR": r"(?:[0-9]{2}){1,2}",
    "HOUR": r"2[0-3]|[01]?[0-9]",
    "MINUTE": r"[0-5][0-9]",
    "SECOND": r"(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?",
    "ISO8601_SECOND": r"%{SECOND}",
    "KITCHEN": r"%{HOUR}:%{MINUTE}",
    "TIME": r"(?<![0-9])%{HOUR}:%{MINUTE}(?::%{SECOND})(?![0-9])",
    "DATE_US": r"%{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR}",
    "DATE_EU": r"%{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR}",
    "DATE": r"%{DATE_US}|%{DATE_EU}",
    "DATESTAMP": r"%{DATE}[- ]%{TIME}",
    "DATETIME": r"%{DATE}[- ]%{TIME}",
    "ISO8601_TIMEZONE": r"Z|[+-]%{HOUR}(?::?%{MINUTE})",
    "TIMESTAMP_ISO8601": (r"%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?"
                          r"%{ISO8601_TIMEZONE}?"),
    "TZ": r"[A-Z]{3,5}|Z",
    "TZOFFSET": r"[+-][0-9]{2}:?[0-9]{2}",
    "TIMESTAMP_RFC822": r"%{DAY} %{MONTH} %{MONTHDAY} %{YEAR} %{TIME} %{TZ}",
    "TIMESTAMP_RFC2822": r"%{DAY}, %{MONTHDAY} %{MONTH} %{YEAR} %{TIME} %{ISO8601_TIMEZONE}",
    "TIMESTAMP_OTHER": r"%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{TZ} %{YEAR}",
    "TIMESTAMP_EVENTLOG": r"%{YEAR}%{MONTHNUM2}%{MONTHDAY}%{HOUR}%{MINUTE}%{SECOND}",
    "DATESTAMP_RFC822": r"%{TIMESTAMP_RFC822}",
    "DATESTAMP_RFC2822": r"%{TIMESTAMP_RFC2822}",
    "DATESTAMP_OTHER": r"%{TIMESTAMP_OTHER}",
    "DATESTAMP_EVENTLOG": r"%{TIMESTAMP_EVENTLOG}",
    "HTTPDATE": r"%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT}",
    # syslog
    "SYSLOGTIMESTAMP": r"%{MONTH} +%{MONTHDAY} %{TIME}",
    "PROG": r"[\x21-\x5a\x5c\x5e-\x7e]+",
    "SYSLOGPROG": r"%{PROG:program}(?:\[%{POSINT:pid}\])?",
    "SYSLOGHOST": r"%{IPORHOST}",
    "SYSLOGFACILITY": r"<%{NONNEGINT:facility}\.%{NONNEGINT:priority}>",
    "LOGLEVEL": (r"\b(?:[Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo(?:rmation)?"
                 r"|INFO(?:RMATION)?|[Ww]arn(?:ing)?|WARN(?:ING)?|[Ee]rr(?:or)?|ERR(?:OR)?|[Cc]rit(?:ical)?"
                 r"|CRIT(?:ICAL)?|[Ff]atal|FATAL|[Ss]evere|SEVERE|[Ee]merg(?:ency)?|EMERG(?:ENCY)?)\b"),
    # web servers (the field names are the ones grok users know)
    "HTTPDUSER": r"%{EMAILADDRESS}|%{USER}",
    "COMMONAPACHELOG": (r"%{IPORHOST:clientip} %{HTTPDUSER:ident} %{HTTPDUSER:auth} \[%{HTTPDATE:timestamp}\] "
                        r'"(?:%{WORD:verb} %{NOTSPACE:request}(?: HTTP/%{NUMBER:httpversion})?|%{DATA:rawrequest})" '
                        r"%{NUMBER:response} (?:%{NUMBER:bytes}|-)"),
    "COMBINEDAPACHELOG": r"%{COMMONAPACHELOG} %{QS:referrer} %{QS:agent}",
}
