import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onca.ingest.parsers import ParserConfigError, build_parser

VPC_HEADER = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
              "action log-status")
ZEEK_CONN = """#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tconn
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\thistory\ttunnel_parents
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tstring\tset[string]
1300475167.096535\tCRCC5OdDlXe\t141.142.220.202\t5353\t224.0.0.251\t5353\tudp\tdns\t-\tD\t(empty)
1300475168.853899\tCJ3xTn1c4Zw9TmAE05\t141.142.220.118\t43927\t141.142.2.2\t53\tudp\tdns\t0.000435\tDd\t(empty)
#close\t2011-03-18-19-06-13"""
ZEEK_COLUMNS = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service", "duration",
                "history", "tunnel_parents"]


def csv_parser(**config):
    return build_parser("csv", config)


def test_csv_columns_and_rfc4180_quotes():
    parser = csv_parser(columns=["year", "month", "day", "time", "action", "ip_address", "message"],
                        emptyValues=["-"])
    assert parser('2020,09,01,10:35:25,RESTART,-,"System ""main"" restarts, again"') == {
        "year": "2020", "month": "09", "day": "01", "time": "10:35:25", "action": "RESTART", "ip_address": None,
        "message": 'System "main" restarts, again'}


def test_csv_expand_fields_builds_a_timestamp():
    parser = csv_parser(columns=["year", "month", "day", "time", "action"],
                        expandFields={"timestamp": "%{year}-%{month}-%{day}T%{time}Z"})
    record = parser("2020,09,01,10:35:23,SEND")
    assert record["timestamp"] == "2020-09-01T10:35:23Z"


def test_csv_empty_column_name_drops_the_column():
    assert csv_parser(columns=["a", "", "c"])("1,2,3") == {"a": "1", "c": "3"}


def test_csv_vpc_flow_logs_space_delimited_with_header():
    parser = csv_parser(delimiter=" ", hasHeader=True, emptyValues=["-"])
    assert parser(VPC_HEADER) is None
    assert parser.last_skipped and "header" in parser.last_error
    record = parser("2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
                    "1418530010 1418530070 ACCEPT OK")
    assert record["account-id"] == "123456789010"
    assert record["srcaddr"] == "172.31.16.139" and record["dstport"] == "22"
    assert record["action"] == "ACCEPT" and record["log-status"] == "OK"
    nodata = parser("2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA")
    assert nodata["srcaddr"] is None and nodata["action"] is None and nodata["log-status"] == "NODATA"
    assert parser.columns == tuple(VPC_HEADER.split(" "))


def test_csv_repeated_header_is_skipped():
    parser = csv_parser(hasHeader=True)
    assert parser("a,b") is None
    assert parser("1,2") == {"a": "1", "b": "2"}
    assert parser("a,b") is None
    assert parser.last_skipped
    assert parser("3,4") == {"a": "3", "b": "4"}


def test_csv_header_with_columns_is_only_skipped():
    parser = csv_parser(hasHeader=True, columns=["x", "y"])
    assert parser("Col A,Col B") is None
    assert parser("1,2") == {"x": "1", "y": "2"}


def test_csv_header_byte_order_mark_is_not_part_of_the_name():
    parser = csv_parser(hasHeader=True)
    parser("\ufeffid,name")
    assert parser("7,x") == {"id": "7", "name": "x"}


def test_csv_reset_starts_a_new_stream_with_a_new_header():
    parser = csv_parser(hasHeader=True)
    parser("a,b")
    parser.reset()
    assert parser("b,a") is None
    assert parser("1,2") == {"b": "1", "a": "2"}


def test_csv_zeek_tsv_with_comment_lines():
    parser = csv_parser(delimiter="\t", columns=ZEEK_COLUMNS, skipPrefix="#", emptyValues=["-", "(empty)"])
    records = [parser(line) for line in ZEEK_CONN.splitlines()]
    parsed = [r for r in records if r is not None]
    assert len(parsed) == 2
    assert parsed[0]["id.orig_h"] == "141.142.220.202" and parsed[0]["id.resp_p"] == "5353"
    assert parsed[0]["duration"] is None and parsed[0]["tunnel_parents"] is None
    assert parsed[1]["uid"] == "CJ3xTn1c4Zw9TmAE05" and parsed[1]["duration"] == "0.000435"
    assert parser("#close\t2011") is None and parser.last_skipped


def test_csv_wrong_column_count_is_rejected():
    parser = csv_parser(columns=["a", "b", "c"])
    assert parser("1,2") is None
    assert parser.last_error == "expected 3 values separated by ',', got 2"
    assert not parser.last_skipped
    assert parser("1,2,3,4") is None
    assert parser("1,2,3") == {"a": "1", "b": "2", "c": "3"}


def test_csv_delimiter_inside_quotes_counts_once():
    assert csv_parser(columns=["a", "b"], delimiter=";")('"x;y";z') == {"a": "x;y", "b": "z"}


def test_csv_multi_character_delimiter():
    parser = csv_parser(columns=["a", "b", "c"], delimiter="||")
    assert parser("1||two words||3") == {"a": "1", "b": "two words", "c": "3"}
    assert parser('1||"x || ""y"""||3') == {"a": "1", "b": 'x || "y"', "c": "3"}
    assert parser("1|2||3") is None


def test_csv_trim_space_and_unicode():
    parser = csv_parser(columns=["user", "city"], trimSpace=True)
    assert parser("  José ,  Zürich 東京 ") == {"user": "José", "city": "Zürich 東京"}


def test_csv_lenient_quotes_like_panther():
    # a quote inside an unquoted value is just a character
    assert csv_parser(columns=["a", "b"])('say "hi",x') == {"a": 'say "hi"', "b": "x"}


def test_csv_needs_columns_or_header():
    with pytest.raises(ParserConfigError, match=r"^parser\.csv: needs `columns`"):
        build_parser("csv", {"delimiter": ","})


def test_csv_config_errors_name_the_key():
    with pytest.raises(ParserConfigError, match=r"^parser\.csv\.delimiter: must not be empty"):
        csv_parser(columns=["a"], delimiter="")
    with pytest.raises(ParserConfigError, match=r"^parser\.csv\.delimiter: cannot contain a double quote"):
        csv_parser(columns=["a"], delimiter='"')
    with pytest.raises(ParserConfigError, match=r"^parser\.csv\.columns: names appear more than once: a"):
        csv_parser(columns=["a", "b", "a"])
    with pytest.raises(ParserConfigError, match=r"^parser\.csv\.columns\[1\]: must be a string"):
        csv_parser(columns=["a", 3])
    with pytest.raises(ParserConfigError, match=r"^parser\.csv\.hasHeader: must be true or false"):
        csv_parser(hasHeader="yes")
    with pytest.raises(ParserConfigError, match=r"^parser\.csv\.header: unknown option"):
        csv_parser(columns=["a"], header=True)


_value = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n\x00"), max_size=12)
_rows = st.lists(_value, min_size=1, max_size=6)


@given(row=_rows, delimiter=st.sampled_from([",", ";", "\t", "|", " "]))
def test_csv_round_trips_rows_written_by_the_csv_module(row, delimiter):
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="").writerow(row)
    columns = [f"c{i}" for i in range(len(row))]
    parser = csv_parser(columns=columns, delimiter=delimiter)
    assert parser(out.getvalue()) == dict(zip(columns, row, strict=True))


@given(row=_rows, delimiter=st.sampled_from(["||", "::", "<>", ", "]))
def test_csv_round_trips_rows_with_multi_character_delimiters(row, delimiter):
    line = delimiter.join('"' + value.replace('"', '""') + '"' for value in row)
    columns = [f"c{i}" for i in range(len(row))]
    assert csv_parser(columns=columns, delimiter=delimiter)(line) == dict(zip(columns, row, strict=True))
