"""Live detection: the rules of panther-analysis trees (and pypanther classes) over streams of events.

``load_engine_content`` loads the rules; an ``Engine`` evaluates them per log type in forked worker
processes with a time limit per rule and event, and returns ``Finding`` objects (onca.detect.findings).
See docs/detection-engine.md.
"""

from onca.detect.engine.content import EngineContent, load_engine_content
from onca.detect.engine.engine import Engine
from onca.detect.engine.metrics import DetectionMetrics
from onca.detect.engine.options import EngineOptions
from onca.detect.engine.render import event_time, panther_timestamp, render_event
from onca.detect.engine.rules import RuleInfo
from onca.detect.engine.workers import EngineError

__all__ = [
    "DetectionMetrics",
    "Engine",
    "EngineContent",
    "EngineError",
    "EngineOptions",
    "RuleInfo",
    "event_time",
    "load_engine_content",
    "panther_timestamp",
    "render_event",
]
