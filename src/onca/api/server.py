"""One Onca server: the metadata store, the ingest service (spool, pipeline, lake, detection, delivery), the
audit log and metrics, built from a ServerConfig and started and stopped as a whole."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from onca.alerts.config import DestinationSet, load_destinations, parse_destinations
from onca.api.audit import AuditLog
from onca.api.detections import ContentCatalog
from onca.lake.jobs import QueryJobs
from onca.lake.retention import apply_retention
from onca.runtime.demo import DemoFeeder, example_detections
from onca.runtime.http_sources import HttpSource
from onca.runtime.lake_access import open_lake
from onca.runtime.server_config import ServerConfig
from onca.runtime.service import IngestService
from onca.runtime.settings import DetectionSettings
from onca.schema import Registry, SchemaError, load_schemas
from onca.store import open_store

log = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path("onca-data")
RETENTION_INTERVAL_SECONDS = 3600.0


@dataclass(frozen=True)
class Paths:
    data_dir: Path

    @property
    def lake(self) -> Path:
        return self.data_dir / "lake"

    @property
    def spool(self) -> Path:
        return self.data_dir / "spool"

    @property
    def state(self) -> Path:
        return self.data_dir / "state"

    def store_url(self, configured: str | None) -> str:
        return configured or f"sqlite:///{self.data_dir / 'onca.db'}"


class OncaServer:
    """Build it before the process starts any thread: detection forks its worker processes here."""

    def __init__(self, config: ServerConfig, *, data_dir: Path | None = None, registry: Registry | None = None):
        self.config = config
        self.paths = Paths(Path(data_dir or config.data_dir or DEFAULT_DATA_DIR))
        self.paths.state.mkdir(parents=True, exist_ok=True)
        self.registry = registry or _registry(config)
        self.store_url = self.paths.store_url(config.store)
        self.destinations = _destinations(config)
        self.store = open_store(self.store_url)
        try:
            self._load_custom_schemas()
            self.service = IngestService(self.registry, self.paths.lake, self.paths.spool,
                                         detection=self._detection_settings(), commit_seconds=config.commit_seconds)
            self.service.set_sources(config.sources.http)
            self._load_api_sources()
            self.audit = AuditLog(self.service)
            self.demo = DemoFeeder(self.service) if config.demo else None
            self.queries = QueryJobs(self._lake_connection)
            self.content = ContentCatalog(list(self.content_paths()))
        except BaseException:
            self.store.close()
            raise
        self._started = False
        self._stopping = threading.Event()
        self._retention: threading.Thread | None = None

    def _load_custom_schemas(self) -> None:
        """Schemas created through the API join the registry before anything uses it."""
        for record in self.store.custom_schemas.list():
            try:
                for schema in load_schemas(record.spec, source=f"custom schema {record.name}"):
                    self.registry.add(schema, replace=True)
            except SchemaError as exc:
                log.error("%s", exc)
                self.store.system_errors.report("custom_schema", record.name, str(exc), at=datetime.now(UTC))

    def _load_api_sources(self) -> None:
        """Sources created through the API; one that no longer validates (a log type gone) is reported and
        left out rather than stopping the server."""
        for record in self.store.log_sources.list(kind="http"):
            if self.config.source(record.id) is not None:
                log.warning("log source %s is in the config file and the store; the config file wins", record.id)
                continue
            try:
                self.service.add_source(HttpSource.model_validate(record.settings))
            except ValueError as exc:
                log.error("log source %s cannot be used: %s", record.id, exc)
                self.store.system_errors.report("log_source", record.id, f"cannot be used: {exc}",
                                                at=datetime.now(UTC))

    def content_paths(self) -> tuple[Path, ...]:
        paths = tuple(self.config.detections)
        return (*paths, example_detections()) if self.config.demo else paths

    def _detection_settings(self) -> DetectionSettings | None:
        config = self.config
        content = self.content_paths()
        if not content:
            return None
        kv = config.kv or f"sqlite:///{self.paths.state / 'detection-kv.sqlite3'}"
        return DetectionSettings(content=content, store_url=self.store_url, kv_url=kv,
                                 destination_set=self.destinations, workers=config.detection_workers,
                                 timeout_seconds=config.rule_timeout)

    def _lake_connection(self, database: str):  # noqa: ANN202 - a DuckDB connection
        return open_lake(self.paths.lake, self.registry).connect(database=database)

    def start(self) -> None:
        if not self._started:
            self._started = True
            self.service.start()
            if self.demo is not None:
                self.demo.start()
            if self.config.retention:
                self._retention = threading.Thread(target=self._keep_retention, name="onca-retention", daemon=True)
                self._retention.start()

    def _keep_retention(self) -> None:
        while True:
            try:
                removed = apply_retention(self.paths.lake, self.config.retention)
                if removed:
                    log.info("retention removed %d partitions", len(removed))
            except (OSError, ValueError):
                log.exception("retention failed")
            if self._stopping.wait(RETENTION_INTERVAL_SECONDS):
                return

    def stop(self) -> bool:
        """Ingest and commit everything accepted, finish deliveries; True if nothing was left behind."""
        self._stopping.set()
        if self.demo is not None:
            self.demo.stop()
        self.queries.close()
        try:
            return self.service.stop()
        finally:
            self.store.close()


def _destinations(config: ServerConfig) -> DestinationSet:
    if config.destinations:
        return parse_destinations(config.destinations, source="config destinations")
    if config.destinations_file:
        return load_destinations(config.destinations_file)
    return DestinationSet()


def _registry(config: ServerConfig) -> Registry:
    registry = Registry.builtin()
    for path in config.schemas:
        registry.add_file(path, replace=True)
    return registry
