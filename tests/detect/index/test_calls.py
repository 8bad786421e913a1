"""Calls and expressions the index reads: regular expressions, lookups in a dict display, any()/all()
over a generator, f-strings and ``+`` of text, truthiness of event values, and helpers made of one
``return``."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("code", "guard"),
    [
        (  # a compiled pattern: the text must hold its literal runs; anything but text raises
            """
            import re

            SESSION = re.compile(r":assumed-role/.+/i-[0-9a-f]+$")

            def rule(event):
                arn = event.deep_get("userIdentity", "arn", default="")
                if not SESSION.search(arn):
                    return False
                return True
            """,
            "userIdentity.arn in {...':assumed-role/'...'/i-'..., non-text}",
        ),
        (  # match() anchors at the start: a prefix
            """
            import re

            def rule(event):
                return bool(re.match("arn:aws:iam::[0-9]+:root", event.get("arn", "")))
            """,
            "arn in {'arn:aws:iam::'..., missing/null, non-text}",
        ),
        (  # a pattern the default matches lets a missing key through
            """
            import re

            ANY = re.compile("x*")

            def rule(event):
                return bool(ANY.fullmatch(event.deep_get("name", default=""))) and event.get("eventName") == "A"
            """,
            "name in {non-text} or (eventName in {'A'} and name in {''..., missing/null})",
        ),
        (  # a dict of lambdas: .get() is truthy only for its keys, and raises for unhashable values
            """
            def rule(event):
                name = event.get("eventName", "")
                where = {
                    "PutBucketPolicy": lambda p: p.get("bucketPolicy"),
                    "PutKeyPolicy": lambda p: p.get("policy"),
                }
                extract = where.get(name)
                if not extract:
                    return False
                return extract(event.get("requestParameters")) is not None
            """,
            "eventName in {'PutBucketPolicy', 'PutKeyPolicy', non-text}",
        ),
        (  # any() over a generator of known strings, with text built from them
            """
            REGIONS = ("us-east-1", "eu-west-1")

            def rule(event):
                actor = event.get("actor")
                if any(actor == "Audit-" + region for region in REGIONS):
                    return False
                return event.get("eventName") == "A"
            """,
            "eventName in {'A'}",
        ),
        (  # all() over a generator: every element must hold
            """
            def rule(event):
                return all(event.get("eventName") != name for name in ("A", "B")) and event.get("x") == "y"
            """,
            "x in {'y'}",
        ),
        (  # any() over a generator: one element must hold
            """
            def rule(event):
                return any(event.get("eventName") == "Create" + kind for kind in ["User", "Role"])
            """,
            "eventName in {'CreateRole', 'CreateUser'}",
        ),
        (  # a helper made of one return is the expression itself
            """
            def regions():
                return ["us-east-1", "eu-west-1"]

            def name(event):
                return event.get("eventName")

            def rule(event):
                if any(event.get("awsRegion") == region for region in regions()):
                    return name(event) == "A"
                return False
            """,
            "awsRegion in {'eu-west-1', 'us-east-1'} and eventName in {'A'}",
        ),
        (  # defaults built from other reads and f-strings
            """
            def rule(event):
                kind = event.get("type")
                user = event.deep_get("user", "name", default=f"Unknown{kind}")
                if user.startswith("AWSReservedSSO_"):
                    return True
                return False
            """,
            # Text starting with "Unknown" never starts with "AWSReservedSSO_"; a number raises.
            "user.name in {'AWSReservedSSO_'..., non-text}",
        ),
        (  # a key given by a module constant
            """
            LUT = "misp_warning_lists"

            def rule(event):
                if event.deep_get("p_enrichment", LUT):
                    return event.get("eventName") == "A"
                return False
            """,
            "eventName in {'A'} and p_enrichment.misp_warning_lists in {''..., non-text}",
        ),
        (  # a value's truth: present (text or anything else) to be truthy
            """
            def rule(event):
                return bool(event.get("errorCode")) and event.get("eventName") == "A"
            """,
            "errorCode in {''..., non-text} and eventName in {'A'}",
        ),
    ],
)
def test_call_forms_are_guarded(guard_of, code, guard):
    assert guard_of(code).describe() == guard


@pytest.mark.parametrize(
    ("code", "why"),
    [
        (  # a case-insensitive pattern: its literals say nothing about case
            """
            import re

            def rule(event):
                return bool(re.search("(?i)stoplogging", event.get("eventName", "")))
            """,
            "holds for every event",
        ),
        (  # a pattern rebound after loading
            """
            import re

            PATTERN = re.compile("a")
            PATTERN = re.compile("b")

            def rule(event):
                return bool(PATTERN.search(event.get("eventName", "")))
            """,
            "is not a form the index reads",
        ),
        (  # a dict whose values may be falsy: .get() says nothing
            """
            def rule(event):
                where = {"A": 0, "B": lambda p: p}
                if not where.get(event.get("eventName")):
                    return False
                return True
            """,
            "narrows no key",
        ),
        (  # a lambda with a default runs code when the dict is built
            """
            def rule(event):
                where = {"A": lambda p, seen=print("x"): p}
                return bool(where.get(event.get("eventName")))
            """,
            "is not a form the index reads",
        ),
        (  # a generator over event values
            """
            def rule(event):
                return any(item == "x" for item in event.get("items", []))
            """,
            "is not a form the index reads",
        ),
        (  # a format spec can raise on the wrong type
            """
            def rule(event):
                label = f"{event.get('count'):d}"
                return event.get("eventName") == "A"
            """,
            "is not a form the index reads",
        ),
        (  # text + a value that may be a number raises
            """
            def rule(event):
                label = "x" + event.get("name", "")
                return event.get("eventName") == "A"
            """,
            "is not a form the index reads",
        ),
        (  # the rule returns a list: not a bool, so the runner reports an error on every event
            """
            def rule(event):
                return []
            """,
            "is a list, not a bool",
        ),
    ],
)
def test_call_forms_left_unguarded(guard_of, code, why):
    report = guard_of(code)
    assert not report.guarded
    assert why in report.reason
