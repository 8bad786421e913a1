"""Making content runnable: importing helpers and detection modules, building data models."""

from onca.detect.build.detections import build_data_models, build_detection, global_helper_files
from onca.detect.build.errors import BuildError
from onca.detect.build.modules import import_file, install_global_helpers, uninstall_global_helpers

__all__ = [
    "BuildError",
    "build_data_models",
    "build_detection",
    "global_helper_files",
    "import_file",
    "install_global_helpers",
    "uninstall_global_helpers",
]
