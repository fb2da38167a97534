"""The whole stack as real processes, for fault injection: gunicorn, relays, consumers, workers."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from shared import embedded_redis

PARLEY = [sys.executable, "-m", "services.cli"]

#: one line per fault, printed at the end of the run by tests/conftest.py
SUMMARY: list[str] = []


def summary(line: str) -> None:
    SUMMARY.append(line)
    print(line)


class ProcessStack:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.port = embedded_redis.free_port()
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *argv: str) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen([*PARLEY, *argv], env=dict(os.environ), stdout=log,
                                            stderr=subprocess.STDOUT)
        return self.procs[name]

    def up(self) -> "ProcessStack":
        subprocess.run([*PARLEY, "migrate"], env=dict(os.environ), check=True, capture_output=True)
        self.start("web", "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", "2")
        self.start("relays", "relay", "articles", "comments", "moderation")
        self.start("consumers", "consume", "articles", "comments", "moderation", "notify")
        self.start("moderation-worker", "worker", "moderation", "--pool=solo", "--without-mingle",
                   "--without-gossip")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url("/healthz"), timeout=1)
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the web server did not come up")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def call(self, method: str, path: str, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url(path), data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")


@pytest.fixture
def process_stack(service_env, tmp_path):
    stack = ProcessStack(tmp_path)
    yield stack
    stack.stop()


def publish_article(stack: ProcessStack, slug: str = "story", mode: str = "pre") -> None:
    from services.articles.app import bootstrap
    from services.articles.models import ApiToken
    from shared.auth import Role, create_token

    token = create_token(bootstrap().db, ApiToken, Role.EDITOR, "fault-editor")
    auth = {"Authorization": f"Bearer {token}"}
    assert stack.call("POST", "/api/articles", {"title": slug, "slug": slug, "moderation_mode": mode},
                      auth)[0] == 201
    assert stack.call("POST", f"/api/articles/{slug}/publish", {}, auth)[0] == 200
    from services.comments.app import bootstrap as comments
    from services.comments.models import ArticleProjection

    db = comments().db

    def published_in_comments():  # the comments service learns of it through events
        with db.read_session() as s:
            projection = s.get(ArticleProjection, slug)
            return projection is not None and projection.status == "published"

    wait_for(published_in_comments, timeout=20, step=0.05)
    db.dispose()


def wait_for(condition, timeout: float = 60, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not reached in time")
