"""Guards read from Python rules: the forms the index understands, and the ones it must leave alone."""

from __future__ import annotations

import pytest

# panther's deep_get, as its helper modules define it (the index recognises exactly this function).
DEEP_GET_HELPER = '''
from collections.abc import Mapping
from functools import reduce


def deep_get(dictionary: dict, *keys, default=None):
    """Safely return the value of an arbitrarily nested map"""
    out = reduce(lambda d, key: d.get(key, default) if isinstance(d, Mapping) else default, keys, dictionary)
    if out is None:
        return default
    return out
'''


@pytest.mark.parametrize(
    ("code", "guard"),
    [
        (
            """
            def rule(event):
                if event.get("eventName") != "CreateUser":
                    return False
                return True
            """,
            "eventName in {'CreateUser'}",
        ),
        (
            """
            def rule(event):
                if not event.get("eventName") == "CreateUser":
                    return False
                return event.deep_get("userIdentity", "type") == "Root"
            """,
            "eventName in {'CreateUser'} and userIdentity.type in {'Root'}",
        ),
        (
            """
            def rule(event):
                return event.get("eventName") in ("A", "B") and event.get("x", {}).get("y")
            """,
            "eventName in {'A', 'B'}",
        ),
        (
            """
            def rule(event):
                if event.get("eventName") not in ["A", "B"]:
                    return False
                return True
            """,
            "eventName in {'A', 'B'}",
        ),
        (
            """
            def rule(event):
                return event.deep_get("userIdentity", "type") == "Root"
            """,
            "userIdentity.type in {'Root'}",
        ),
        (
            """
            def rule(event):
                # either of two keys can let the rule through
                return event.get("eventName") == "A" or event.get("eventSource") == "s3.amazonaws.com"
            """,
            "eventName in {'A'} or eventSource in {'s3.amazonaws.com'}",
        ),
        (
            """
            def rule(event):
                return event["eventName"] == "A"
            """,
            "eventName in {'A', missing/null}",  # a missing key raises KeyError: the rule must run
        ),
        (
            """
            def rule(event):
                if event.get("eventName", "").startswith("Delete"):
                    return True
                return False
            """,
            "eventName in {'Delete'..., missing/null, non-text}",  # a present null or a number raises
        ),
        (
            """
            def rule(event):
                return all([event.get("eventName") == "A", not event.get("errorCode")])
            """,
            # not errorCode: empty text, missing/null, or a non-text value such as 0 or [].
            "errorCode in {'', missing/null, non-text} and eventName in {'A'}",
        ),
    ],
)
def test_index_reads_guard_forms(guard_of, code, guard):
    assert guard_of(code).describe() == guard


def test_index_reads_module_constants_bound_once(guard_of):
    code = """
        EVENTS = {"A", "B"}
        NAMES = ["C"]
        OTHER = "D"

        def rule(event):
            name = event.get("eventName")
            return name in EVENTS or name in NAMES or name == OTHER
        """
    # Set membership hashes the value: an unhashable (non-text) eventName raises, so it stays a candidate.
    assert guard_of(code).describe() == "eventName in {'A', 'B', 'C', 'D', non-text}"


def test_index_reads_helpers_made_of_known_forms(guard_of):
    code = """
        def succeeded(event):
            if event.get("errorCode", "") or event.get("errorMessage", ""):
                return False
            return True

        def rule(event):
            return succeeded(event) and event.get("eventName") == "StopLogging"
        """
    assert guard_of(code).describe() == (
        "errorCode in {'', missing/null, non-text} and errorMessage in {'', missing/null, non-text} "
        "and eventName in {'StopLogging'}"
    )


def test_index_reads_panther_deep_get(guard_of):
    code = """
        from panther_base_helpers import deep_get

        def rule(event):
            return deep_get(event, "userIdentity", "type", default="") == "Root"
        """
    helper = {
        "global_helpers/panther_base_helpers.py": DEEP_GET_HELPER,
        "global_helpers/panther_base_helpers.yml": "AnalysisType: global\nGlobalID: panther_base_helpers\n"
        "Filename: panther_base_helpers.py\n",
    }
    assert guard_of(code, files=helper).describe() == "userIdentity.type in {'Root'}"


def test_index_keeps_a_missing_key_when_the_default_passes(guard_of):
    code = """
        def rule(event):
            if event.get("eventName", "X") != "X":
                return False
            return True
        """
    assert guard_of(code).describe() == "eventName in {'X', missing/null}"


@pytest.mark.parametrize(
    ("code", "why"),
    [
        (  # a helper the index cannot read runs first
            """
            import json

            def rule(event):
                json.dumps({})
                if event.get("eventName") != "A":
                    return False
                return True
            """,
            "is a statement the index does not read",
        ),
        (  # the caching store is touched before the guard
            """
            from panther_detection_helpers.caching import increment_counter

            def rule(event):
                count = increment_counter("key")
                return event.get("eventName") == "A" and count > 1
            """,
            "calls a helper",
        ),
        (  # a number is compared: 5 == "5" is False, but 5 == 5 is what the rule asks
            """
            def rule(event):
                return event.get("count") == 5
            """,
            "narrows no key",
        ),
        (  # a module constant bound twice
            """
            EVENTS = ("A",)
            EVENTS = ("A", "B")

            def rule(event):
                return event.get("eventName") in EVENTS
            """,
            "cannot pin down",
        ),
        (  # a module list that the module changes
            """
            EVENTS = ["A"]
            EVENTS.append("B")

            def rule(event):
                return event.get("eventName") in EVENTS
            """,
            "may be changed",
        ),
        (  # a name declared global somewhere
            """
            EVENTS = ("A",)

            def reset():
                global EVENTS
                EVENTS = ()

            def rule(event):
                return event.get("eventName") in EVENTS
            """,
            "cannot pin down",
        ),
        (  # the rule can return something other than a bool (an error): every event must reach it
            """
            def rule(event):
                return event.get("eventName") == "A" or event.get("x")
            """,
            "not a bool",
        ),
        (  # returns None when it falls off the end
            """
            def rule(event):
                if event.get("eventName") == "A":
                    return True
            """,
            "returns None",
        ),
    ],
)
def test_index_leaves_rules_unguarded(guard_of, code, why):
    report = guard_of(code)
    assert not report.guarded
    assert why in report.reason


def test_index_leaves_udm_unguarded_without_a_data_model(guard_of):
    code = """
        def rule(event):
            return event.udm("event_type") == "login"
        """
    report = guard_of(code)
    assert not report.guarded and "data model" in report.reason


DATA_MODEL = {
    "data_models/model.yml": """
        AnalysisType: datamodel
        DataModelID: Test.Model
        Filename: model.py
        Enabled: true
        LogTypes:
          - AWS.CloudTrail
        Mappings:
          - Name: event_type
            Method: get_event_type
          - Name: agent
            Path: $.userAgent
        """,
    "data_models/model.py": """
        def get_event_type(event):
            if event.get("eventName") == "ConsoleLogin":
                if event.deep_get("responseElements", "ConsoleLogin") == "Failure":
                    return "failed_login"
                return "login"
            if event.get("eventName") == "CreateUser":
                return "account_created"
            return None
        """,
}


def test_index_resolves_udm_through_a_data_model_method(guard_of):
    code = """
        def rule(event):
            if event.udm("event_type") != "account_created":
                return False
            return True
        """
    assert guard_of(code, files=DATA_MODEL).describe() == "eventName in {'CreateUser'}"


def test_index_leaves_udm_of_a_jsonpath_mapping_unguarded(guard_of):
    code = """
        def rule(event):
            return event.udm("agent") == "curl"
        """
    report = guard_of(code, files=DATA_MODEL)
    assert not report.guarded and "data model field" in report.reason
