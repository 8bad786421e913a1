import pytest

from onca.ingest.parsers import PARSER_KINDS, ParserConfigError, build_parser
from onca.ingest.parsers.options import Template
from onca.schema import Registry
from onca.schema.load import load_schemas

CONFIGS = {
    "fastmatch": {"match": ["%{a}|%{b}"]},
    "regex": {"match": [r"%{DATA:a}\|%{DATA:b}"]},
    "csv": {"delimiter": "|", "columns": ["a", "b"]},
    "script": {"function": "def parse(log):\n    a, b = log.split('|')\n    return {'a': a, 'b': b}\n"},
}


def build(kind, **options):
    return build_parser(kind, {**CONFIGS[kind], **options})


def test_build_parser_knows_the_four_kinds():
    assert set(PARSER_KINDS) == {"fastmatch", "regex", "csv", "script"}


@pytest.mark.parametrize("kind", PARSER_KINDS)
def test_options_plain_match(kind):
    assert build(kind)("x|y") == {"a": "x", "b": "y"}


@pytest.mark.parametrize("kind", PARSER_KINDS)
def test_options_empty_values_become_none(kind):
    parser = build(kind, emptyValues=["-", "null"])
    assert parser("-|null") == {"a": None, "b": None}
    assert parser("--|x") == {"a": "--", "b": "x"}


@pytest.mark.parametrize("kind", PARSER_KINDS)
def test_options_trim_space_runs_before_empty_values(kind):
    parser = build(kind, trimSpace=True, emptyValues=["-"])
    assert parser("  x \t| - ") == {"a": "x", "b": None}


@pytest.mark.parametrize("kind", PARSER_KINDS)
def test_options_without_trim_space_keep_spaces(kind):
    assert build(kind)(" x | y ") == {"a": " x ", "b": " y "}


@pytest.mark.parametrize("kind", PARSER_KINDS)
def test_options_skip_prefix_skips_comment_lines(kind):
    parser = build(kind, skipPrefix="#")
    assert parser("# a|b") is None
    assert parser.last_skipped
    assert parser.last_error == "skipped: the line starts with skipPrefix '#'"
    assert parser("a|#b") == {"a": "a", "b": "#b"}
    assert not parser.last_skipped and parser.last_error is None


@pytest.mark.parametrize("kind", PARSER_KINDS)
def test_options_skip_lines_counts_per_stream(kind):
    parser = build(kind, skipLines=2)
    assert parser("h1|h1") is None and parser.last_skipped
    assert parser("h2|h2") is None
    assert parser("x|y") == {"a": "x", "b": "y"}
    parser.reset()
    assert parser("h1|h1") is None


@pytest.mark.parametrize("kind", PARSER_KINDS)
def test_options_expand_fields(kind):
    parser = build(kind, emptyValues=["-"], expandFields={
        "both": "%{a}:%{b}", "spaced": "<%{ a }>", "missing": "%{nope}", "chained": "[%{both}]"})
    assert parser("x|y") == {"a": "x", "b": "y", "both": "x:y", "spaced": "<x>", "chained": "[x:y]"}
    # an expansion that comes out as an empty value adds nothing
    assert build(kind, emptyValues=["-"], expandFields={"c": "%{a}"})("-|y") == {"a": None, "b": "y"}


def test_options_expand_field_may_replace_a_captured_one():
    parser = build("fastmatch", expandFields={"a": "%{a}-%{b}"})
    assert parser("x|y") == {"a": "x-y", "b": "y"}


def test_options_template_renders_missing_and_non_string_values():
    template = Template.compile("%{a}/%{b}/%{c}")
    assert template.render({"a": "x", "b": None, "c": 3}) == "x//3"
    assert Template.compile("no tags").render({}) == "no tags"


@pytest.mark.parametrize(("options", "message"), [
    ({"emptyValues": "-"}, r"^parser\.fastmatch\.emptyValues: must be a list of strings"),
    ({"emptyValues": ["-", 0]}, r"^parser\.fastmatch\.emptyValues\[1\]: must be a string"),
    ({"trimSpace": "true"}, r"^parser\.fastmatch\.trimSpace: must be true or false"),
    ({"skipPrefix": 1}, r"^parser\.fastmatch\.skipPrefix: must be a string"),
    ({"skipLines": -1}, r"^parser\.fastmatch\.skipLines: must be a whole number"),
    ({"expandFields": ["x"]}, r"^parser\.fastmatch\.expandFields: must be a mapping"),
    ({"expandFields": {"x": 1}}, r"^parser\.fastmatch\.expandFields\.x: must be a string"),
    ({"emptyValue": ["-"]}, r"^parser\.fastmatch\.emptyValue: unknown option \(expected one of emptyValues, "),
])
def test_options_config_errors_name_the_key(options, message):
    with pytest.raises(ParserConfigError, match=message):
        build("fastmatch", **options)


def test_build_parser_rejects_unknown_kind_and_bad_config():
    with pytest.raises(ParserConfigError, match=r"^parser\.grok: unknown parser \(expected one of fastmatch, "):
        build_parser("grok", {})
    with pytest.raises(ParserConfigError, match=r"^parser\.csv: must be a mapping of options, got list"):
        build_parser("csv", ["a"])  # type: ignore[arg-type]


def test_parser_config_error_is_a_value_error():
    assert issubclass(ParserConfigError, ValueError)


def test_builtin_nginx_schema_parser_reads_an_access_line():
    spec = Registry.builtin().get("Nginx.Access").parser
    parser = build_parser(spec.kind, spec.config)
    raw = parser('192.0.2.10 - - [10/Oct/2023:13:55:36 +0000] "GET /robots.txt HTTP/1.1" 404 153 '
                 '"-" "Mozilla/5.0 (compatible; bot/2.1)"')
    assert raw == {"remoteAddr": "192.0.2.10", "remoteUser": None, "time": "10/Oct/2023:13:55:36 +0000",
                   "request": "GET /robots.txt HTTP/1.1", "status": "404", "bodyBytesSent": "153",
                   "httpReferer": None, "httpUserAgent": "Mozilla/5.0 (compatible; bot/2.1)"}


def test_custom_schema_parser_block_builds():
    schema = load_schemas("""
schema: Custom.Pairs
parser:
  csv:
    delimiter: ";"
    columns: [key, value]
    emptyValues: ["n/a"]
fields:
  - name: key
    type: string
    required: true
  - name: value
    type: int
""")[0]
    parser = build_parser(schema.parser.kind, schema.parser.config)
    assert parser("a;n/a") == {"key": "a", "value": None}
    assert parser("a;1;2") is None
    assert parser.last_error == "expected 2 values separated by ';', got 3"
