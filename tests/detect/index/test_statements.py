"""``for`` loops known to run no iteration, and ``try`` around a call whose exceptions are known."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("code", "guard"),
    [
        (  # a missing or null value gives {}: no key, no iteration; anything present may do anything
            """
            def lookup(event):
                enrichment = event.deep_get("p_enrichment", default={})
                for name in enrichment.keys():
                    if name.endswith("_noise"):
                        return name
                return None

            def rule(event):
                if not lookup(event):
                    return False
                return True
            """,
            "p_enrichment in {''..., non-text}",
        ),
        (  # iterating the value itself; deep_get gives the default for a null too
            """
            def rule(event):
                for address in event.deep_get("p_any_ip_addresses", default=[]):
                    return True
                return event.get("eventName") == "A"
            """,
            "eventName in {'A'} or p_any_ip_addresses in {''..., non-text}",
        ),
        (  # the loop's else runs when there is no iteration
            """
            def rule(event):
                for key in event.deep_get("requestParameters", "tags", default={}).items():
                    break
                else:
                    return event.get("eventName") == "A"
                return True
            """,
            "eventName in {'A'} or requestParameters.tags in {''..., non-text}",
        ),
        (  # ip_address raises only ValueError, caught here; both ways on are followed
            """
            from ipaddress import ip_address

            def rule(event):
                address = event.get("sourceIPAddress")
                try:
                    ip_address(address)
                except ValueError:
                    return False
                return event.get("errorCode") == "AccessDenied"
            """,
            # ip_address(None) raises: a missing address never gets past the try.
            "errorCode in {'AccessDenied'} and sourceIPAddress in {''..., non-text}",
        ),
        (  # a handler that does not return: the rule goes on either way
            """
            from ipaddress import ip_address

            def rule(event):
                valid = True
                try:
                    ip_address(event.get("sourceIPAddress", "1.2.3.4"))
                except (TypeError, ValueError) as error:
                    valid = False
                return event.get("eventName") == "A"
            """,
            "eventName in {'A'}",
        ),
    ],
)
def test_statement_forms_are_guarded(guard_of, code, guard):
    assert guard_of(code).describe() == guard


@pytest.mark.parametrize(
    ("code", "why"),
    [
        (  # the handler does not catch what ip_address raises
            """
            from ipaddress import ip_address

            def rule(event):
                try:
                    ip_address(event.get("sourceIPAddress"))
                except TypeError:
                    return False
                return event.get("eventName") == "A"
            """,
            "is a statement the index does not read",
        ),
        (  # a call whose exceptions the index does not know
            """
            import json

            def rule(event):
                try:
                    json.loads(event.get("requestParameters"))
                except ValueError:
                    return False
                return event.get("eventName") == "A"
            """,
            "is a statement the index does not read",
        ),
        (  # a finally clause runs whatever happens
            """
            from ipaddress import ip_address

            def rule(event):
                try:
                    ip_address(event.get("sourceIPAddress"))
                except ValueError:
                    return False
                finally:
                    print("checked")
                return event.get("eventName") == "A"
            """,
            "is a statement the index does not read",
        ),
        (  # ip_address is not the standard library's here
            """
            def ip_address(value):
                raise KeyError(value)

            def rule(event):
                try:
                    ip_address(event.get("sourceIPAddress"))
                except ValueError:
                    return False
                return event.get("eventName") == "A"
            """,
            "is a statement the index does not read",
        ),
        (  # a present null reads None (get's default is only for a missing key): iterating it raises
            """
            def rule(event):
                for item in event.get("resources", []):
                    if item.get("type") == "x":
                        return True
                return False
            """,
            "holds for every event",
        ),
        (  # the same with keys(): a present null has none
            """
            def rule(event):
                for key in event.get("tags", {}).keys():
                    return True
                return False
            """,
            "holds for every event",
        ),
        (  # the default is not empty: the loop runs even when the key is missing
            """
            def rule(event):
                for name in event.deep_get("names", default=["A"]):
                    return True
                return False
            """,
            "holds for every event",
        ),
    ],
)
def test_statement_forms_left_unguarded(guard_of, code, why):
    report = guard_of(code)
    assert not report.guarded
    assert why in report.reason
