"""Detection content in the panther-analysis layout: discovery, YAML 1.2 parsing, spec validation."""

from onca.detect.content.discover import discover_yaml_files
from onca.detect.content.load import SpecFilter, load_content
from onca.detect.content.model import DETECTION_TYPES, ContentItem, ContentProblem, ContentSet
from onca.detect.content.specs import ANALYSIS_TYPES
from onca.detect.content.validate import SpecError, validate_spec
from onca.yaml12 import load_yaml

__all__ = [
    "ANALYSIS_TYPES",
    "DETECTION_TYPES",
    "ContentItem",
    "ContentProblem",
    "ContentSet",
    "SpecError",
    "SpecFilter",
    "discover_yaml_files",
    "load_content",
    "load_yaml",
    "validate_spec",
]
