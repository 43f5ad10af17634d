"""Opening the applications store.

The URL comes from ASBCR_DATABASE_URL (CONTRACT.md, Environment); without it the store
is the SQLite file var/applications.db. The first time a process opens a URL the
Alembic migrations are brought to head, so there is never a manual setup step; staff
can also run them (and see where a database stands) with `asbcr applications migrate`.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, Optional

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from groundwork.paths import var_dir

from .errors import CaseworkError, StoreUnavailable

ENV_URL = "ASBCR_DATABASE_URL"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any fixed 64-bit number: serialises concurrent first-time upgrades on PostgreSQL.
_PG_MIGRATION_LOCK = 0x41534243_52000001

_engines: Dict[str, Engine] = {}
_engines_lock = threading.Lock()


def database_url() -> str:
    url = os.environ.get(ENV_URL, "").strip()
    return url or f"sqlite:///{var_dir() / 'applications.db'}"


def get_engine(url: Optional[str] = None) -> Engine:
    """The engine for `url` (default: the configured store), migrated to head."""
    url = url or database_url()
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _build_engine(url)
            try:
                upgrade(engine)
            except OperationalError as error:
                engine.dispose()
                raise StoreUnavailable(
                    f"cannot open the applications database ({_safe_url(engine)}): {_first_line(error.orig)}"
                ) from None
            _engines[url] = engine
    return engine


def open_without_upgrade(url: Optional[str] = None) -> Engine:
    """An engine that leaves the schema alone (for `migrate --status`); dispose it after use."""
    return _build_engine(url or database_url())


def dispose_all() -> None:
    """Close every pooled connection (tests, and before dropping a database)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def _build_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise CaseworkError(f"{ENV_URL} is not a database URL") from None
    # hide_parameters: SQL logging and error messages would otherwise carry names,
    # emails and addresses (issue: logs never contain personal data).
    options = dict(future=True, hide_parameters=True)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        in_memory = database in ("", ":memory:")
        if not in_memory:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        options["connect_args"] = {"timeout": 30, "check_same_thread": False}
        if in_memory:
            options["poolclass"] = StaticPool
        engine = create_engine(url, **options)
        _sqlite_transactions(engine, wal=not in_memory)
        return engine
    options["pool_pre_ping"] = True
    try:
        return create_engine(url, **options)
    except Exception as error:  # e.g. a missing driver for an unknown dialect
        raise CaseworkError(f"cannot use {ENV_URL}: {_first_line(error)}") from None


def _sqlite_transactions(engine: Engine, *, wal: bool) -> None:
    """Let SQLAlchemy, not pysqlite, decide when transactions begin.

    Writers start with BEGIN IMMEDIATE so that two concurrent writers queue on the
    busy timeout instead of one failing with "database is locked" when it upgrades a
    read lock; readers use a plain deferred BEGIN and never block each other.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        if wal:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get("casework_write"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


@contextmanager
def transaction(*, write: bool = True) -> Iterator[Session]:
    """One database transaction: committed when the block ends, rolled back on error."""
    engine = get_engine()
    with engine.connect() as connection:
        if write:
            connection.execution_options(casework_write=True)
        with Session(bind=connection, future=True, expire_on_commit=False) as session:
            with session.begin():
                yield session


# --- migrations -------------------------------------------------------------------


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config()
    with engine.connect() as connection:
        connection.execution_options(casework_write=True)
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
            config.attributes["connection"] = connection
            command.upgrade(config, revision)


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Optional[Engine] = None) -> Optional[str]:
    engine = engine or get_engine()
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except OperationalError as error:
        raise StoreUnavailable(
            f"cannot open the applications database ({_safe_url(engine)}): {_first_line(error.orig)}"
        ) from None


def describe(engine: Optional[Engine] = None) -> str:
    """Where the store is, without its password."""
    return _safe_url(engine or get_engine())


def _safe_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
