"""Where things live in the lake: databases, table names, hourly Hive partitions and data file names.

    <root>/<database>/<table>/year=YYYY/month=MM/day=DD/hour=HH/<YYYYMMDDTHHMMSSZ>-<uuid>.parquet

A file is visible to readers only under its final name; while it is being written it carries a dot-prefixed
temporary name ending in `.tmp`, which no `*.parquet` glob matches.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

LOGS = "panther_logs"
RULE_MATCHES = "panther_rule_matches"
SIGNALS = "panther_signals"
RULE_ERRORS = "panther_rule_errors"
CLOUDSECURITY = "panther_cloudsecurity"
LOOKUPS = "panther_lookups"
VIEWS = "panther_views"
SYSTEM = "onca_system"
DATABASES = (LOGS, RULE_MATCHES, SIGNALS, RULE_ERRORS, CLOUDSECURITY, LOOKUPS, VIEWS, SYSTEM)

CLASSIFICATION_FAILURES = "classification_failures"
PARTITION_KEYS = ("year", "month", "day", "hour")
DATA_SUFFIX = ".parquet"
DATA_GLOB = "**/*" + DATA_SUFFIX
TEMP_SUFFIX = ".tmp"

# Names become directories and SQL identifiers: lower case so DuckDB's case-insensitive names never collide,
# and nothing that could climb out of the lake or hide a file.
_NAME = re.compile(r"[a-z0-9_][a-z0-9_\-]*")


class InvalidName(ValueError):
    pass


def table_name(log_type: str) -> str:
    """The lake table of a log type: AWS.CloudTrail -> aws_cloudtrail."""
    return log_type.lower().replace(".", "_")


def check_name(kind: str, name: str) -> str:
    """`name` if it can be a database or table name, else InvalidName saying which and why."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidName(f"invalid lake {kind} name {name!r}: use lower-case letters, digits, '_' and '-'")
    return name


def table_dir(root: Path, database: str, table: str) -> Path:
    return root / database / table


def hour_of(moment: datetime) -> datetime:
    """The start of the UTC hour holding `moment` (a naive datetime is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def partition_dir(root: Path, database: str, table: str, hour: datetime) -> Path:
    hour = hour_of(hour)
    return (table_dir(root, database, table) / f"year={hour.year:04d}" / f"month={hour.month:02d}"
            / f"day={hour.day:02d}" / f"hour={hour.hour:02d}")


def data_file_name(written_at: datetime | None = None) -> str:
    """A new, unique data file name: the write time in UTC, then a random UUID."""
    moment = (written_at or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{uuid.uuid4()}{DATA_SUFFIX}"


def temp_name(final_name: str) -> str:
    """The name a data file is written under before it is renamed into place."""
    return f".{final_name}{TEMP_SUFFIX}"


def is_data_file(name: str) -> bool:
    return name.endswith(DATA_SUFFIX) and not name.startswith(".")
