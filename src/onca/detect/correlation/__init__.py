"""Correlation rules: Group and Sequence rules over the signals of other rules.

One engine serves both ``onca test`` (``run_correlation_test``) and the scheduled streaming
evaluation (``CorrelationRule.evaluate``). See docs/correlation-rules.md.
"""

from onca.detect.correlation.errors import CorrelationError
from onca.detect.correlation.keys import canonical_keys, flatten_fields
from onca.detect.correlation.model import CorrelationHit, Criterion, Member, RuleMatch, Schedule, Transition
from onca.detect.correlation.rule import CorrelationRule, compile_correlation
from onca.detect.correlation.stream import CorrelationStream
from onca.detect.correlation.testing import (
    BASE_TIME,
    correlation_test_hits,
    rule_output_matches,
    run_correlation_test,
    signal_time,
)

__all__ = [
    "BASE_TIME",
    "CorrelationError",
    "CorrelationHit",
    "CorrelationRule",
    "CorrelationStream",
    "Criterion",
    "Member",
    "RuleMatch",
    "Schedule",
    "Transition",
    "canonical_keys",
    "compile_correlation",
    "correlation_test_hits",
    "flatten_fields",
    "rule_output_matches",
    "run_correlation_test",
    "signal_time",
]
