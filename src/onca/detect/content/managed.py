"""The content tree a server manages itself: detections, data models, globals and the rest written through
its API or uploaded in bulk, kept on disk as an ordinary panther-analysis tree (YAML beside Python).

Every change is checked before it lands: the spec must validate, the Python must compile. Files are
replaced atomically, so a reader (the engine reloading, ``onca test``) sees the old item or the new one.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from onca.detect.content.load import load_content
from onca.detect.content.model import ContentItem, ContentProblem

# Where each kind of item lives in the tree (where content discovery looks for it).
FOLDERS = {
    "rule": "rules", "scheduled_rule": "rules", "policy": "policies", "correlation_rule": "correlation_rules",
    "datamodel": "data_models", "global": "global_helpers", "lookup_table": "lookup_tables",
    "scheduled_query": "queries", "saved_query": "queries", "pack": "packs",
}
# Files an item may point at, besides its YAML: its Python, or a lookup table's data.
_REFERENCED_KEYS = ("Filename",)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class ContentRejected(ValueError):
    """The change was refused; ``problems`` say what is wrong, each naming its file and key."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class UploadCount:
    new: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.new) + len(self.modified) + len(self.unchanged)


def file_stem(item_id: str) -> str:
    """A file name for an id: the id itself when it is safe, else a cleaned form made unique by a hash."""
    stem = _UNSAFE.sub("_", item_id).lstrip(".") or "item"
    if stem != item_id:
        stem = f"{stem}-{hashlib.sha1(item_id.encode()).hexdigest()[:8]}"
    return stem


class ManagedContent:
    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def items(self) -> dict[str, ContentItem]:
        return {item.id: item for item in load_content(self.root).all_items}

    # One item
    def put(self, spec: Mapping[str, Any], code: str | None = None, *,
            current: Mapping[str, ContentItem] | None = None) -> bool:
        """Write one item (its Python in ``code``, when it has any); True if it is new. ``current``: the
        tree's items by id when the caller has them already read."""
        spec = dict(spec)
        kind = str(spec.get("AnalysisType", ""))
        if kind not in FOLDERS:
            raise ContentRejected([f"AnalysisType: {kind!r} is not a kind of content this server keeps"])
        item_id = _id_of(spec)
        stem = file_stem(item_id)
        if code is not None:
            _check_python(code, item_id)
            spec["Filename"] = f"{stem}.py"
        files = {f"{FOLDERS[kind]}/{stem}.yml": _dump(spec)}
        if code is not None:
            files[f"{FOLDERS[kind]}/{stem}.py"] = code
        existing = (self.items() if current is None else current).get(item_id)
        with self._staged(files) as staged:
            _check_tree(staged, item_id)
            if existing is not None:
                self._remove(existing)
            self._land(staged, files)
        return existing is None

    def delete(self, item_id: str, *, current: Mapping[str, ContentItem] | None = None) -> bool:
        item = (self.items() if current is None else current).get(item_id)
        if item is None:
            return False
        self._remove(item)
        return True

    def snapshot(self, item_id: str, *, current: Mapping[str, ContentItem] | None = None) -> dict[str, bytes]:
        """The files of one item, to put back if a change must be undone."""
        item = (self.items() if current is None else current).get(item_id)
        if item is None:
            return {}
        return {str(path.relative_to(self.root)): path.read_bytes() for path in _files_of(item) if path.is_file()}

    def restore(self, item_id: str, files: Mapping[str, bytes]) -> None:
        item = self.items().get(item_id)
        if item is not None:
            self._remove(item)
        for relative, data in files.items():
            _write_atomically(self.root / relative, data)

    @contextmanager
    def all_or_nothing(self) -> Iterator[None]:
        """Changes made inside the block are undone, all of them, if it raises."""
        backup = self._staging_dir() / "tree"
        shutil.copytree(self.root, backup)
        try:
            yield
        except BaseException:
            discarded = backup.parent / "discarded"
            os.rename(self.root, discarded)
            os.rename(backup, self.root)
            raise
        finally:
            shutil.rmtree(backup.parent, ignore_errors=True)

    # A whole tree (bulk upload)
    def import_tree(self, source: Path, *, refuse_ids: Mapping[str, str] | None = None) -> dict[str, UploadCount]:
        """Copy every item of the tree at ``source`` in, replacing items with the same id; counts by kind.
        Nothing is written unless the whole tree is valid and none of its ids is in ``refuse_ids``
        (id -> why it cannot be changed here)."""
        tree = load_content(source)
        problems = [str(problem) for problem in tree.problems]
        refuse_ids = refuse_ids or {}
        problems += [f"{item.path.relative_to(source)}: {item.id}: {refuse_ids[item.id]}"
                     for item in tree.all_items if item.id in refuse_ids]
        if problems:
            raise ContentRejected(problems)
        current = self.items()
        counts: dict[str, UploadCount] = {}
        writes: list[tuple[ContentItem, dict[str, bytes]]] = []
        for item in tree.all_items:
            files = self._files_for(item)
            count = counts.setdefault(item.kind, UploadCount())
            old = current.get(item.id)
            if old is None:
                count.new.append(item.id)
            elif _same_files(self.root, files):
                count.unchanged.append(item.id)
                continue
            else:
                count.modified.append(item.id)
            writes.append((item, files))
        for item, files in writes:
            old = current.get(item.id)
            if old is not None:
                self._remove(old)
            for relative, data in files.items():
                _write_atomically(self.root / relative, data)
        return counts

    def _files_for(self, item: ContentItem) -> dict[str, bytes]:
        """The item's files under their managed names, its YAML pointing at them."""
        spec = dict(item.raw)
        stem = file_stem(item.id)
        folder = FOLDERS[item.kind]
        files: dict[str, bytes] = {}
        for key in _REFERENCED_KEYS:
            name = spec.get(key)
            if isinstance(name, str):
                source = item.path.parent / name
                target = f"{stem}{Path(name).suffix}"
                files[f"{folder}/{target}"] = source.read_bytes()
                spec[key] = target
        files[f"{folder}/{stem}.yml"] = _dump(spec).encode()
        return files

    # Files
    def _staging_dir(self) -> Path:
        # Beside the tree, not in it: discovery would find the tree's helpers twice. Same file system, so
        # files move into place atomically.
        parent = self.root.parent / f".{self.root.name}-staging"
        parent.mkdir(exist_ok=True)
        return Path(tempfile.mkdtemp(dir=parent))

    @contextmanager
    def _staged(self, files: Mapping[str, str]) -> Iterator[Path]:
        staging = self._staging_dir()
        try:
            for relative, text in files.items():
                path = staging / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            yield staging
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _land(self, staged: Path, files: Mapping[str, str]) -> None:
        # The YAML last: until it lands, the new Python is not referenced by anything.
        for relative in sorted(files, key=lambda name: name.endswith(".yml")):
            target = self.root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged / relative, target)

    def _remove(self, item: ContentItem) -> None:
        for path in _files_of(item):
            if path.is_relative_to(self.root):
                path.unlink(missing_ok=True)


def _id_of(spec: Mapping[str, Any]) -> str:
    from onca.detect.content.specs import spec_id

    item_id = spec_id(spec)
    if not item_id:
        raise ContentRejected(["the item has no id"])
    return item_id


def _check_python(code: str, item_id: str) -> None:
    try:
        compile(code, f"{item_id}.py", "exec")
    except SyntaxError as exc:
        raise ContentRejected([f"body: line {exc.lineno}: {exc.msg}"]) from None
    except ValueError as exc:  # NUL bytes
        raise ContentRejected([f"body: {exc}"]) from None


def _check_tree(root: Path, item_id: str) -> None:
    tree = load_content(root)
    problems = [_relative(problem, root) for problem in tree.problems]
    if problems:
        raise ContentRejected(problems)
    if item_id not in {item.id for item in tree.all_items}:
        raise ContentRejected([f"{item_id}: the item was not recognised as content"])


def _relative(problem: ContentProblem, root: Path) -> str:
    try:
        where = problem.path.relative_to(root).name
    except ValueError:
        where = problem.path.name
    return f"{where}: {problem.message}"


def _files_of(item: ContentItem) -> list[Path]:
    paths = [item.path]
    for key in _REFERENCED_KEYS:
        name = item.raw.get(key)
        if isinstance(name, str):
            paths.append(item.path.parent / name)
    return paths


def _same_files(root: Path, files: Mapping[str, bytes]) -> bool:
    for relative, data in files.items():
        path = root / relative
        if not path.is_file() or path.read_bytes() != data:
            return False
    return True


def _dump(spec: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(spec), sort_keys=False, allow_unicode=True)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
