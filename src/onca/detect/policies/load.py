"""Loading policies from panther-analysis trees into runnable detections."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from onca.detect.build import BuildError, build_detection, global_helper_files, install_global_helpers
from onca.detect.content import ContentProblem, ContentSet, SpecFilter, load_content
from onca.detect.platform import install_platform_modules
from onca.detect.runner import Detection

_POLICIES_ONLY = SpecFilter("AnalysisType", frozenset({"policy"}))


@contextmanager
def _no_bytecode() -> Iterator[None]:
    """Content trees may be read-only, or someone's checkout: write no __pycache__ into them."""
    saved = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        yield
    finally:
        sys.dont_write_bytecode = saved


def load_policies(
    paths: Iterable[str | Path], *, include_disabled: bool = False
) -> tuple[list[Detection], list[ContentProblem]]:
    """The enabled policies under ``paths`` (every policy with ``include_disabled``), and a problem for
    each file or policy that could not be loaded; the others still load.

    The trees' global helpers become importable (replacing helpers installed before), since policy
    modules import them, and Onca's platform modules are installed.
    """
    install_platform_modules()
    contents: list[ContentSet] = [load_content(path, filters=[_POLICIES_ONLY]) for path in paths]
    problems = [problem for content in contents for problem in content.problems]
    helpers: dict[str, Path] = {}
    for content in contents:
        helpers.update(global_helper_files(content))
    install_global_helpers(helpers)
    policies: list[Detection] = []
    seen: dict[str, Path] = {}
    with _no_bytecode():
        for content in contents:
            by_id = content.by_id()
            for item in content.of_kind("policy"):
                if not include_disabled and not item.enabled:
                    continue
                if item.id in seen:
                    problems.append(
                        ContentProblem(item.path, f"duplicate id {item.id!r} (also defined in {seen[item.id]})",
                                       item.id)
                    )
                    continue
                try:
                    policies.append(build_detection(item, by_id))
                except BuildError as exc:
                    problems.append(ContentProblem(exc.path or item.path, exc.message, item.id))
                    continue
                seen[item.id] = item.path
    return policies, problems
