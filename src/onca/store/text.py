"""Text helpers shared by the repositories: case-insensitive keys and LIKE patterns."""

from __future__ import annotations


def name_key(text: str) -> str:
    """The form a name or email is compared in: trimmed and case-folded, so "Ana@X.io" is "ana@x.io"."""
    return text.strip().casefold()


def escape_like(text: str) -> str:
    """`text` with LIKE's wildcards escaped (use with escape="\\")."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
