"""Running detections: the runnable detection model, one run over one event, and its result."""

from onca.detect.runner.detection import Detection, DetectionKind
from onca.detect.runner.errors import (
    DetectionRuntimeError,
    DetectionTimeout,
    FunctionReturnTypeError,
    RunAborted,
    UnknownDestinationError,
)
from onca.detect.runner.result import AUX_FUNCTIONS, RunResult
from onca.detect.runner.run import run_detection

__all__ = [
    "AUX_FUNCTIONS",
    "Detection",
    "DetectionKind",
    "DetectionRuntimeError",
    "DetectionTimeout",
    "FunctionReturnTypeError",
    "RunAborted",
    "RunResult",
    "UnknownDestinationError",
    "run_detection",
]
