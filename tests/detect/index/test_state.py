"""Module state a rule writes with ``global``: leading resets to constants and mock-guarded names are
passed over when nothing else can see them; every other way of touching module state keeps the rule
unguarded."""

from __future__ import annotations

import importlib.util
import sys
import textwrap

import pytest
from index_equivalence import findings_both_ways

from onca.detect.index.formula import Unknown
from onca.detect.index.functions import rule_formula
from onca.detect.index.sources import Sources

LOG_TYPE = "AWS.CloudTrail"


@pytest.mark.parametrize(
    ("code", "guard"),
    [
        (  # a reset, then the guard
            """
            SEEN = {}

            def rule(event):
                global SEEN
                SEEN = {}
                return event.get("eventName") == "A"
            """,
            "eventName in {'A'}",
        ),
        (  # several resets to constants of every display, read back by the alert functions
            """
            MATCHED = {}
            KEY = ""
            FLAGS = ()

            def rule(event):
                global MATCHED, KEY, FLAGS
                MATCHED = {}
                KEY = ""
                FLAGS = (False, [1, {"x": None}], {"a", "b"})
                if event.get("eventName") != "A":
                    return False
                MATCHED["name"] = event.get("eventName")
                KEY = event.get("eventSource")
                return True

            def title(event):
                return f"{MATCHED} {KEY} {FLAGS}"

            def dedup(event):
                return describe()

            def describe():
                return str(sorted(MATCHED))
            """,
            "eventName in {'A'}",
        ),
        (  # the mock idiom: the guarded body never runs, so the list stays empty and the loop never runs
            """
            import json
            from unittest.mock import MagicMock

            ALLOW = []

            def rule(event):
                global ALLOW
                if isinstance(ALLOW, MagicMock):
                    ALLOW = json.loads(ALLOW())
                for entry in ALLOW:
                    if entry["eventName"] == event.get("eventName"):
                        return False
                return event.get("eventName") == "A"
            """,
            "eventName in {'A'}",
        ),
    ],
)
def test_state_forms_are_guarded(guard_of, code, guard):
    assert guard_of(code).describe() == guard


@pytest.mark.parametrize(
    ("code", "why"),
    [
        (  # reset from the event: not a constant
            """
            SEEN = None

            def rule(event):
                global SEEN
                SEEN = event.get("eventSource")
                return event.get("eventName") == "A"
            """,
            "is a statement the index does not read",
        ),
        (  # changed in place: a finding may hold that very object
            """
            SEEN = {}

            def rule(event):
                SEEN.clear()
                return event.get("eventName") == "A"
            """,
            "is a statement the index does not read",
        ),
        (  # read before it is reset
            """
            SEEN = {}

            def rule(event):
                global SEEN
                if SEEN:
                    return True
                SEEN = {}
                return event.get("eventName") == "A"
            """,
            "cannot pin down",
        ),
        (  # a counter: the next value depends on the previous one
            """
            COUNT = 0

            def rule(event):
                global COUNT
                COUNT += 1
                return event.get("eventName") == "A"
            """,
            "is a statement the index does not read",
        ),
        (  # built by a call, however harmless
            """
            SEEN = {}

            def rule(event):
                global SEEN
                SEEN = dict()
                return event.get("eventName") == "A"
            """,
            "is a statement the index does not read",
        ),
        (  # a lambda reads it: it may run later, from anywhere
            """
            SEEN = {}
            REPORT = lambda: SEEN

            def rule(event):
                global SEEN
                SEEN = {}
                return event.get("eventName") == "A"
            """,
            "is a statement the index does not read",
        ),
        (  # a function reading it is handed out as a value
            """
            SEEN = {}

            def rule(event):
                global SEEN
                SEEN = {}
                return event.get("eventName") == "A"

            def seen():
                return SEEN

            HOOKS = [seen]
            """,
            "is a statement the index does not read",
        ),
        (  # the module reaches its namespace behind the syntax tree's back
            """
            SEEN = {}

            def rule(event):
                global SEEN
                SEEN = {}
                return event.get("eventName") == "A"

            def state():
                return globals()["SEEN"]
            """,
            "is a statement the index does not read",
        ),
        (  # rebound outside a mock guard: the list may hold entries
            """
            from unittest.mock import MagicMock

            ALLOW = []

            def configure(entries):
                global ALLOW
                ALLOW = entries

            def rule(event):
                if isinstance(ALLOW, MagicMock):
                    return False
                for entry in ALLOW:
                    return True
                return event.get("eventName") == "A"
            """,
            "cannot pin down",
        ),
        (  # changed in place
            """
            from unittest.mock import MagicMock

            ALLOW = []
            ALLOW.append("x")

            def rule(event):
                global ALLOW
                if isinstance(ALLOW, MagicMock):
                    ALLOW = []
                for entry in ALLOW:
                    return True
                return event.get("eventName") == "A"
            """,
            "cannot pin down",
        ),
        (  # the module-level value is a mock: the guarded body runs on the first event
            """
            import json
            from unittest.mock import MagicMock

            ALLOW = MagicMock(return_value="[]")

            def rule(event):
                global ALLOW
                if isinstance(ALLOW, MagicMock):
                    ALLOW = json.loads(ALLOW())
                return event.get("eventName") == "A"
            """,
            "cannot pin down",
        ),
        (  # a loop that runs: its body is not followed
            """
            NAMES = ("A", "B")

            def rule(event):
                for name in NAMES:
                    if event.get("eventName") == name:
                        return True
                return False
            """,
            "runs its body",
        ),
    ],
)
def test_state_writes_leave_rules_unguarded(guard_of, code, why):
    report = guard_of(code)
    assert not report.guarded
    assert why in report.reason


def test_state_resets_only_in_detection_modules(tmp_path, monkeypatch):
    """A module anyone can import (in sys.modules) may have its state read from elsewhere."""
    source = tmp_path / "shared_rule.py"
    source.write_text(
        textwrap.dedent(
            """
            SEEN = {}

            def rule(event):
                global SEEN
                SEEN = {}
                return event.get("eventName") == "A"
            """
        )
    )
    spec = importlib.util.spec_from_file_location("shared_rule", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "shared_rule", module)
    spec.loader.exec_module(module)
    formula = rule_formula(module.rule, Sources())
    assert isinstance(formula, Unknown) and "is a statement the index does not read" in formula.reason


STATEFUL = {
    "Matches": """
        MATCHED = {}

        def rule(event):
            global MATCHED
            MATCHED = {}
            if event.get("eventName") not in ("A", "B"):
                return False
            MATCHED[event.get("eventName")] = event.get("eventSource")
            return True

        def title(event):
            return f"{sorted(MATCHED.items())}"

        def alert_context(event):
            return MATCHED
        """,
    "Allowed": """
        import json
        from unittest.mock import MagicMock

        ALLOW = []

        def rule(event):
            global ALLOW
            if isinstance(ALLOW, MagicMock):
                ALLOW = json.loads(ALLOW())
            for entry in ALLOW:
                if entry == event.get("eventSource"):
                    return False
            return event.get("eventName") == "B"
        """,
}


def test_state_resets_change_no_finding(load_rules, tmp_path):
    content = load_rules(STATEFUL)
    names = ["A", "B", "C", None, 5, "A", "D", "B"]
    events = [
        {"p_log_type": LOG_TYPE, "eventName": name, "eventSource": f"s{n}", "p_row_id": str(n)}
        for n, name in enumerate(names * 5)
    ]
    indexed, every_rule = findings_both_ways(content, LOG_TYPE, events, tmp_path)
    assert len(indexed) == 30  # per round of eight: two As and two Bs match Matches, two Bs Allowed
    assert indexed == every_rule
