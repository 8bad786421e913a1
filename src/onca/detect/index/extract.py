"""One detection's condition: needed for running it on an event to give anything but "no alert".

The runner calls the filters first (when there are any), then the matcher only if they pass, so a rule
does something only when its filters pass *and* its matcher does something. Compiled InlineFilters and
simple-detection matchers never raise; Python matchers are read by functions.py.
"""

from __future__ import annotations

import types
from typing import Any

from onca.detect.index.formula import Formula, Unknown, all_of
from onca.detect.index.functions import rule_formula
from onca.detect.index.simple import match_truth
from onca.detect.index.sources import Sources
from onca.detect.runner import Detection, DetectionKind

_SIMPLE_COMPILER = "onca.detect.simple.compiler"


def detection_formula(detection: Detection, sources: Sources) -> Formula:
    if detection.kind is not DetectionKind.RULE:
        return Unknown(f"a {detection.kind.value}, which the index leaves alone")
    matcher = _matcher_formula(detection, sources)
    if detection.filters is None:
        return matcher
    spec = detection.spec
    if detection.origin == "pypanther" or "InlineFilters" not in spec:
        return Unknown("its filters are code the index does not read")
    filters = match_truth(spec["InlineFilters"], inline=True, where="InlineFilters")
    return all_of(matcher, filters.true)


def _matcher_formula(detection: Detection, sources: Sources) -> Formula:
    namespace = detection.namespace
    spec = detection.spec
    if isinstance(namespace, types.SimpleNamespace):
        rule = getattr(namespace, "rule", None)
        # A derived rule runs its base's Detection, which its own spec does not show.
        if (
            "Detection" not in spec
            or spec.get("BaseDetection")
            or getattr(rule, "__module__", None) != _SIMPLE_COMPILER
        ):
            return Unknown("a simple detection whose match expressions the index cannot see")
        return match_truth(spec["Detection"], inline=False, where="Detection").true
    if isinstance(namespace, types.ModuleType):
        return rule_formula(getattr(namespace, "rule", None), sources)
    return _method_formula(namespace, sources)


def _method_formula(instance: Any, sources: Sources) -> Formula:
    """A rule object (pypanther): its class's ``rule(self, event)``, unless the instance replaced it."""
    function = getattr(type(instance), "rule", None)
    bound = getattr(instance, "rule", None)
    if (
        not isinstance(function, types.FunctionType)
        or "rule" in getattr(instance, "__dict__", {})
        or getattr(bound, "__func__", None) is not function
        or getattr(bound, "__self__", None) is not instance
    ):
        return Unknown("its rule is not a plain method the index can read")
    return rule_formula(function, sources, method=True)
