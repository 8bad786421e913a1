"""Detections: content loading (panther-analysis YAML + Python, pypanther classes), the event object,
data models, the caching key-value store, the runner, and the test runner behind ``onca test``.

Simple detections (``onca.detect.simple``) and correlation rules (``onca.detect.correlation``) live in
their own packages.
"""

from onca.detect.build import BuildError, build_data_models, build_detection
from onca.detect.content import ContentItem, ContentProblem, ContentSet, SpecFilter, load_content, load_yaml
from onca.detect.datamodel import DataModel, DataModelError
from onca.detect.event import DetectionEvent, ImmutableCaseInsensitiveDict, ImmutableList, json_default
from onca.detect.kv import KeyValueStore, RedisKeyValueStore, SQLiteKeyValueStore, open_kv_store
from onca.detect.platform import install_platform_modules, use_kv_store
from onca.detect.runner import Detection, DetectionKind, RunResult, run_detection
from onca.detect.testing import TestOptions, TestReport, run_content_tests
from onca.detect.engine import DetectionMetrics, Engine, EngineContent, EngineOptions, load_engine_content

__all__ = [
    "BuildError",
    "ContentItem",
    "ContentProblem",
    "ContentSet",
    "DataModel",
    "DataModelError",
    "Detection",
    "DetectionEvent",
    "DetectionKind",
    "ImmutableCaseInsensitiveDict",
    "ImmutableList",
    "KeyValueStore",
    "RedisKeyValueStore",
    "RunResult",
    "SQLiteKeyValueStore",
    "SpecFilter",
    "TestOptions",
    "TestReport",
    "build_data_models",
    "build_detection",
    "install_platform_modules",
    "json_default",
    "load_content",
    "load_yaml",
    "open_kv_store",
    "run_content_tests",
    "run_detection",
    "use_kv_store",
]
__all__ += ["DetectionMetrics", "Engine", "EngineContent", "EngineOptions", "load_engine_content"]
