"""The event object detections read, and the read-only views it hands out for nested values."""

from onca.detect.event.event import DetectionEvent, NoDataModelError
from onca.detect.event.views import ImmutableCaseInsensitiveDict, ImmutableList, json_default, unwrap, wrap

__all__ = [
    "DetectionEvent",
    "ImmutableCaseInsensitiveDict",
    "ImmutableList",
    "NoDataModelError",
    "json_default",
    "unwrap",
    "wrap",
]
