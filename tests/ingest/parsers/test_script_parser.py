import pytest

from onca.ingest.parsers import ParserConfigError, build_parser
from onca.ingest.parsers import script as script_module

KV_SCRIPT = """
def parse(log):
    if not log.startswith("kv "):
        return None
    out = {}
    for pair in log[3:].split(" "):
        key, _, value = pair.partition("=")
        out[key] = value
    return out
"""


def script(source, **options):
    return build_parser("script", {"function": source, **options})


def test_script_parses_key_value_pairs():
    parser = script(KV_SCRIPT)
    assert parser("kv user=alice action=login ip=10.0.0.1") == {"user": "alice", "action": "login", "ip": "10.0.0.1"}


def test_script_returning_none_rejects_the_line():
    parser = script(KV_SCRIPT)
    assert parser("something else") is None
    assert parser.last_error == "parse() returned None (the line is not of this log type)"
    assert not parser.last_skipped


def test_script_may_return_nested_values_and_decode_json():
    parser = script("""
def parse(log):
    prefix, _, body = log.partition(" ")
    data = json.decode(body)
    return {"source": prefix, "user": {"name": data["u"], "roles": data["roles"]}, "count": len(data["roles"]),
            "admin": "admin" in data["roles"], "ratio": 0.5, "missing": None}
""")
    record = parser('app1 {"u": "bob", "roles": ["admin", "dev"]}')
    assert record == {"source": "app1", "user": {"name": "bob", "roles": ["admin", "dev"]}, "count": 2,
                      "admin": True, "ratio": 0.5, "missing": None}


def test_script_runtime_error_rejects_only_that_line():
    parser = script("""
def parse(log):
    parts = log.split(",")
    return {"a": parts[0], "b": parts[1]}
""")
    assert parser("no comma") is None
    assert parser.last_error.startswith("parse() failed: Index `1` is out of bound")
    assert "(at function:4:" in parser.last_error
    assert parser("x,y") == {"a": "x", "b": "y"}
    assert parser.last_error is None


def test_script_bad_json_rejects_the_line():
    parser = script("def parse(log):\n    return json.decode(log)\n")
    assert parser("{not json") is None
    assert parser.last_error.startswith("parse() failed:")
    assert parser('{"k": 1}') == {"k": 1}


def test_script_must_return_a_dict():
    parser = script("def parse(log):\n    return log.split(' ')\n")
    assert parser("a b") is None
    assert parser.last_error == "parse() must return a dict, got list"


def test_script_result_without_a_python_form_rejects_the_line():
    parser = script("def helper():\n    pass\ndef parse(log):\n    return {'f': helper} if log else {(1, 2): 'x'}\n")
    assert parser("x") is None
    assert parser.last_error.startswith("parse() failed: ")
    assert parser("") is None
    assert parser.last_error.startswith("parse() returned a value that cannot be used: ")


def test_script_empty_dict_skips_the_line():
    parser = script("def parse(log):\n    return {} if log.startswith('#') else None\n")
    assert parser("#Version: 1.0") is None
    assert parser.last_skipped and parser.last_error.startswith("skipped: parse() returned an empty dict")
    assert parser("other") is None
    assert not parser.last_skipped


def test_script_that_runs_too_long_gives_up_on_the_line(monkeypatch):
    monkeypatch.setattr(script_module, "SECONDS_PER_LINE", 0.05)
    parser = script("""
def parse(log):
    total = 0
    for i in range(1000000000):
        total += i
    return {"total": total}
""")
    assert parser("x") is None
    assert "cancelled" in parser.last_error.lower()


def test_script_shared_options_apply_to_top_level_strings():
    parser = script("def parse(log):\n    a, b = log.split('|')\n    return {'a': a, 'b': b, 'n': 1}\n",
                    trimSpace=True, emptyValues=["-"], expandFields={"ab": "%{a}/%{b}/%{n}"})
    assert parser(" x | - ") == {"a": "x", "b": None, "n": 1, "ab": "x//1"}


def test_script_unicode():
    parser = script("def parse(log):\n    return {'upper': log.upper(), 'length': len(log)}\n")
    assert parser("grüße") == {"upper": "GRÜSSE", "length": 5}


def test_script_syntax_error_is_a_config_error():
    with pytest.raises(ParserConfigError) as info:
        script("def parse(log):\n    return {'a' 1}\n")
    assert str(info.value) == ("parser.script.function: Parse error: unexpected integer literal '1' here "
                               "(at function:2:17)")


def test_script_without_parse_is_a_config_error():
    with pytest.raises(ParserConfigError, match=r"^parser\.script\.function: the script does not define parse"):
        script("def other(log):\n    return {}\n")


def test_script_where_parse_is_not_a_function_is_a_config_error():
    with pytest.raises(ParserConfigError, match=r"`parse` must be a function"):
        script("parse = 3\n")


def test_script_top_level_error_is_a_config_error():
    with pytest.raises(ParserConfigError, match=r"^parser\.script\.function: .*not found"):
        script("x = undefined_thing\ndef parse(log):\n    return {}\n")


def test_script_missing_function_is_a_config_error():
    with pytest.raises(ParserConfigError, match=r"^parser\.script\.function: must be the Starlark source"):
        build_parser("script", {})
    with pytest.raises(ParserConfigError, match=r"^parser\.script\.function: must be a string"):
        build_parser("script", {"function": ["def parse(log): pass"]})
