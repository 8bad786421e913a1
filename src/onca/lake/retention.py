"""Retention: hour partitions older than a database's retention period are deleted, whole.

A partition goes once its last hour ends before the cutoff, so nothing younger than the period is ever removed.
Folders left empty (day, month, year) go with it.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from onca.lake.layout import check_name

_PARTITION = re.compile(r"^year=(\d{4})/month=(\d{2})/day=(\d{2})/hour=(\d{2})$")


def expired_partitions(root: Path, database: str, days: int, now: datetime) -> Iterator[Path]:
    if days < 1:
        raise ValueError(f"retention for {database} must be at least 1 day, not {days}")
    cutoff = now.astimezone(UTC) - timedelta(days=days)
    base = Path(root) / check_name("database", database)
    for hour_dir in sorted(base.glob("*/year=*/month=*/day=*/hour=*")):
        match = _PARTITION.match("/".join(hour_dir.parts[-4:]))
        if match is None or not hour_dir.is_dir():
            continue
        year, month, day, hour = (int(g) for g in match.groups())
        try:
            start = datetime(year, month, day, hour, tzinfo=UTC)
        except ValueError:
            continue  # not a partition Onca wrote
        if start + timedelta(hours=1) <= cutoff:
            yield hour_dir


def apply_retention(root: Path, days_by_database: Mapping[str, int], *, now: datetime | None = None) -> list[Path]:
    """Delete expired partitions; returns the partition folders removed."""
    now = now or datetime.now(UTC)
    removed = []
    for database, days in sorted(days_by_database.items()):
        for partition in list(expired_partitions(root, database, days, now)):
            shutil.rmtree(partition)
            removed.append(partition)
            _prune_empty(partition.parent, stop=Path(root) / database)
    return removed


def _prune_empty(folder: Path, *, stop: Path) -> None:
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
