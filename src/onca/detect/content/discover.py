"""Find the YAML files of a content tree laid out as panther-analysis is.

From a content root, only directories whose path looks like content are walked (``*rules*``,
``*policies*``, ``*queries*``, ``*data_models*``, ``*/global_helpers``, ``*lookup_tables*``,
``*/packs``), so templates and tooling beside them are left alone. Pointed at a directory that
is itself content (``rules/aws_rules``), everything below it is walked. Global helpers and data
models are always found too, in the tree, next to it, or in the working directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

CONTENT_DIR_PATTERNS = (
    "*data_models*",
    "*/global_helpers",
    "*lookup_tables*",
    "*rules*",
    "*/packs",
    "*policies*",
    "*queries*",
)
HELPER_DIRS = ("global_helpers", "data_models")
_ALWAYS_SKIPPED = {"__pycache__", "node_modules"}


def _is_content_dir(relative: str) -> bool:
    return any(fnmatch(relative, pattern) for pattern in CONTENT_DIR_PATTERNS)


def _walk(root: Path, *, filter_dirs: bool) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _ALWAYS_SKIPPED)
        current = Path(dirpath)
        if filter_dirs and current != root and not _is_content_dir("./" + current.relative_to(root).as_posix()):
            continue
        for name in sorted(filenames):
            if not name.startswith(".") and fnmatch(name, "*.y*ml"):
                yield current / name


def search_roots(path: Path, cwd: Path | None = None) -> list[Path]:
    """The directories to walk for ``path``: itself, then the helper directories that apply."""
    roots = [path]
    bases = [path, path.parent, cwd or Path.cwd()]
    for base in bases:
        for helper in HELPER_DIRS:
            candidate = base / helper
            if candidate.is_dir() and candidate not in roots:
                roots.append(candidate)
    return roots


def discover_yaml_files(path: str | Path, cwd: Path | None = None) -> list[Path]:
    """Every YAML file of the content at ``path`` (a directory or one file), each once, in walk order."""
    start = Path(path).resolve()
    if start.is_file():
        files = [start]
        roots = search_roots(start.parent, cwd)[1:]
    else:
        files = []
        roots = search_roots(start, cwd)
    seen = {f for f in files}
    for index, root in enumerate(roots):
        # A content root is filtered by pattern; a directory that is itself content is walked whole.
        filter_dirs = index == 0 and not _is_content_dir("./" + root.name)
        for file in _walk(root.resolve(), filter_dirs=filter_dirs):
            if file not in seen:
                seen.add(file)
                files.append(file)
    return files
