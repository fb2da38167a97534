"""Database helpers: engines, sessions, migrations and the tables every service shares.

Each service owns its own database and its own ``Base``; the mixins here give every service
the same outbox, processed-event and API-token tables without a service ever reading another
service's tables.

SQLite is the default store. Writers there use ``BEGIN IMMEDIATE`` so that two processes
(an API worker and a consumer, say) queue on the write lock instead of failing with
"database is locked" when a read transaction tries to upgrade; read-only work goes through
:meth:`Database.read_session`, which keeps SQLite's deferred begin so readers never wait.

Before that, :meth:`Database.session` takes an exclusive ``flock`` on a lock file beside the
database (and a thread lock for the threads of one process). SQLite's own busy handler waits
for a held write lock by sleeping and retrying, 1, 2, 5 ... 100 ms at a time, so under many
concurrent writers most of a transaction's time went into sleeping; the kernel wakes a
``flock`` waiter the moment the holder lets go. The kernel also drops the lock of a process
that dies, so a killed writer never leaves it held.
"""
from __future__ import annotations

import fcntl
import functools
import os
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from sqlalchemy import DateTime, Integer, String, Text, bindparam, create_engine, event, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes on every backend (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Database:
    """One engine and its session factories; made by a service factory, never at import."""

    def __init__(self, url: str, echo: bool = False):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            engine = create_engine(url, echo=echo, connect_args={"timeout": 30, "isolation_level": None})
            _configure_sqlite(engine)
        else:
            engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=10)
        self.engine: Engine = engine
        self._writer_lock = _WriterLock(engine.url.database) if self.is_sqlite and _on_disk(engine) else None
        self._write = sessionmaker(bind=engine, expire_on_commit=False)
        self._read = sessionmaker(
            bind=engine.execution_options(sqlite_deferred=True), expire_on_commit=False
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on any exception."""
        if self._writer_lock is None:
            with self._write() as s, s.begin():
                yield s
            return
        with self._writer_lock, self._write() as s, s.begin():
            yield s

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        with self._read() as s, s.begin():
            yield s

    def on_commit(self, fn) -> None:
        """Call ``fn(session)`` after each committed write transaction (cache invalidation).

        Only the outer transaction counts: SQLAlchemy also reports the release of a savepoint
        as a commit, and a cache invalidated then, before the outer commit, could be refilled
        by a reader with what the database held before it."""

        def after_commit(session) -> None:
            if not session.in_nested_transaction():
                fn(session)

        event.listen(self._write, "after_commit", after_commit)

    def dispose(self) -> None:
        self.engine.dispose()


def insert_rows(session: Session, model, rows: list[dict]) -> None:
    """Insert ``rows`` into ``model``'s table now, in order, as one Core statement on the
    session's connection (the ORM's bulk insert costs several times as much), after flushing
    what the session holds, as an ORM statement would, so earlier changes stay earlier."""
    if rows:
        session.flush()
        session.connection().execute(insert(model.__table__), rows)


def _on_disk(engine: Engine) -> bool:
    return engine.url.database not in (None, "", ":memory:") and not engine.url.database.startswith("file::memory:")


class _WriterLock:
    """One writer at a time on a SQLite file, across threads and processes (see the module doc).

    Reentrant within a thread. The lock file is opened per process: a descriptor inherited
    through ``fork`` would share its ``flock`` with the parent instead of competing for it."""

    def __init__(self, database_path: str):
        self.path = os.path.abspath(f"{database_path}.writer-lock")
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._pid = 0

    def __enter__(self) -> None:
        if self._pid != os.getpid():  # new, or forked: thread lock, depth and descriptor are the parent's
            self._thread_lock, self._depth = threading.RLock(), 0
            self._fd, self._pid = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
        self._thread_lock.acquire()
        try:
            if self._depth == 0:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            self._depth += 1
        except BaseException:
            self._thread_lock.release()
            raise

    def __exit__(self, *exc) -> None:
        self._depth -= 1
        try:
            if self._depth == 0:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        deferred = conn.get_execution_options().get("sqlite_deferred")
        conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


# -- tables every service has ------------------------------------------------------------------


class OutboxMixin:
    """Events written in the same transaction as the state change they describe."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(26), unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


class ProcessedEventMixin:
    """Event ids whose effect is committed; written in the effect's own transaction."""

    __tablename__ = "processed_events"
    event_id: Mapped[str] = mapped_column(String(26), primary_key=True)
    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def processed_ids(session: Session, processed_model, consumer: str, event_ids: list[str]) -> set[str]:
    """Which of ``event_ids`` ``consumer`` has already applied (one query, run as Core: the
    ORM's handling of a select costs more than the query, and consumers ask once per batch)."""
    return set(session.connection().execute(_processed_query(processed_model, consumer),
                                            {"b_ids": event_ids}).scalars())


@functools.cache
def _processed_query(processed_model, consumer: str):
    t = processed_model.__table__.c
    return select(t.event_id).where(t.consumer == consumer, t.event_id.in_(bindparam("b_ids", expanding=True)))


class ApiTokenMixin:
    """Bearer tokens for staff roles; only a SHA-256 of the token is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# -- migrations ------------------------------------------------------------------------------


def alembic_config(migrations_dir: Path, url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def make_revision(migrations_dir: Path, url: str, message: str) -> None:
    """Autogenerate a migration for one service (``parley db revision``)."""
    import shutil

    from alembic import command

    template = migrations_dir / "script.py.mako"
    shutil.copy(Path(__file__).with_name("script.py.mako"), template)
    try:
        command.revision(alembic_config(migrations_dir, url), message=message, autogenerate=True)
    finally:
        template.unlink()


def upgrade(migrations_dir: Path, url: str) -> None:
    """Apply every migration of one service to its database (the start command calls this)."""
    from alembic import command

    command.upgrade(alembic_config(migrations_dir, url), "head")


def run_migrations(metadata) -> None:
    """Body of each service's ``migrations/env.py``; online mode only."""
    from alembic import context

    url = context.config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=url.startswith("sqlite"))
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
