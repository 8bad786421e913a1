"""Why a detection, helper or data model could not be made runnable."""

from __future__ import annotations

from pathlib import Path

from onca.detect.tracebacks import content_traceback, describe_error


class BuildError(Exception):
    """``message`` says what is wrong; ``details`` carries the content traceback when code failed."""

    def __init__(self, path: Path | None, message: str, details: str = "") -> None:
        self.path = path
        self.message = message
        self.details = details
        super().__init__(f"{path}: {message}" if path else message)

    @classmethod
    def from_exception(cls, path: Path | None, doing: str, error: BaseException) -> BuildError:
        return cls(path, f"{doing}: {describe_error(error)}", content_traceback(error))


def missing_module_error(path: Path | None, feature: str, module: str, error: ImportError) -> BuildError:
    return BuildError(path, f"{feature} need {module}, which is not available ({error})")
