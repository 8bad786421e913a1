"""Content trees as zip archives: what ``onca upload`` sends and the server unpacks (Panther's bulk upload).

Unpacking refuses what could escape the target or exhaust the disk: absolute paths, ``..``, links, more than
``MAX_FILES`` files or ``MAX_UNPACKED_BYTES`` in all.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path, PurePosixPath

MAX_FILES = 20_000
MAX_UNPACKED_BYTES = 256 << 20
# What a content tree holds: specs, their Python, lookup table data.
CONTENT_SUFFIXES = {".yml", ".yaml", ".py", ".csv", ".jsonl", ".json"}
_SKIPPED_DIRS = {"__pycache__", "node_modules", ".git"}


class ArchiveError(ValueError):
    """The archive cannot be used; the message says why."""


def pack_tree(root: Path) -> bytes:
    """A zip of the content files under ``root`` (hidden and cache directories left out)."""
    if not root.is_dir():
        raise ArchiveError(f"{root} is not a directory")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for folder, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIPPED_DIRS)
            for name in sorted(filenames):
                path = Path(folder) / name
                if not name.startswith(".") and path.suffix in CONTENT_SUFFIXES:
                    archive.write(path, path.relative_to(root).as_posix())
    return buffer.getvalue()


def unpack(data: bytes, target: Path) -> int:
    """Unpack the zip in ``data`` under ``target``; returns the number of files."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ArchiveError(f"not a zip archive ({exc})") from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) > MAX_FILES:
            raise ArchiveError(f"the archive holds {len(members)} files; at most {MAX_FILES} are accepted")
        if sum(info.file_size for info in members) > MAX_UNPACKED_BYTES:
            raise ArchiveError(f"the archive unpacks to more than {MAX_UNPACKED_BYTES >> 20} MiB")
        for info in members:
            relative = _safe_path(info)
            path = target.joinpath(*relative.parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                path.write_bytes(archive.read(info))
            except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
                raise ArchiveError(f"{info.filename}: cannot be read ({exc})") from None
    return len(members)


def _safe_path(info: zipfile.ZipInfo) -> PurePosixPath:
    path = PurePosixPath(info.filename.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ArchiveError(f"{info.filename}: a path outside the archive's folder")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise ArchiveError(f"{info.filename}: links are not accepted")
    return path
