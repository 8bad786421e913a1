"""One Onca server: the metadata store, the ingest service (spool, pipeline, lake, detection, delivery), the
audit log and metrics, built from a ServerConfig and started and stopped as a whole."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from onca.alerts.config import DestinationSet, load_destinations, parse_destinations
from onca.alerts.managed import ManagedDestinations
from onca.api.audit import AuditLog
from onca.api.bulk_upload import UploadReceipts
from onca.api.retention import RetentionSettings
from onca.api.detections import ContentCatalog
from onca.detect.content import ContentItem, ContentProblem
from onca.detect.content.managed import ManagedContent
from onca.enrich import (
    LookupService,
    TableChanges,
    TableProblem,
    config_definitions,
    load_data_file,
    load_stored,
)
from onca.lake.jobs import QueryJobs
from onca.lake.retention import apply_retention
from onca.runtime.demo import DemoFeeder, example_detections
from onca.runtime.detection_setup import reload_detection
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
RELOAD_TIMEOUT_SECONDS = 900.0
LOOKUP_TABLES_FILE = "lookup-tables.sqlite3"  # lookup tables shared with detection workers (onca.enrich)


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

    @property
    def content(self) -> Path:
        """Detections, data models and globals written through the API or uploaded."""
        return self.data_dir / "content"

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
        configured = _destinations(config)
        self.store = open_store(self.store_url)
        self.managed = ManagedContent(self.paths.content)
        self.uploads = UploadReceipts()
        self.retention = RetentionSettings(config.retention, self.paths.state / "retention.json")
        self._content_lock = threading.Lock()
        try:
            # one live set, shared by the API, routing and delivery: API changes reach the next alert
            self.managed_destinations = ManagedDestinations(self.store, configured)
            self.destinations = self.managed_destinations.destinations
            self._load_api_destinations()
            self._load_custom_schemas()
            self.lookups = self._open_lookup_tables()
            self.lookup_changes = TableChanges(self.lookups, self.store)  # the API's changes: store, then live
            self.service = IngestService(self.registry, self.paths.lake, self.paths.spool,
                                         detection=self._detection_settings(), commit_seconds=config.commit_seconds,
                                         enrichment=self.lookups)
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

    def _open_lookup_tables(self) -> LookupService:
        """Lookup tables of the content trees, the config file and the store, in that order; a name taken by
        an earlier one is reported and left out. A config table whose file cannot be read stops the start."""
        lookups = LookupService(self.registry, lake_root=self.paths.lake,
                                shared_file=self.paths.state / LOOKUP_TABLES_FILE)
        problems = lookups.load_content(self.content_paths())
        for definition in config_definitions(self.config.lookup_tables):
            unknown = [a.log_type for a in definition.settings.associated_log_types if a.log_type not in self.registry]
            if unknown:
                raise ValueError(f"lookupTables: {definition.name}: unknown log types: {', '.join(unknown)}")
            table = load_data_file(definition, registry=self.registry)  # DataError: a ValueError naming the file
            problems += lookups.add_new(definition, lambda table=table: table)
        problems += load_stored(lookups, self.store)
        self.report_lookup_problems(problems)
        return lookups

    def report_lookup_problems(self, problems: list[TableProblem]) -> None:
        for problem in problems:
            log.warning("%s", problem)
            self.store.system_errors.report("lookup_table", problem.subject, problem.message, at=datetime.now(UTC))

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

    def _load_api_destinations(self) -> None:
        """Destinations created through the API; one that can no longer be used is reported and left out."""
        for destination_id, problem in self.managed_destinations.load():
            log.error("%s", problem)
            self.store.system_errors.report("destination", destination_id, problem, at=datetime.now(UTC))

    def content_paths(self) -> tuple[Path, ...]:
        """The configured trees, then the managed one (last: configured items are never shadowed)."""
        paths = tuple(self.config.detections)
        if self.config.demo:
            paths = (*paths, example_detections())
        return (*paths, self.paths.content)

    def configured_tree(self, item_id: str) -> Path | None:
        """The configured tree that defines ``item_id``, if one does: such items change there, not here."""
        for tree in self.content.sets:
            if tree.root.resolve() != self.paths.content.resolve() and any(i.id == item_id for i in tree.all_items):
                return tree.root
        return None

    def managed_items(self) -> dict[str, ContentItem]:
        """The managed tree's items by id, as last loaded (the catalog is read again after every change)."""
        root = self.paths.content.resolve()
        return {item.id: item for tree in self.content.sets if tree.root.resolve() == root
                for item in tree.all_items}

    @contextmanager
    def changing_content(self) -> Iterator[None]:
        """Hold while changing the managed tree and reloading: one change at a time."""
        with self._content_lock:
            yield

    def reload_content(self) -> list[ContentProblem]:
        """Read every content tree again and run it; returns what could not be loaded."""
        self.content = ContentCatalog(list(self.content_paths()))
        self.report_lookup_problems(self.lookups.load_content(self.content_paths()))
        problems = [ContentProblem(Path(p.path), p.message, p.item_id) for s in self.content.sets
                    for p in s.problems]
        setup = self.service.detection
        if setup is None:
            return problems
        paths = self.content_paths()
        loaded = self.service.between_payloads(lambda: reload_detection(setup, paths),
                                               timeout=RELOAD_TIMEOUT_SECONDS)
        seen = {(str(p.path), p.message) for p in problems}
        return problems + [p for p in loaded if (str(p.path), p.message) not in seen]

    def _detection_settings(self) -> DetectionSettings:
        config = self.config
        kv = config.kv or f"sqlite:///{self.paths.state / 'detection-kv.sqlite3'}"
        return DetectionSettings(content=self.content_paths(), store_url=self.store_url, kv_url=kv,
                                 destination_set=self.destinations, workers=config.detection_workers,
                                 timeout_seconds=config.rule_timeout, reloadable=True,
                                 lookup_file=self.lookups.shared_path)

    def _lake_connection(self, database: str):  # noqa: ANN202 - a DuckDB connection
        return open_lake(self.paths.lake, self.registry).connect(database=database)

    def start(self) -> None:
        if not self._started:
            self._started = True
            self.service.start()
            if self.demo is not None:
                self.demo.start()
            self._retention = threading.Thread(target=self._keep_retention, name="onca-retention", daemon=True)
            self._retention.start()

    def _keep_retention(self) -> None:
        while True:
            try:
                removed = apply_retention(self.paths.lake, self.retention.effective())
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
