"""The rule index of the live detection engine: an event only reaches the rules that could match it.

Guards are read statically from each rule (its Python source, its simple-detection spec, its
InlineFilters) and are sound: a rule is left out only for events on which running it would return
False without raising or doing anything else. See docs/rule-index.md.
"""

from collections.abc import Sequence
from typing import Any

from onca.detect.index.formula import Atom
from onca.detect.index.index import GuardReport, RuleIndex
from onca.detect.runner import Detection


def explain(detections: Sequence[Detection], data_model: Any = None) -> list[GuardReport]:
    """What the index knows of each detection, in order: its guard, or why it has none. Pass the data
    model of the log type to see the guards of rules that read ``event.udm()``."""
    return RuleIndex(detections, data_model).reports


__all__ = ["Atom", "GuardReport", "RuleIndex", "explain"]
