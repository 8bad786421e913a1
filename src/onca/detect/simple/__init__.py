"""Simple detections: Panther's YAML match expressions (``Detection``, ``InlineFilters``,
``DynamicSeverities``) and the YAML alert keys (``AlertTitle``, ``AlertContext``, ``GroupBy``).

See docs/simple-detections.md for every supported condition and combinator.
"""

from onca.detect.simple.alerting import (
    build_alert_context,
    compile_alert_context,
    compile_alert_title,
    compile_dynamic_severities,
    compile_group_by,
    dynamic_severity,
    render_alert_title,
)
from onca.detect.simple.compiler import Matcher, compile_match
from onca.detect.simple.conditions import CONDITIONS
from onca.detect.simple.detection import SimpleDetection, compile_simple_detection
from onca.detect.simple.errors import SimpleDetectionError

__all__ = [
    "CONDITIONS",
    "Matcher",
    "SimpleDetection",
    "SimpleDetectionError",
    "build_alert_context",
    "compile_alert_context",
    "compile_alert_title",
    "compile_dynamic_severities",
    "compile_group_by",
    "compile_match",
    "compile_simple_detection",
    "dynamic_severity",
    "render_alert_title",
]
