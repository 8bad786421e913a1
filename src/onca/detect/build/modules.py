"""Importing content Python: global helpers by their GlobalID, detection modules under their own id.

Global helpers become importable as top-level modules through a finder placed after the
standard ones, so a helper never shadows an installed package of the same name. A detection's
module is imported under the detection's id and kept out of ``sys.modules``: two detections
sharing one file get two independent modules, as in Panther.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from collections.abc import Mapping, Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType


class GlobalHelperFinder(importlib.abc.MetaPathFinder):
    """Finds ``import <GlobalID>`` in the content's global helper files."""

    def __init__(self, helpers: Mapping[str, Path]) -> None:
        self.helpers = dict(helpers)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        source = self.helpers.get(fullname)
        if source is None:
            return None
        return importlib.util.spec_from_file_location(fullname, source)


def install_global_helpers(helpers: Mapping[str, Path]) -> GlobalHelperFinder:
    """Make the helpers importable, replacing any helpers installed before (and their modules)."""
    uninstall_global_helpers()
    finder = GlobalHelperFinder(helpers)
    sys.meta_path.append(finder)
    return finder


def uninstall_global_helpers() -> None:
    for finder in [f for f in sys.meta_path if isinstance(f, GlobalHelperFinder)]:
        sys.meta_path.remove(finder)
        for name in finder.helpers:
            spec = getattr(sys.modules.get(name), "__spec__", None)
            if spec is not None and spec.origin and Path(spec.origin) == finder.helpers[name]:
                del sys.modules[name]


def import_file(module_name: str, path: Path) -> ModuleType:
    """Execute ``path`` as a fresh module named ``module_name`` (not registered in sys.modules)."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

