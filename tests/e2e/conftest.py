"""End-to-end fixtures: the services in-process, the Celery workers as real subprocesses."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.stack import Stack


@pytest.fixture
def full_stack(service_env):
    s = Stack(services=("articles", "comments", "moderation"))
    yield s
    for rt in s.runtimes.values():
        rt.db.dispose()


@pytest.fixture
def smtp_server(service_env):
    """A real SMTP server (aiosmtpd) that the notify service is configured to use."""
    from tests.smtp_server import CapturingSmtpServer

    server = CapturingSmtpServer().start()
    service_env.setenv("SMTP_HOST", server.host)
    service_env.setenv("SMTP_PORT", str(server.port))
    service_env.setenv("MAIL_BACKEND", "smtp")
    service_env.setenv("PUBLIC_BASE_URL", "http://parley.test")
    yield server
    server.stop()


@pytest.fixture
def notify_stack(smtp_server):
    s = Stack(services=("articles", "comments", "notify"))
    yield s
    for rt in s.runtimes.values():
        rt.db.dispose()


@pytest.fixture
def notify_worker(notify_stack, tmp_path):
    log = tmp_path / "notify-worker.log"
    proc = start_worker("notify", "--pool=solo", log_path=log)
    yield proc
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
    print(log.read_text()[-3000:])


def start_worker(service: str, *extra: str, log_path=None) -> subprocess.Popen:
    """A real Celery worker process with the test's environment; its log goes to ``log_path``."""
    log = open(log_path or os.devnull, "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", f"services.{service}.worker", "worker", "-Q", service,
         "--loglevel=INFO", "--without-mingle", "--without-gossip", "-n", f"{service}-{os.getpid()}-{time.monotonic_ns()}@%h", *extra],
        env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT,
    )


@pytest.fixture
def moderation_worker(full_stack, tmp_path):
    log = tmp_path / "moderation-worker.log"
    proc = start_worker("moderation", "--pool=solo", log_path=log)
    yield proc
    print(log.read_text()[-3000:])
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


def wait_until(stack: Stack, condition, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for r in stack.relays.values():
            r.publish_pending()
        for c in stack.consumers.values():
            c.run_once(block_ms=0)
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")
