"""Opening a store: URLs, the schema the migrations create, and re-opening."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from onca.alerts import model
from onca.store import ALERT_SEVERITIES, ALERT_STATUSES, ALERT_TYPES, StoreError, open_store
from onca.store.migrate import current_revision, head_revision
from onca.store.models import Base
from tests_store_helpers import sample_alert


def test_store_schema_matches_the_models(store):
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    assert current_revision(store.engine) == head_revision()


def test_store_reopen_keeps_data_and_does_not_migrate_again(store_url):
    with open_store(store_url) as first:
        first.alerts.create(sample_alert())
    with open_store(store_url) as again:
        assert len(again.alerts.list()[0]) == 1
        assert current_revision(again.engine) == head_revision()


def test_store_sqlite_creates_its_folder(tmp_path: Path):
    path = tmp_path / "deep" / "er" / "onca.db"
    with open_store(f"sqlite:///{path}") as store:
        assert store.dialect == "sqlite"
    assert path.exists()


def test_store_in_memory_sqlite_works():
    with open_store("sqlite://") as store:
        created = store.alerts.create(sample_alert())
        assert store.get_alert(created.id) == created


@pytest.mark.parametrize("url, message", [
    ("mysql://root@localhost/onca", "unsupported store URL"),
    ("not a url", "is not a database URL"),
    ("postgresql+psycopg2://u@h/db", "psycopg 3"),
])
def test_store_bad_url_names_it(url, message):
    with pytest.raises(StoreError, match=message) as caught:
        open_store(url)
    assert url in str(caught.value)


def test_store_postgres_spellings_and_hidden_password():
    from onca.store.engine import make_store_engine, normalize_url

    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    engine = make_store_engine("postgresql://onca:s3cret@127.0.0.1:5432/onca")
    try:
        assert "s3cret" not in repr(engine.url.render_as_string(hide_password=True))
    finally:
        engine.dispose()


def test_store_values_mirror_the_alert_model():
    assert ALERT_STATUSES == model.STATUSES
    assert ALERT_TYPES == model.ALERT_TYPES
    assert ALERT_SEVERITIES == model.SEVERITIES


def test_store_imports_nothing_else_from_onca():
    root = Path(__file__).resolve().parents[2] / "src" / "onca" / "store"
    for path in root.rglob("*.py"):
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith(("import onca", "from onca")):
                assert stripped.startswith(("from onca.store", "import onca.store")), f"{path}: {stripped}"


def test_store_sqlite_opens_while_another_connection_holds_the_file(tmp_path: Path):
    import sqlite3
    import threading

    path = tmp_path / "onca.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    # Another process creating the same new store: it holds the write lock of a file not yet in WAL mode, and
    # switching to WAL then fails at once instead of waiting.
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("CREATE TABLE being_created (a)")
    release = threading.Timer(0.5, holder.execute, args=("COMMIT",))
    release.start()
    try:
        with open_store(f"sqlite:///{path}") as store:
            assert store.alerts.list() == ([], None)
    finally:
        release.join()
        holder.close()
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    check.close()
