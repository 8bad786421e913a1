"""What live detection is configured with; plain data, cheap to import."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class DetectionSettings:
    content: tuple[Path, ...]
    store_url: str
    kv_url: str | None = None
    destinations_file: Path | None = None
    destination_set: Any = None  # an onca.alerts.config.DestinationSet already built; wins over the file
    workers: int = 1
    timeout_seconds: float = 5.0
    use_index: bool = True
    storm_limit: int = 1000
    console_url: str = ""
    # The file where lookup tables are shared with detection workers, for event.lookup (onca.enrich)
    lookup_file: Path | None = None
    reloadable: bool = False  # content can be reloaded while the process runs threads (the server)
